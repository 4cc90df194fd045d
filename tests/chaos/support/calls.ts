/** Steps and checks shared by the chaos tests. */
import type { Page } from 'playwright-core';
import type { Softphone } from '../../../src/core/softphone.js';
import { waitForRemoteAudio } from '../../harness/index.js';
import { waitForTone } from '../../helpers/audio.js';

export interface Party {
  page: Page;
  /** The tone this party's fake microphone plays. */
  hz: number;
}

/** Each party hears the other's tone (frequency analysis of its remote-audio element). */
export async function twoWayAudio(a: Party, b: Party, timeoutMs = 20_000): Promise<void> {
  await Promise.all([waitForRemoteAudio(a.page, timeoutMs), waitForRemoteAudio(b.page, timeoutMs)]);
  await Promise.all([waitForTone(a.page, b.hz, { timeoutMs }), waitForTone(b.page, a.hz, { timeoutMs })]);
}

/** Neither party hears the other any more. */
export async function silenceBothWays(a: Party, b: Party, timeoutMs = 20_000): Promise<void> {
  await Promise.all([
    waitForTone(a.page, b.hz, { present: false, timeoutMs }),
    waitForTone(b.page, a.hz, { present: false, timeoutMs }),
  ]);
}

/** The id of the one call this core knows in the given local state. */
export function callIdOf(phone: Softphone, local: string): string {
  const calls = phone.snapshot().calls.filter((c) => c.local === local);
  if (calls.length !== 1) throw new Error(`expected one ${local} call, found ${JSON.stringify(phone.snapshot().calls)}`);
  return calls[0]!.callId;
}

/** The sidebar's connection indicator (role=status) shows this state. */
export async function waitForConnection(page: Page, state: 'connected' | 'reconnecting', timeoutMs = 30_000): Promise<void> {
  await page.locator(`.connection.connection-${state}`).waitFor({ timeout: timeoutMs });
}
