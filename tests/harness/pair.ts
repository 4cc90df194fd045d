/**
 * The usual cast of an acceptance test: a server, a desktop party (harness:
 * real core in Node, real renderer in its own Chromium) and a web softphone
 * party (its own Chromium), each with a fake microphone playing its own tone.
 */
import { startTestServer, type TestServer } from '../helpers/server.js';
import { openDesktop, type DesktopApp } from './desktop.js';
import { openWeb, type WebApp, type WebOptions } from './web.js';

export const DESKTOP_HZ = 440;
export const WEB_HZ = 660;

export interface CallPair {
  server: TestServer;
  desktop: DesktopApp;
  web: WebApp;
}

export async function openCallPair(
  desktopUser: string,
  webUser: string,
  opts: { web?: Partial<WebOptions> } = {},
): Promise<CallPair> {
  const server = await startTestServer();
  const [desktop, web] = await Promise.all([
    openDesktop(server, desktopUser, { toneHz: DESKTOP_HZ }),
    openWeb(server, webUser, { toneHz: WEB_HZ, ...opts.web }),
  ]);
  await desktop.page.getByRole('button', { name: 'Contacts' }).waitFor();
  return { server, desktop, web };
}

export async function closeCallPair(pair: Partial<CallPair>): Promise<void> {
  await Promise.allSettled([pair.desktop?.close(), pair.web?.close()]);
  await pair.server?.stop();
}
