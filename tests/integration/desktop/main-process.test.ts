/**
 * The Electron composition root (src/main/platform/bootstrap.ts) run in
 * Node against a recording Electron stand-in and a real server: it must
 * register the privileged scheme before ready, lock windows down, sign in
 * from the environment, serve IPC to its own pages only, serve app:// with
 * a CSP, hide to the tray on close, raise the ringing window and a
 * notification for a call, forward a second instance's tel: link, and shut
 * down cleanly. (Real Electron: tests/e2e/electron-app.test.ts.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Softphone } from '../../../src/core/softphone.js';
import { IPC, type SessionState } from '../../../src/shared/contract.js';
import { signIn, waitForState } from '../../helpers/phone.js';
import { TEST_PASSWORD, startTestServer, tempDir, type TestServer } from '../../helpers/server.js';
import * as stub from './electron-stub.js';

vi.mock('electron', async () => (await import('./electron-stub.js')).electron);
vi.mock('electron-store', async () => ({ default: (await import('./electron-stub.js')).MemoryElectronStore }));

let server: TestServer;
let bob: Softphone;
let xdg: string;
const savedEnv = { ...process.env };

function mainWindow(): stub.BrowserWindow {
  return stub.BrowserWindow.all.find((w) => w.webContents.url === 'app://softphone/index.html')!;
}
function ringingWindow(): stub.BrowserWindow | undefined {
  return stub.BrowserWindow.all.find((w) => w.webContents.url === 'app://softphone/index.html#ringing');
}
function trustedEvent(w: stub.BrowserWindow) {
  return { sender: w.webContents, senderFrame: { url: w.webContents.url, parent: null } };
}
function invoke(event: unknown, channel: string, payload: unknown) {
  return stub.ipcHandlers.get(IPC.invoke)!(event, channel, payload) as Promise<{ ok: boolean; data?: unknown; error?: { code: string } }>;
}
/** Resolves when `check` holds, re-checking on every change the stand-in records. */
function until<T>(check: () => T | undefined | false, what: string, timeoutMs = 5_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const test = () => {
      const v = check();
      if (v) {
        clearTimeout(timer);
        stub.changes.off('change', test);
        resolve(v);
      }
    };
    const timer = setTimeout(() => {
      stub.changes.off('change', test);
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    stub.changes.on('change', test);
    test();
  });
}
function lastSession(): SessionState | undefined {
  const s = mainWindow().webContents.sent.filter((m) => m.channel === IPC.event && m.args[0] === 'session');
  return s[s.length - 1]?.args[1] as SessionState | undefined;
}

beforeAll(async () => {
  server = await startTestServer();
  await server.addUser('main-alice');
  bob = await signIn(server, 'main-bob', 'web');
  xdg = tempDir('softphone-main-');
  Object.assign(process.env, {
    SOFTPHONE_AUTOLOGIN_SERVER: server.url,
    SOFTPHONE_AUTOLOGIN_USERNAME: 'main-alice',
    SOFTPHONE_AUTOLOGIN_PASSWORD: TEST_PASSWORD,
    SOFTPHONE_USER_DATA_DIR: path.join(xdg, 'profile'),
    SOFTPHONE_LOG_LEVEL: 'error',
    XDG_CONFIG_HOME: xdg,
    // No session bus: on Linux the app falls back to Electron notifications.
    DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(xdg, 'no-bus')}`,
  });
  // As installed (not a development run): it registers as the tel:/softphone: handler.
  stub.app.isPackaged = true;
  const { bootstrap } = await import('../../../src/main/platform/bootstrap.js');
  await bootstrap();
});

afterAll(async () => {
  await bob?.stop();
  await server?.stop();
  process.env = savedEnv;
  fs.rmSync(xdg, { recursive: true, force: true });
});

describe('the main process (bootstrap) against an Electron stand-in', () => {
  it('registers app:// as a privileged scheme before ready, and takes the single-instance lock', () => {
    const order = stub.calls.map((c) => c.api);
    expect(order.indexOf('protocol.registerSchemesAsPrivileged')).toBeLessThan(order.indexOf('app.whenReady'));
    expect(order).toContain('app.requestSingleInstanceLock');
    const schemes = stub.calls.find((c) => c.api === 'protocol.registerSchemesAsPrivileged')!.args[0];
    expect(schemes).toEqual([{ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) }]);
    expect(stub.app.paths.userData).toBe(path.join(xdg, 'profile'));
    expect(stub.calls.filter((c) => c.api === 'app.setAsDefaultProtocolClient').map((c) => c.args[0])).toEqual(['tel', 'softphone']);
  });

  it('opens a locked-down main window on app://softphone and signs in from the environment', async () => {
    const w = mainWindow();
    expect(w.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      backgroundThrottling: false,
      autoplayPolicy: 'no-user-gesture-required',
    });
    expect(String((w.options.webPreferences as { preload: string }).preload)).toMatch(/dist[/\\]preload[/\\]preload\.cjs$/);
    const s = await until(() => (lastSession()?.connection === 'connected' ? lastSession() : undefined), 'signed in');
    expect(s.user?.username).toBe('main-alice');
    expect(stub.Tray.last?.tooltip).toContain('main-alice'.replace(/^m/, 'M'));
    // No keystore here: the refresh token is stored, but plainly (and only then).
    expect(stub.MemoryElectronStore.data.get('session')).toMatchObject({ v: 1, plain: { refreshToken: expect.any(String) } });
  });

  it('serves IPC to its own page only', async () => {
    const w = mainWindow();
    expect(await invoke(trustedEvent(w), 'host.info', {})).toMatchObject({ ok: true, data: { kind: 'desktop', appVersion: '0.0.0-stub' } });
    const foreign = { sender: { id: 999 }, senderFrame: { url: 'app://softphone/index.html', parent: null } };
    expect(await invoke(foreign, 'host.info', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const navigated = { sender: w.webContents, senderFrame: { url: 'https://evil.example/', parent: null } };
    expect(await invoke(navigated, 'session.state', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await invoke(trustedEvent(w), 'no.such.request', {})).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });

  it('serves app:// from the renderer build with a CSP, and nothing outside it', async () => {
    const handle = stub.protocolHandlers.get('app')!;
    const index = await handle(new Request('app://softphone/index.html'));
    expect(index.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(index.status).toBe(fs.existsSync('dist/renderer/index.html') ? 200 : 404);
    expect((await handle(new Request('app://softphone/../package.json'))).status).toBe(404);
    expect((await handle(new Request('app://elsewhere/index.html'))).status).toBe(404);
    expect((await handle(new Request('app://softphone/index.html', { method: 'POST' }))).status).toBe(405);
  });

  it('grants the microphone to its own origin only, and denies navigation and new windows', () => {
    const decisions: boolean[] = [];
    for (const url of ['app://softphone/index.html', 'https://evil.example/']) {
      stub.permissionHandlers.request!({}, 'media', (ok: boolean) => decisions.push(ok), { requestingUrl: url, isMainFrame: true, mediaTypes: ['audio'] });
    }
    expect(decisions).toEqual([true, false]);
    expect(stub.permissionHandlers.check!({}, 'media', 'app://softphone', { mediaType: 'audio' })).toBe(true);
    const wc = mainWindow().webContents;
    let prevented = false;
    wc.emit('will-navigate', { preventDefault: () => (prevented = true) }, 'https://evil.example/');
    expect(prevented).toBe(true);
    expect(wc.windowOpenHandler!(stub.windowOpenDetails('https://opensoftphone.org/docs'))).toEqual({ action: 'deny' });
    expect(stub.calls.filter((c) => c.api === 'shell.openExternal').map((c) => c.args[0])).toEqual(['https://opensoftphone.org/docs']);
  });

  it('hides to the tray on close; a call raises the ringing window and a notification; Decline declines', async () => {
    const w = mainWindow();
    w.close();
    expect(w.isDestroyed()).toBe(false);
    expect(w.isVisible()).toBe(false);

    const call = await bob.dial({ username: 'main-alice' });
    const note = await until(() => stub.Notification.all.find((n) => n.options.title === 'Incoming call' && n.shown), 'a notification');
    expect(note.options.actions).toEqual([
      { type: 'button', text: 'Answer' },
      { type: 'button', text: 'Decline' },
    ]);
    const ring = await until(() => ringingWindow(), 'the ringing window');
    await until(() => ring.log.includes('showInactive'), 'shown without focus');
    expect(ring.options).toMatchObject({ focusable: false, alwaysOnTop: true, skipTaskbar: true, frame: false });
    expect(ring.log).toContain('setAlwaysOnTop:true:screen-saver');
    expect(ring.log).toContain('setVisibleOnAllWorkspaces:true:{"visibleOnFullScreen":true}');
    expect(ring.focused).toBe(false);
    expect(stub.powerSaveBlocker.active).toBe(1);

    note.emit('action', { actionIndex: 1 }, 1); // Decline
    await waitForState(bob, (s) => s.calls.some((c) => c.callId === call.callId && c.outcome === 'declined'), 5_000, 'declined');
    await until(() => note.closed && !ring.visible, 'surfaces closed');
    await until(() => stub.powerSaveBlocker.active === 0, 'blocker released');
  });

  it.each([
    ['a second instance', () => stub.app.emit('second-instance', {}, ['/opt/open-softphone', 'softphone:main-bob'], '/')],
    ['open-url', () => stub.app.emit('open-url', { preventDefault: () => undefined }, 'tel:main-bob')],
  ])("forwards %s's call link to the renderer's dial field and brings the window forward; it never dials", async (_from, send) => {
    const w = mainWindow();
    w.hide();
    const before = w.webContents.sent.length;
    send();
    const prefill = JSON.stringify({ type: 'prefill', target: 'main-bob' });
    await until(
      () => w.webContents.sent.slice(before).some((m) => m.args[0] === 'command' && JSON.stringify(m.args[1]) === prefill),
      'prefill command',
    );
    expect(w.isVisible()).toBe(true);
    // No invite reached the server: a round trip through Alice's socket, then Bob's, and neither has a call.
    expect(await invoke(trustedEvent(w), 'directory.search', { query: '' })).toMatchObject({ ok: true });
    await bob.search('');
    // (Calls of the tests before are over: only a live one would be the link's.)
    expect(bob.snapshot().calls.filter((c) => c.local !== 'ended')).toEqual([]);
    expect(lastSession()?.calls.filter((c) => c.local !== 'ended')).toEqual([]);
  });

  it('forwards a tel: number as digits', async () => {
    const w = mainWindow();
    stub.app.emit('second-instance', {}, ['/opt/open-softphone', 'tel:+1 555 0100'], '/');
    await until(
      () => w.webContents.sent.some((m) => m.args[0] === 'command' && JSON.stringify(m.args[1]) === JSON.stringify({ type: 'prefill', target: '+15550100' })),
      'prefill command',
    );
  });

  it('quits cleanly from the tray: disconnects and releases shortcuts', async () => {
    expect(stub.globalShortcut.registered.size).toBe(2);
    const quitDone = new Promise((resolve) => stub.app.once('__quit-done', resolve));
    const menu = (stub.Tray.last!.menu as { template: { label?: string; click?: () => void }[] }).template;
    menu.find((i) => i.label === 'Quit Open Softphone')!.click!();
    await quitDone;
    // The first quit was postponed for the clean-up, which then quit for real.
    expect(stub.calls.filter((c) => c.api === 'app.quit').map((c) => c.args[0])).toEqual(['postponed', 'done']);
    expect(lastSession()?.connection).toBe('offline');
    expect(stub.globalShortcut.registered.size).toBe(0);
    // The session is remembered for next start (quit is not sign-out).
    expect(stub.MemoryElectronStore.data.get('session')).toBeTruthy();
  });
});
