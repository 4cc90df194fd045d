/**
 * The packaged-for-real desktop app in Electron, driven with playwright's
 * `_electron`: locked-down windows, the one `window.softphone` API over
 * IPC, the app:// origin and its CSP, close-to-tray, and an incoming call
 * raising the ringing window while the main window is hidden.
 *
 * Needs an Electron binary (ELECTRON_PATH); these machines cannot download
 * one, so here the suite is skipped with the reason printed.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Softphone } from '../../src/core/softphone.js';
import { signIn, waitForState } from '../helpers/phone.js';
import { TEST_PASSWORD, startTestServer, tempDir, type TestServer } from '../helpers/server.js';

const electronPath = process.env.ELECTRON_PATH && fs.existsSync(process.env.ELECTRON_PATH) ? process.env.ELECTRON_PATH : undefined;
if (!electronPath) {
  console.warn(
    `electron-app e2e skipped: ${process.env.ELECTRON_PATH ? `ELECTRON_PATH=${process.env.ELECTRON_PATH} does not exist` : 'no Electron binary (set ELECTRON_PATH to an Electron 45 executable to run it)'}`,
  );
}

describe.skipIf(!electronPath)('the desktop app in real Electron', () => {
  let server: TestServer;
  let app: ElectronApplication;
  let page: Page;
  let bob: Softphone;
  let profile: string;

  beforeAll(async () => {
    // The main process and preload bundles (the e2e script builds only the renderer).
    if (!fs.existsSync('dist/main/main.mjs') || !fs.existsSync('dist/renderer/index.html')) {
      const b = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
      if (b.status !== 0) throw new Error('build failed');
    } else {
      spawnSync(process.execPath, ['scripts/build.mjs', 'node'], { stdio: 'inherit' });
    }
    server = await startTestServer();
    await server.addUser('alice');
    bob = await signIn(server, 'bob', 'web');
    profile = tempDir('softphone-electron-');
    app = await _electron.launch({
      executablePath: electronPath,
      args: ['.', ...(process.platform === 'linux' && process.getuid?.() === 0 ? ['--no-sandbox'] : [])],
      cwd: path.resolve('.'),
      env: {
        ...(process.env as Record<string, string>),
        SOFTPHONE_AUTOLOGIN_SERVER: server.url,
        SOFTPHONE_AUTOLOGIN_USERNAME: 'alice',
        SOFTPHONE_AUTOLOGIN_PASSWORD: TEST_PASSWORD,
        SOFTPHONE_USER_DATA_DIR: profile,
        XDG_CONFIG_HOME: profile,
      },
    });
    page = await app.firstWindow();
    await page.waitForFunction(async () => {
      const api = (window as unknown as { softphone: { invoke(c: string, p: object): Promise<{ connection: string }> } }).softphone;
      return (await api.invoke('session.state', {})).connection === 'connected';
    });
  });

  afterAll(async () => {
    await app?.close();
    await bob?.stop();
    await server?.stop();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  it('loads the renderer from app://softphone with a locked-down window', async () => {
    expect(page.url()).toBe('app://softphone/index.html');
    const throttled = await app.evaluate(({ BrowserWindow }) =>
      BrowserWindow.getAllWindows()
        .find((x) => x.webContents.getURL().endsWith('/index.html'))!
        .webContents.getBackgroundThrottling(),
    );
    // A hidden window keeps running its timers and media.
    expect(throttled).toBe(false);
    const page_ = await page.evaluate(() => ({
      keys: Object.keys((window as unknown as { softphone: object }).softphone).sort(),
      node: typeof (window as unknown as { require?: unknown }).require + typeof (window as unknown as { process?: unknown }).process,
      evalBlocked: (() => {
        try {
          eval('1');
          return false;
        } catch {
          return true;
        }
      })(),
      popup: window.open('https://evil.example/') === null,
    }));
    expect(page_).toEqual({ keys: ['invoke', 'on'], node: 'undefinedundefined', evalBlocked: true, popup: true });
  });

  it('serves the contract over IPC: values, and errors with their code', async () => {
    const result = await page.evaluate(async () => {
      const api = (window as unknown as { softphone: { invoke(c: string, p: object): Promise<unknown> } }).softphone;
      const info = (await api.invoke('host.info', {})) as { kind: string };
      const state = (await api.invoke('session.state', {})) as { user: { username: string } };
      const err = await api.invoke('call.dial', { username: 'nobody-here' }).catch((e: Error & { code?: string }) => ({ name: e.name, code: e.code }));
      return { kind: info.kind, user: state.user.username, err };
    });
    expect(result).toEqual({ kind: 'desktop', user: 'alice', err: { name: 'HostError', code: 'not_found' } });
  });

  it('closing the window hides it to the tray; an incoming call shows the ringing window without taking focus', async () => {
    await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().find((w) => w.webContents.getURL().endsWith('/index.html'))!.close());
    const visible = await app.evaluate(({ BrowserWindow }) =>
      BrowserWindow.getAllWindows().map((w) => ({ url: w.webContents.getURL(), visible: w.isVisible() })),
    );
    expect(visible.find((w) => w.url.endsWith('/index.html'))?.visible).toBe(false);

    const call = await bob.dial({ username: 'alice' });
    await expect
      .poll(() => app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().some((x) => x.webContents.getURL().endsWith('#ringing') && x.isVisible())), {
        timeout: 10_000,
      })
      .toBe(true);
    const ringingState = await app.evaluate(({ BrowserWindow }) => {
      const w = BrowserWindow.getAllWindows().find((x) => x.webContents.getURL().endsWith('#ringing'))!;
      return { visible: w.isVisible(), focused: w.isFocused(), onTop: w.isAlwaysOnTop(), focusable: w.isFocusable() };
    });
    expect(ringingState).toMatchObject({ visible: true, focused: false, onTop: true });

    await bob.hangup(call.callId);
    await waitForState(bob, (s) => s.calls.every((c) => c.local === 'ended'), 5_000, 'call over');
    await expect
      .poll(() => app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().find((x) => x.webContents.getURL().endsWith('#ringing'))?.isVisible()))
      .toBe(false);
  });
});
