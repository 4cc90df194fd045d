/**
 * Composition root of the Electron main process: app lifecycle, the single
 * instance lock, protocols, windows, IPC, and the Electron-backed ports
 * handed to the (Electron-free) desktop session in src/main/app.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, session } from 'electron';
import type { CoreLogger } from '../../core/ports.js';
import { APP_ID, CALL_LINK_SCHEMES, EXTERNAL_LINK_ALLOWLIST, HIDDEN_FLAG, PRODUCT_NAME } from '../app/constants.js';
import type { DesktopApp } from '../app/desktop-app.js';
import { FallbackNotifier } from '../app/fallback-notifier.js';
import type { LoginItemPort, NotifierPort } from '../app/ports.js';
import { ProtectedKeyValueStore } from '../app/protected-store.js';
import { autoLoginFromEnv, createDesktopSession, startSession } from '../app/session.js';
import { LinuxAutostart } from '../node/linux-autostart.js';
import { consoleLogger, logLevelFromEnv } from '../node/logger.js';
import { NetworkWatcher } from '../node/network-watcher.js';
import { registerAppScheme, serveAppProtocol } from './app-protocol.js';
import { registerIpc } from './ipc.js';
import { installAppMenu } from './menu.js';
import { ElectronNotifier } from './notifier.js';
import { electronLoginItem, electronPower, electronShell, electronShortcuts } from './os-ports.js';
import { electronScreenLock } from './screen-lock.js';
import { electronKeyValueStore, safeStorageCipher } from './storage.js';
import { ElectronTray } from './tray.js';
import { hardenAllWebContents, hardenSession, openExternalIfAllowed } from './web-security.js';
import { MainWindow, RingingWindow } from './windows.js';
import { withTimeout } from '../app/timeout.js';

interface Paths {
  rendererRoot: string;
  preload: string;
  /** Outside the asar archive: other processes (the notification daemon) read these files. */
  assets: string;
}

/** The folder holding package.json: the project in development, resources/app.asar when packaged. */
function findAppRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error('cannot find the app folder (package.json) above the main-process bundle');
}

function resolvePaths(): Paths {
  const root = findAppRoot();
  const unpacked = root.replace(/app\.asar(?=[\\/]|$)/, 'app.asar.unpacked');
  return {
    rendererRoot: path.join(root, 'dist', 'renderer'),
    preload: path.join(root, 'dist', 'preload', 'preload.cjs'),
    assets: fs.existsSync(path.join(unpacked, 'assets')) ? path.join(unpacked, 'assets') : path.join(root, 'assets'),
  };
}

/** How the OS should start this app again (Linux autostart). */
function launchCommand(): string[] {
  if (process.env.APPIMAGE) return [process.env.APPIMAGE];
  if (app.isPackaged) return [process.execPath];
  return [process.execPath, app.getAppPath()];
}

function registerLinkHandlers(log: CoreLogger): void {
  // A development run must not take over the developer's link handlers.
  if (!app.isPackaged) return;
  for (const scheme of CALL_LINK_SCHEMES) {
    if (app.isDefaultProtocolClient(scheme)) continue;
    // tel: may belong to another app the user chose; only claim it when nobody has it.
    if (scheme === 'tel' && app.getApplicationNameForProtocol('tel:')) continue;
    const ok = app.setAsDefaultProtocolClient(scheme);
    if (!ok) log.info('could not register as the handler for links', { scheme });
  }
}

async function createNotifier(icon: string, log: CoreLogger): Promise<{ port: NotifierPort; close(): void }> {
  if (process.platform === 'linux') {
    try {
      const { FreedesktopNotifier } = await import('../node/freedesktop-notifier.js');
      // A hung session bus must not hold up the app (and with it incoming calls).
      const connecting = FreedesktopNotifier.connect({ appName: PRODUCT_NAME, desktopEntry: APP_ID, icon, log });
      const n = await withTimeout(connecting, 3_000, 'the session bus').catch((err: unknown) => {
        void connecting.then((late) => late.disconnect(), () => undefined);
        throw err;
      });
      if (!n.supportsActions) log.warn('the notification daemon shows no buttons; answer from the ringing window', { server: n.server.name });
      return { port: new FallbackNotifier(n, new ElectronNotifier(icon, log), log), close: () => n.disconnect() };
    } catch (err) {
      log.warn('no freedesktop notification service; falling back to Electron notifications', { error: String(err) });
    }
  }
  return { port: new ElectronNotifier(icon, log), close: () => undefined };
}

export async function bootstrap(): Promise<void> {
  const log = consoleLogger(logLevelFromEnv(process.env.SOFTPHONE_LOG_LEVEL));
  const paths = resolvePaths();
  if (process.env.SOFTPHONE_USER_DATA_DIR) app.setPath('userData', path.resolve(process.env.SOFTPHONE_USER_DATA_DIR));
  // Windows matches toasts (and their buttons) to the installed shortcut by this id.
  if (process.platform === 'win32') app.setAppUserModelId(APP_ID);
  registerAppScheme();

  if (!app.requestSingleInstanceLock()) {
    // Another instance runs: it received our command line through 'second-instance'.
    app.quit();
    return;
  }

  let desktop: DesktopApp | null = null;
  const quit = () => {
    desktop?.markQuitting();
    app.quit();
  };
  const early: (() => void)[] = [];
  const whenDesktop = (fn: (d: DesktopApp) => unknown) => {
    if (desktop) void fn(desktop);
    else early.push(() => void fn(desktop!));
  };
  app.on('second-instance', (_e, argv) => whenDesktop((d) => d.handleCommandLine(argv, 'second-instance')));
  // macOS delivers links (also the one that launched us) here; registered before ready.
  app.on('open-url', (e, url) => {
    e.preventDefault();
    whenDesktop((d) => d.openLink(url));
  });
  hardenAllWebContents();

  await app.whenReady();
  serveAppProtocol(paths.rendererRoot);
  hardenSession(session.defaultSession);
  registerLinkHandlers(log);

  const icon = path.join(paths.assets, 'icon.png');
  const windowOptions = { preload: paths.preload, icon, devTools: !app.isPackaged };
  const mainWindow = new MainWindow(windowOptions, {
    hideOnClose: () => desktop?.shouldHideOnClose() ?? false,
    loaded: () => desktop?.rendererReady(),
    unloaded: () => desktop?.rendererGone(),
    // Signed out, the window is the app: closing it quits (except on macOS).
    closed: () => {
      if (process.platform !== 'darwin' && desktop && !desktop.shouldHideOnClose()) quit();
    },
  });
  const ringingWindow = new RingingWindow(windowOptions);
  const notifier = await createNotifier(icon, log);
  const loginItem: LoginItemPort =
    process.platform === 'linux'
      ? new LinuxAutostart({
          appId: APP_ID,
          name: PRODUCT_NAME,
          comment: 'Softphone: calls reach you from the tray',
          command: [...launchCommand(), HIDDEN_FLAG],
          icon,
        })
      : electronLoginItem;

  const store = new ProtectedKeyValueStore(electronKeyValueStore(), safeStorageCipher, new Set(['session']), log);
  const s = await createDesktopSession({
    store,
    ports: {
      mainWindow,
      ringingWindow,
      tray: new ElectronTray(path.join(paths.assets, 'tray')),
      notifier: notifier.port,
      power: electronPower,
      network: new NetworkWatcher(),
      loginItem,
      shortcuts: electronShortcuts,
      shell: electronShell(quit),
      screenLock: electronScreenLock(process.platform, log),
    },
    platform: process.platform,
    appVersion: app.getVersion(),
    deviceName: os.hostname(),
    log,
  });
  const ours = () =>
    [mainWindow.window, ringingWindow.window].filter((w) => w !== null).map((w) => w.webContents);
  registerIpc(s.bridge, ours, log);
  installAppMenu({
    openView: (v) => s.desktop.openView(v),
    hideWindow: () => mainWindow.hide(),
    quit,
    openDocs: () => openExternalIfAllowed(EXTERNAL_LINK_ALLOWLIST[0]),
    devTools: !app.isPackaged,
  });

  await s.desktop.start();
  desktop = s.desktop;
  mainWindow.create(false);
  const startedAtLogin =
    process.argv.includes(HIDDEN_FLAG) || (process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin);
  await s.desktop.handleCommandLine(startedAtLogin ? [...process.argv, HIDDEN_FLAG] : process.argv, 'startup');
  for (const fn of early.splice(0)) fn();
  void startSession(s.phone, autoLoginFromEnv(process.env), log).then((how) => log.info('session', { how }));

  app.on('activate', () => mainWindow.show());
  app.on('before-quit', () => s.desktop.markQuitting());
  let cleanedUp = false;
  app.on('will-quit', (e) => {
    if (cleanedUp) return;
    e.preventDefault();
    void (async () => {
      try {
        await s.desktop.dispose();
        await s.phone.stop();
        notifier.close();
      } finally {
        cleanedUp = true;
        app.quit();
      }
    })();
  });
  // Keep running with no window (tray); quitting is explicit (tray, menu, closed while signed out).
  app.on('window-all-closed', () => undefined);
}
