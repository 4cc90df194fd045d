/**
 * A recording stand-in for the slice of Electron's main-process API that
 * src/main/platform uses, so the composition root (bootstrap) runs in plain
 * Node against a real server: windows, IPC, the app:// protocol, the tray,
 * notifications and power events are recorded and can be driven. It is
 * not Electron — the real-Electron suite is tests/e2e/electron-app.test.ts.
 */
import { EventEmitter } from 'node:events';

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

export class StubWebContents extends EventEmitter {
  readonly id = nextWebContentsId++;
  url = '';
  destroyed = false;
  readonly sent: { channel: string; args: unknown[] }[] = [];
  windowOpenHandler: ((d: { url: string }) => { action: string }) | null = null;
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
  setWindowOpenHandler(h: (d: { url: string }) => { action: string }): void {
    this.windowOpenHandler = h;
  }
}

export class BrowserWindow extends EventEmitter {
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

class StubApp extends EventEmitter {
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
  getLoginItemSettings() {
    return { openAtLogin: false, wasOpenedAtLogin: false };
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

export const ipcHandlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
export const ipcMain = {
  handle(channel: string, h: (event: unknown, ...args: unknown[]) => unknown) {
    ipcHandlers.set(channel, h);
  },
  removeHandler(channel: string) {
    ipcHandlers.delete(channel);
  },
};

export const protocolHandlers = new Map<string, (r: Request) => Promise<Response>>();
export const protocol = {
  registerSchemesAsPrivileged(schemes: unknown[]) {
    record('protocol.registerSchemesAsPrivileged', schemes);
  },
  handle(scheme: string, h: (r: Request) => Promise<Response>) {
    protocolHandlers.set(scheme, h);
  },
};

export const permissionHandlers: { request?: Listener; check?: (...a: unknown[]) => boolean } = {};
export const session = {
  defaultSession: {
    setPermissionRequestHandler(h: Listener) {
      permissionHandlers.request = h;
    },
    setPermissionCheckHandler(h: (...a: unknown[]) => boolean) {
      permissionHandlers.check = h;
    },
  },
};

export const shell = {
  openExternal(url: string) {
    record('shell.openExternal', url);
    return Promise.resolve();
  },
};

export const screen = {
  getCursorScreenPoint: () => ({ x: 10, y: 10 }),
  getDisplayNearestPoint: () => ({ workArea: { x: 0, y: 0, width: 1280, height: 800 } }),
};

export class Tray extends EventEmitter {
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

export const Menu = {
  buildFromTemplate: (template: unknown) => ({ template }),
  setApplicationMenu: (m: unknown) => record('Menu.setApplicationMenu', m),
};

export const nativeImage = {
  createFromPath: (p: string) => ({ path: p, setTemplateImage() {} }),
};

export const nativeTheme = Object.assign(new EventEmitter(), { shouldUseDarkColors: true, shouldUseDarkColorsForSystemIntegratedUI: true });

export class Notification extends EventEmitter {
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
    blockers.delete(id);
    changed();
  },
  isStarted(id: number) {
    return blockers.has(id);
  },
  get active() {
    return blockers.size;
  },
};

export const globalShortcut = {
  registered: new Set<string>(),
  register(acc: string) {
    this.registered.add(acc);
    return true;
  },
  unregister(acc: string) {
    this.registered.delete(acc);
  },
};

/** No OS keystore here: the app must fall back to storing the session unencrypted, and say so. */
export const safeStorage = {
  isEncryptionAvailable: () => false,
  getSelectedStorageBackend: () => 'basic_text',
  encryptString: (s: string) => Buffer.from(s),
  decryptString: (b: Buffer) => b.toString(),
};

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
