/**
 * A desktop session as the Electron main process builds it
 * (createDesktopSession: real Softphone, SettingsStore, HostBridge,
 * DesktopApp) with fake OS ports, signed in to a real test server.
 */
import { unwrap } from '../../../src/core/host-bridge.js';
import { MemoryStore } from '../../../src/core/ports.js';
import type { DesktopPorts } from '../../../src/main/app/desktop-app.js';
import { createDesktopSession, type DesktopSession, type DesktopSessionOptions } from '../../../src/main/app/session.js';
import type { HostEvent, SessionState } from '../../../src/shared/contract.js';
import { waitForState } from '../../helpers/phone.js';
import { TEST_PASSWORD, type TestServer } from '../../helpers/server.js';
import { FakeOs } from './fake-os.js';

export interface TestDesktop extends DesktopSession {
  os: FakeOs;
  store: MemoryStore;
  commands: HostEvent<'command'>[];
  until<T>(predicate: () => T | undefined | false | null, what: string, timeoutMs?: number): Promise<T>;
  state(predicate: (s: SessionState) => boolean, what: string, timeoutMs?: number): Promise<SessionState>;
  stop(): Promise<void>;
}

export interface StartDesktopOptions {
  /** Where the core connects (a TcpProxy's url to control the network). */
  serverUrl?: string;
  /** Reuse a store to simulate an app restart on the same machine. */
  store?: MemoryStore;
  os?: FakeOs;
  ports?: Partial<DesktopPorts>;
  core?: DesktopSessionOptions['core'];
  missedGroupWindowMs?: number;
  /** false: do not sign in (restore or test signed-out behaviour). */
  login?: boolean;
}

export async function startDesktop(server: TestServer, username: string, o: StartDesktopOptions = {}): Promise<TestDesktop> {
  await server.addUser(username);
  const os = o.os ?? new FakeOs();
  const store = o.store ?? new MemoryStore();
  const session = await createDesktopSession({
    store,
    ports: { ...os.ports, ...o.ports },
    platform: 'linux',
    appVersion: 'test',
    deviceName: `${username}'s test desktop`,
    core: { reconnectBaseMs: 100, reconnectMaxMs: 1_000, ...o.core },
    missedGroupWindowMs: o.missedGroupWindowMs,
  });
  const commands: HostEvent<'command'>[] = [];
  session.bridge.subscribe((name, payload) => {
    if (name === 'command') commands.push(payload as HostEvent<'command'>);
  });
  // Conditions in tests mix fake-OS changes and session states.
  session.phone.on('state', () => os.poke());
  await session.desktop.start();
  // As the main window's renderer would once loaded: commands flow from now on.
  session.desktop.rendererReady();
  if (o.login !== false) {
    unwrap(
      await session.bridge.invoke('session.login', {
        serverUrl: o.serverUrl ?? server.url,
        username,
        password: TEST_PASSWORD,
      }),
    );
    await waitForState(session.phone, (s) => s.connection === 'connected', 5_000, `${username} desktop connected`);
  }
  return {
    ...session,
    os,
    store,
    commands,
    until: (p, what, timeoutMs) => os.until(p, what, timeoutMs),
    state: (p, what, timeoutMs = 5_000) => waitForState(session.phone, p, timeoutMs, what),
    async stop() {
      await session.desktop.dispose();
      await session.phone.stop();
    },
  };
}
