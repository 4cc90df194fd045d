/**
 * The desktop around an agent, against a real server: the tray changes the agent state
 * through the same core method as the window, and auto-away through the screen-lock port
 * (issue 13 acceptance): lock → not-ready (Away), unlock → the previous state; a manual
 * Break is not overridden by a lock or an unlock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ScreenLockPort, TrayAction } from '../../../src/main/app/ports.js';
import type { SessionState } from '../../../src/shared/contract.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { startDesktop, type TestDesktop } from './desktop-harness.js';

class FakeScreenLock implements ScreenLockPort {
  idle = 0;
  private readonly listeners = new Set<(locked: boolean) => void>();
  onLockChange(listener: (locked: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  idleSeconds(): number {
    return this.idle;
  }
  set(locked: boolean): void {
    for (const l of this.listeners) l(locked);
  }
}

let server: TestServer | undefined;
let desktop: TestDesktop | undefined;

afterEach(async () => {
  await desktop?.stop();
  await server?.stop();
  desktop = server = undefined;
});

const agentIs = (state: string, reason: string | null) => (s: SessionState) => s.agent?.state === state && (s.agent?.reason ?? null) === reason;
const trayAgent = (status: { state: 'ready' } | { state: 'not-ready'; reason: string }) => (a: TrayAction) =>
  a.type === 'agent' && JSON.stringify(a.status) === JSON.stringify(status);
const trayLine = (d: TestDesktop) => d.os.tray.last?.menu.find((i) => i.kind === 'label' && i.label.startsWith('Agent: '));

async function agentDesktop(): Promise<{ d: TestDesktop; lock: FakeScreenLock }> {
  server = await startTestServer();
  const alice = await server.addUser('alice');
  await server.storage.agents.setRoles(alice, ['agent']);
  const lock = new FakeScreenLock();
  desktop = await startDesktop(server, 'alice', { ports: { screenLock: lock } });
  await desktop.state((s) => s.agent != null && (s.agentReasons?.length ?? 0) > 0, 'the agent view and its reasons');
  return { d: desktop, lock };
}

describe('agent on the desktop', () => {
  it('the tray sets the agent state; lock → Away, unlock → back to Ready', async () => {
    const { d, lock } = await agentDesktop();
    d.os.tray.choose(trayAgent({ state: 'ready' }));
    await d.state(agentIs('ready', null), 'ready from the tray');
    await d.until(() => trayLine(d)?.kind === 'label' && trayLine(d), 'the tray shows Ready');
    expect(trayLine(d)).toEqual({ kind: 'label', label: 'Agent: Ready' });

    lock.set(true);
    const away = await d.state(agentIs('not-ready', 'away'), 'away after the lock');
    expect(away.agent?.by).toBe('auto-away');
    await d.until(() => (trayLine(d) as { label?: string } | undefined)?.label === 'Agent: Not ready · Away', 'the tray shows Away');
    lock.set(false);
    await d.state(agentIs('ready', null), 'ready again after the unlock');
  });

  it('a manual Break survives a lock and an unlock', async () => {
    const { d, lock } = await agentDesktop();
    d.os.tray.choose(trayAgent({ state: 'not-ready', reason: 'break' }));
    await d.state(agentIs('not-ready', 'break'), 'break from the tray');
    lock.set(true);
    await d.desktop.autoAway!.settled();
    expect(d.phone.snapshot().agent).toMatchObject({ state: 'not-ready', reason: 'break', by: 'agent' });
    lock.set(false);
    await d.desktop.autoAway!.settled();
    expect(d.phone.snapshot().agent).toMatchObject({ state: 'not-ready', reason: 'break', by: 'agent' });
  });
});
