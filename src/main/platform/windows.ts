/**
 * The app's two windows: the main window and the small ringing window.
 * Both load our renderer from `app://softphone/` with the same locked-down
 * web preferences and the same preload; the main process owns the session,
 * so closing, hiding or reloading a window never costs a call.
 */
import { BrowserWindow, screen, type BrowserWindowConstructorOptions } from 'electron';
import { MAIN_PAGE_URL, PRODUCT_NAME, RINGING_PAGE_URL } from '../app/constants.js';
import type { MainWindowPort, RingingWindowPort } from '../app/ports.js';

export interface WindowOptions {
  preload: string;
  icon?: string;
  devTools: boolean;
}

/** The same locked-down preferences for every window. */
function webPreferences(o: WindowOptions): BrowserWindowConstructorOptions['webPreferences'] {
  return {
    preload: o.preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    // A hidden window still answers calls: its timers and media must not be throttled.
    backgroundThrottling: false,
    // Ringtones and the far end's audio play without a click.
    autoplayPolicy: 'no-user-gesture-required',
    // Middle-click would ask for new windows (denied anyway by the window-open handler).
    disableBlinkFeatures: 'Auxclick',
    navigateOnDragDrop: false,
    spellcheck: false,
    safeDialogs: true,
    devTools: o.devTools,
  };
}


export interface MainWindowHooks {
  /** 'close' was requested: return true to hide to the tray instead. */
  hideOnClose(): boolean;
  /** The page finished loading (the renderer can take commands). */
  loaded(): void;
  /** The page is gone (reload, crash). */
  unloaded(): void;
  /** The window was really closed (not hidden). */
  closed(): void;
}

/** The main window; recreated on demand if it was closed (signed out, macOS). */
export class MainWindow implements MainWindowPort {
  private win: BrowserWindow | null = null;

  constructor(
    private readonly opts: WindowOptions,
    private readonly hooks: MainWindowHooks,
  ) {}

  /** Creates the window (hidden when started at login) and loads the app. */
  create(showWhenReady: boolean): BrowserWindow {
    if (this.win && !this.win.isDestroyed()) return this.win;
    const win = new BrowserWindow({
      width: 420,
      height: 720,
      minWidth: 340,
      minHeight: 520,
      show: false,
      title: PRODUCT_NAME,
      icon: this.opts.icon,
      backgroundColor: '#1b1d23',
      autoHideMenuBar: true,
      webPreferences: webPreferences(this.opts),
    });
    this.win = win;
    if (showWhenReady) win.once('ready-to-show', () => win.show());
    win.on('close', (e) => {
      if (this.hooks.hideOnClose()) {
        e.preventDefault();
        win.hide();
      }
    });
    win.on('closed', () => {
      if (this.win === win) this.win = null;
      this.hooks.unloaded();
      this.hooks.closed();
    });
    win.webContents.on('did-finish-load', () => this.hooks.loaded());
    win.webContents.on('did-start-navigation', (d) => {
      if (d.isMainFrame && !d.isSameDocument) this.hooks.unloaded();
    });
    win.webContents.on('render-process-gone', () => {
      this.hooks.unloaded();
      // The session lives in the main process; only the UI needs to come back.
      if (!win.isDestroyed()) void win.loadURL(MAIN_PAGE_URL);
    });
    void win.loadURL(MAIN_PAGE_URL);
    return win;
  }

  get window(): BrowserWindow | null {
    return this.win && !this.win.isDestroyed() ? this.win : null;
  }

  show(): void {
    const win = this.window ?? this.create(false);
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  }

  hide(): void {
    this.window?.hide();
  }

  isVisible(): boolean {
    const w = this.window;
    return !!w && w.isVisible() && !w.isMinimized();
  }

  isFocused(): boolean {
    return this.window?.isFocused() ?? false;
  }
}

const RINGING_SIZE = { width: 360, height: 132 };
const RINGING_MARGIN = 16;

/**
 * The incoming-call window: small, always on top (above full-screen apps
 * too), on every workspace, and never focused — it must not steal the
 * keyboard from whatever the user is typing into. Created on the first
 * ring and kept hidden between calls so the next ring shows at once.
 */
export class RingingWindow implements RingingWindowPort {
  private win: BrowserWindow | null = null;
  /** Hidden again before its first load finished: do not pop up late. */
  private wanted = false;

  constructor(private readonly opts: WindowOptions) {}

  private ensure(): BrowserWindow {
    if (this.win && !this.win.isDestroyed()) return this.win;
    const win = new BrowserWindow({
      ...RINGING_SIZE,
      show: false,
      frame: false,
      resizable: false,
      minimizable: false,
      maximizable: false,
      fullscreenable: false,
      skipTaskbar: true,
      alwaysOnTop: true,
      // Where supported (Windows, Linux): clicks work, focus never moves here.
      focusable: false,
      title: 'Incoming call',
      icon: this.opts.icon,
      backgroundColor: '#1b1d23',
      webPreferences: webPreferences(this.opts),
    });
    win.setAlwaysOnTop(true, 'screen-saver');
    win.setVisibleOnAllWorkspaces(true, { visibleOnFullScreen: true });
    win.on('closed', () => {
      if (this.win === win) this.win = null;
    });
    void win.loadURL(RINGING_PAGE_URL);
    this.win = win;
    return win;
  }

  show(): void {
    this.wanted = true;
    const win = this.ensure();
    // Bottom-right of the screen the user is working on.
    const display = screen.getDisplayNearestPoint(screen.getCursorScreenPoint());
    const { x, y, width, height } = display.workArea;
    win.setBounds({
      x: Math.round(x + width - RINGING_SIZE.width - RINGING_MARGIN),
      y: Math.round(y + height - RINGING_SIZE.height - RINGING_MARGIN),
      ...RINGING_SIZE,
    });
    if (win.webContents.isLoading()) win.once('ready-to-show', () => this.reveal(win));
    else this.reveal(win);
  }

  private reveal(win: BrowserWindow): void {
    if (win.isDestroyed() || !this.wanted) return;
    win.showInactive();
    win.setAlwaysOnTop(true, 'screen-saver');
  }

  hide(): void {
    this.wanted = false;
    this.window?.hide();
  }

  isVisible(): boolean {
    // Shown, or about to be once its page has loaded.
    return this.wanted && !!this.window;
  }

  get window(): BrowserWindow | null {
    return this.win && !this.win.isDestroyed() ? this.win : null;
  }
}
