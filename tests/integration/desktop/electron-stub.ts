/**
 * A recording stand-in for the slice of Electron's main-process API that
 * src/main/platform uses, so the composition root (bootstrap) runs in plain
 * Node against a real server: windows, IPC, the app:// protocol, the tray,
 * notifications and power events are recorded and can be driven. It is
 * not Electron — the real-Electron suite is tests/e2e/electron-app.test.ts.
 *
 * Each stand-in is checked against electron.d.ts for exactly the members it
 * implements (`implements Pick<…>` / `satisfies Pick<…>`), so a misspelt member
 * or a signature that changes in Electron's typings fails the typecheck.
 */
import { EventEmitter } from 'node:events';
// Type-only, so nothing of Electron is loaded; the layer rule is about runtime imports.
// eslint-disable-next-line no-restricted-imports
import type * as E from 'electron';

type Listener = (...args: unknown[]) => void;

export const calls: { api: string; args: unknown[] }[] = [];
/** Emits 'change' whenever anything observable happens (tests await conditions on it). */
export const changes = new EventEmitter();
const changed = () => changes.emit('change');
function record(api: string, ...args: unknown[]): void {
  calls.push({ api, args });
  changed();
}

let nextWebContentsId = 1;

/** What Electron passes a window-open handler when a page opens `url` in a new window. */
export function windowOpenDetails(url: string): E.HandlerDetails {
  return { url, frameName: '', features: '', disposition: 'new-window', referrer: { url: '', policy: 'default' } };
}

export class StubWebContents
  extends EventEmitter
  implements Pick<E.WebContents, 'id' | 'send' | 'getURL' | 'isDestroyed' | 'isLoading' | 'setWindowOpenHandler'>
{
  readonly id = nextWebContentsId++;
  url = '';
  destroyed = false;
  readonly sent: { channel: string; args: unknown[] }[] = [];
  windowOpenHandler: ((details: E.HandlerDetails) => E.WindowOpenHandlerResponse) | null = null;
  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args });
    changed();
  }
  getURL(): string {
    return this.url;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  isLoading(): boolean {
    return false;
  }
  setWindowOpenHandler(h: (details: E.HandlerDetails) => E.WindowOpenHandlerResponse): void {
    this.windowOpenHandler = h;
  }
}

type WindowMembers =
  | 'loadURL'
  | 'show'
  | 'showInactive'
  | 'hide'
  | 'focus'
  | 'close'
  | 'isDestroyed'
  | 'isVisible'
  | 'isFocused'
  | 'isMinimized'
  | 'restore'
  | 'setAlwaysOnTop'
  | 'setVisibleOnAllWorkspaces'
  | 'setBounds';

export class BrowserWindow extends EventEmitter implements Pick<E.BrowserWindow, WindowMembers> {
  static readonly all: BrowserWindow[] = [];
  readonly webContents = new StubWebContents();
  visible = false;
  focused = false;
  destroyed = false;
  readonly log: string[] = [];
  private note(entry: string) {
    this.log.push(entry);
    changed();
  }
  constructor(readonly options: Record<string, unknown>) {
    super();
    BrowserWindow.all.push(this);
    app.emit('web-contents-created', {}, this.webContents);
  }
  async loadURL(url: string): Promise<void> {
    this.webContents.url = url;
    // As Chromium does, a little later.
    setImmediate(() => {
      this.webContents.emit('did-finish-load');
      this.emit('ready-to-show');
    });
  }
  show(): void {
    this.visible = true;
    this.focused = true;
    this.note('show');
  }
  showInactive(): void {
    this.visible = true;
    this.note('showInactive');
  }
  hide(): void {
    this.visible = false;
    this.focused = false;
    this.note('hide');
  }
  focus(): void {
    this.focused = true;
  }
  /** Like the user clicking the close button. */
  close(): void {
    let prevented = false;
    this.emit('close', { preventDefault: () => (prevented = true) });
    if (prevented) return;
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.emit('closed');
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  isVisible(): boolean {
    return this.visible;
  }
  isFocused(): boolean {
    return this.focused;
  }
  isMinimized(): boolean {
    return false;
  }
  restore(): void {}
  setAlwaysOnTop(flag: boolean, level?: string): void {
    this.note(`setAlwaysOnTop:${flag}:${level}`);
  }
  setVisibleOnAllWorkspaces(flag: boolean, o?: object): void {
    this.note(`setVisibleOnAllWorkspaces:${flag}:${JSON.stringify(o)}`);
  }
  setBounds(b: object): void {
    this.note(`setBounds:${JSON.stringify(b)}`);
  }
}

type AppMembers =
  | 'isPackaged'
  | 'setPath'
  | 'setAppUserModelId'
  | 'requestSingleInstanceLock'
  | 'whenReady'
  | 'quit'
  | 'isDefaultProtocolClient'
  | 'getApplicationNameForProtocol'
  | 'setAsDefaultProtocolClient'
  | 'getAppPath'
  | 'getVersion'
  | 'getLoginItemSettings'
  | 'setLoginItemSettings'
  | 'setBadgeCount';

class StubApp extends EventEmitter implements Pick<E.App, AppMembers> {
  isPackaged = false;
  paths: Record<string, string> = {};
  quitCalls = 0;
  badge = 0;
  setPath(name: string, p: string) {
    this.paths[name] = p;
  }
  setAppUserModelId(id: string) {
    record('app.setAppUserModelId', id);
  }
  requestSingleInstanceLock() {
    record('app.requestSingleInstanceLock');
    return true;
  }
  whenReady() {
    record('app.whenReady');
    return Promise.resolve();
  }
  quit() {
    this.quitCalls++;
    // Electron asks 'will-quit' listeners, which may postpone quitting.
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => undefined });
    this.emit('will-quit', { preventDefault: () => (prevented = true) });
    record('app.quit', prevented ? 'postponed' : 'done');
    if (!prevented) this.emit('__quit-done');
  }
  isDefaultProtocolClient() {
    return false;
  }
  getApplicationNameForProtocol() {
    return '';
  }
  setAsDefaultProtocolClient(scheme: string, ...rest: unknown[]) {
    record('app.setAsDefaultProtocolClient', scheme, ...rest);
    return true;
  }
  getAppPath() {
    return process.cwd();
  }
  getVersion() {
    return '0.0.0-stub';
  }
  getLoginItemSettings(): E.LoginItemSettings {
    return { openAtLogin: false, wasOpenedAtLogin: false, status: 'not-registered', executableWillLaunchAtLogin: false, launchItems: [] };
  }
  setLoginItemSettings(s: object) {
    record('app.setLoginItemSettings', s);
  }
  setBadgeCount(n: number) {
    this.badge = n;
    return true;
  }
}
export const app = new StubApp();

type IpcHandler = Parameters<E.IpcMain['handle']>[1];
/** Tests drive the handlers with stand-in events (only `sender` and `senderFrame`), hence `unknown`. */
export const ipcHandlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
export const ipcMain = {
  handle(channel: string, h: IpcHandler) {
    ipcHandlers.set(channel, h as (event: unknown, ...args: unknown[]) => unknown);
  },
  removeHandler(channel: string) {
    ipcHandlers.delete(channel);
  },
} satisfies Pick<E.IpcMain, 'handle' | 'removeHandler'>;

export const protocolHandlers = new Map<string, (r: Request) => Promise<Response>>();
export const protocol = {
  registerSchemesAsPrivileged(schemes: unknown[]) {
    record('protocol.registerSchemesAsPrivileged', schemes);
  },
  handle(scheme: string, h: (r: Request) => Promise<Response>) {
    protocolHandlers.set(scheme, h);
  },
} satisfies Pick<E.Protocol, 'registerSchemesAsPrivileged' | 'handle'>;

export const permissionHandlers: { request?: Listener; check?: (...a: unknown[]) => boolean } = {};
export const session = {
  defaultSession: {
    setPermissionRequestHandler(h: Listener) {
      permissionHandlers.request = h;
    },
    setPermissionCheckHandler(h: (...a: unknown[]) => boolean) {
      permissionHandlers.check = h;
    },
  } satisfies Pick<E.Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>,
};

export const shell = {
  openExternal(url: string) {
    record('shell.openExternal', url);
    return Promise.resolve();
  },
} satisfies Pick<E.Shell, 'openExternal'>;

export const screen = {
  getCursorScreenPoint: () => ({ x: 10, y: 10 }),
  getDisplayNearestPoint: (): E.Display => ({
    id: 1,
    label: 'stub',
    bounds: { x: 0, y: 0, width: 1280, height: 800 },
    workArea: { x: 0, y: 0, width: 1280, height: 800 },
    size: { width: 1280, height: 800 },
    workAreaSize: { width: 1280, height: 800 },
    nativeOrigin: { x: 0, y: 0 },
    maximumCursorSize: { width: 0, height: 0 },
    scaleFactor: 1,
    rotation: 0,
    internal: false,
    detected: true,
    monochrome: false,
    colorDepth: 24,
    colorSpace: '',
    depthPerComponent: 8,
    displayFrequency: 60,
    accelerometerSupport: 'unknown',
    touchSupport: 'unknown',
  }),
} satisfies Pick<E.Screen, 'getCursorScreenPoint' | 'getDisplayNearestPoint'>;

export class Tray extends EventEmitter implements Pick<E.Tray, 'setImage' | 'setToolTip' | 'setContextMenu' | 'destroy'> {
  static last: Tray | null = null;
  image: unknown;
  tooltip = '';
  menu: unknown;
  constructor(image: unknown) {
    super();
    this.image = image;
    Tray.last = this;
  }
  setImage(i: unknown) {
    this.image = i;
  }
  setToolTip(t: string) {
    this.tooltip = t;
  }
  setContextMenu(m: unknown) {
    this.menu = m;
  }
  destroy() {}
}

/**
 * Menus and images are opaque to the code under test (it only hands them to the tray
 * or the application menu), so the stand-ins are plain records cast to Electron's
 * types; the arguments are still checked against electron.d.ts.
 */
export const Menu = {
  buildFromTemplate: (template: (E.MenuItemConstructorOptions | E.MenuItem)[]) => ({ template }) as unknown as E.Menu,
  setApplicationMenu: (m: unknown) => record('Menu.setApplicationMenu', m),
} satisfies Pick<typeof E.Menu, 'buildFromTemplate' | 'setApplicationMenu'>;

export const nativeImage = {
  createFromPath: (p: string) => ({ path: p, setTemplateImage() {} }) as unknown as E.NativeImage,
} satisfies Pick<typeof E.nativeImage, 'createFromPath'>;

export const nativeTheme = Object.assign(new EventEmitter(), {
  shouldUseDarkColors: true,
  shouldUseDarkColorsForSystemIntegratedUI: true,
} satisfies Pick<E.NativeTheme, 'shouldUseDarkColors' | 'shouldUseDarkColorsForSystemIntegratedUI'>);

export class Notification extends EventEmitter implements Pick<E.Notification, 'show' | 'close'> {
  static readonly all: Notification[] = [];
  static handleActivation(_cb: unknown) {}
  shown = false;
  closed = false;
  constructor(readonly options: Record<string, unknown>) {
    super();
    Notification.all.push(this);
  }
  show() {
    this.shown = true;
    changed();
  }
  close() {
    this.closed = true;
    changed();
  }
}

export const powerMonitor = new EventEmitter();
const blockers = new Set<number>();
let nextBlocker = 1;
export const powerSaveBlocker = {
  start(type: string) {
    record('powerSaveBlocker.start', type);
    const id = nextBlocker++;
    blockers.add(id);
    return id;
  },
  stop(id: number) {
    const stopped = blockers.delete(id);
    changed();
    return stopped;
  },
  isStarted(id: number) {
    return blockers.has(id);
  },
  /** Test-only: how many blockers are running. */
  get active() {
    return blockers.size;
  },
} satisfies Pick<E.PowerSaveBlocker, 'start' | 'stop' | 'isStarted'> & { readonly active: number };

export const globalShortcut = {
  registered: new Set<string>(),
  register(acc: string) {
    this.registered.add(acc);
    return true;
  },
  unregister(acc: string) {
    this.registered.delete(acc);
  },
} satisfies Pick<E.GlobalShortcut, 'register' | 'unregister'> & { registered: Set<string> };

/** No OS keystore here: the app must fall back to storing the session unencrypted, and say so. */
export const safeStorage = {
  isEncryptionAvailable: () => false,
  getSelectedStorageBackend: () => 'basic_text',
  encryptString: (s: string) => Buffer.from(s),
  decryptString: (b: Buffer) => b.toString(),
} satisfies Pick<E.SafeStorage, 'isEncryptionAvailable' | 'getSelectedStorageBackend' | 'encryptString' | 'decryptString'>;

export const electron = {
  app,
  BrowserWindow,
  ipcMain,
  protocol,
  session,
  shell,
  screen,
  Tray,
  Menu,
  nativeImage,
  nativeTheme,
  Notification,
  powerMonitor,
  powerSaveBlocker,
  globalShortcut,
  safeStorage,
};

/** electron-store's surface, in memory. */
export class MemoryElectronStore {
  static readonly data = new Map<string, unknown>();
  constructor(readonly options: object) {}
  get(key: string) {
    return structuredClone(MemoryElectronStore.data.get(key));
  }
  set(key: string, value: unknown) {
    MemoryElectronStore.data.set(key, structuredClone(value));
  }
  delete(key: string) {
    MemoryElectronStore.data.delete(key);
  }
}
