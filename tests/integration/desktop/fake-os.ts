/**
 * Fakes for the desktop's OS ports only (tray, notifier, windows, power,
 * network, login item, shortcuts, shell). Everything behind them — the
 * DesktopApp, the softphone core, socket.io, the server — is real. Every
 * fake reports changes to one FakeOs so tests await conditions instead of
 * sleeping.
 */
import type { DesktopPorts } from '../../../src/main/app/desktop-app.js';
import type {
  LoginItemPort,
  MainWindowPort,
  NetworkPort,
  Notice,
  NoticeHandlers,
  NotificationHandle,
  NotifierPort,
  PowerEvent,
  PowerPort,
  RingingWindowPort,
  ShellPort,
  ShortcutsPort,
  TrayAction,
  TrayModel,
  TrayPort,
} from '../../../src/main/app/ports.js';

type Changed = () => void;

export class FakeNotification {
  closed = false;
  closedBy: 'app' | 'user' | null = null;
  constructor(
    readonly notice: Notice,
    readonly handlers: NoticeHandlers,
    private readonly changed: Changed,
  ) {}
  /** The user pressed a button. */
  invoke(key: string): void {
    this.handlers.onAction?.(key);
  }
  click(): void {
    this.handlers.onClick?.();
  }
  dismissByUser(): void {
    this.closed = true;
    this.closedBy = 'user';
    this.handlers.onClosed?.('dismissed');
    this.changed();
  }
  closeByApp(): void {
    if (this.closed) return;
    this.closed = true;
    this.closedBy = 'app';
    this.changed();
  }
}

export class FakeNotifier implements NotifierPort {
  readonly all: FakeNotification[] = [];
  /** Delays every show() until released (to test close-before-shown races). */
  gate: Promise<void> | null = null;
  constructor(private readonly changed: Changed) {}
  async show(notice: Notice, handlers: NoticeHandlers): Promise<NotificationHandle> {
    if (this.gate) await this.gate;
    // Same tag replaces (like the real services do).
    for (const n of this.all) if (!n.closed && n.notice.tag === notice.tag) n.closeByApp();
    const n = new FakeNotification(structuredClone(notice), handlers, this.changed);
    this.all.push(n);
    this.changed();
    return { close: async () => n.closeByApp() };
  }
  get open(): FakeNotification[] {
    return this.all.filter((n) => !n.closed);
  }
  openOfKind(kind: Notice['kind']): FakeNotification[] {
    return this.open.filter((n) => n.notice.kind === kind);
  }
}

export class FakeMainWindow implements MainWindowPort {
  visible = false;
  focused = false;
  shows = 0;
  constructor(private readonly changed: Changed) {}
  show(): void {
    this.visible = true;
    this.focused = true;
    this.shows++;
    this.changed();
  }
  hide(): void {
    this.visible = false;
    this.focused = false;
    this.changed();
  }
  isVisible(): boolean {
    return this.visible;
  }
  isFocused(): boolean {
    return this.focused;
  }
}

export class FakeRingingWindow implements RingingWindowPort {
  visible = false;
  shows = 0;
  constructor(private readonly changed: Changed) {}
  show(): void {
    this.visible = true;
    this.shows++;
    this.changed();
  }
  hide(): void {
    if (!this.visible) return;
    this.visible = false;
    this.changed();
  }
  isVisible(): boolean {
    return this.visible;
  }
}

export class FakeTray implements TrayPort {
  readonly models: TrayModel[] = [];
  private handler: (a: TrayAction) => void = () => undefined;
  constructor(private readonly changed: Changed) {}
  render(model: TrayModel): void {
    this.models.push(structuredClone(model));
    this.changed();
  }
  onAction(handler: (action: TrayAction) => void): void {
    this.handler = handler;
  }
  get last(): TrayModel | undefined {
    return this.models[this.models.length - 1];
  }
  /** Clicks the menu item that carries this action (it must exist and be enabled). */
  choose(match: (a: TrayAction) => boolean): void {
    const find = (items: TrayModel['menu']): TrayAction | undefined => {
      for (const i of items) {
        if ((i.kind === 'action' || i.kind === 'radio') && i.enabled && match(i.action)) return i.action;
        if (i.kind === 'submenu' && i.enabled) {
          const a = find(i.items);
          if (a) return a;
        }
      }
      return undefined;
    };
    const action = this.last && find(this.last.menu);
    if (!action) throw new Error(`no enabled tray item for that action in ${JSON.stringify(this.last?.menu)}`);
    this.handler(action);
  }
}

export class FakePower implements PowerPort {
  private readonly listeners = new Map<PowerEvent, Set<() => void>>();
  /** Suspension blockers currently held. */
  active = 0;
  started = 0;
  constructor(private readonly changed: Changed) {}
  on(event: PowerEvent, listener: () => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }
  emit(event: PowerEvent): void {
    for (const l of this.listeners.get(event) ?? []) l();
  }
  preventAppSuspension(): () => void {
    this.active++;
    this.started++;
    this.changed();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.changed();
    };
  }
}

export class FakeNetwork implements NetworkPort {
  private readonly listeners = new Set<(online: boolean) => void>();
  onChange(listener: (online: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(online: boolean): void {
    for (const l of this.listeners) l(online);
  }
}

export class FakeLoginItem implements LoginItemPort {
  enabled = false;
  calls: boolean[] = [];
  constructor(private readonly changed: Changed) {}
  async setEnabled(enabled: boolean): Promise<void> {
    this.enabled = enabled;
    this.calls.push(enabled);
    this.changed();
  }
  async isEnabled(): Promise<boolean> {
    return this.enabled;
  }
}

export class FakeShortcuts implements ShortcutsPort {
  readonly registered = new Map<string, () => void>();
  /** Accelerators another app already holds. */
  readonly taken = new Set<string>();
  register(accelerator: string, handler: () => void): boolean {
    if (this.taken.has(accelerator) || this.registered.has(accelerator)) return false;
    this.registered.set(accelerator, handler);
    return true;
  }
  unregister(accelerator: string): void {
    this.registered.delete(accelerator);
  }
  press(accelerator: string): void {
    const h = this.registered.get(accelerator);
    if (!h) throw new Error(`shortcut ${accelerator} is not registered`);
    h();
  }
}

export class FakeShell implements ShellPort {
  badge = 0;
  badges: number[] = [];
  quits = 0;
  constructor(private readonly changed: Changed) {}
  setBadgeCount(count: number): void {
    this.badge = count;
    this.badges.push(count);
    this.changed();
  }
  quit(): void {
    this.quits++;
    this.changed();
  }
}

export class FakeOs {
  private readonly waiters = new Set<() => void>();
  private readonly changed: Changed = () => {
    for (const w of [...this.waiters]) w();
  };
  readonly mainWindow = new FakeMainWindow(this.changed);
  readonly ringingWindow = new FakeRingingWindow(this.changed);
  readonly tray = new FakeTray(this.changed);
  readonly notifier = new FakeNotifier(this.changed);
  readonly power = new FakePower(this.changed);
  readonly network = new FakeNetwork();
  loginItem: LoginItemPort = new FakeLoginItem(this.changed);
  readonly shortcuts = new FakeShortcuts();
  readonly shell = new FakeShell(this.changed);

  get ports(): DesktopPorts {
    return {
      mainWindow: this.mainWindow,
      ringingWindow: this.ringingWindow,
      tray: this.tray,
      notifier: this.notifier,
      power: this.power,
      network: this.network,
      loginItem: this.loginItem,
      shortcuts: this.shortcuts,
      shell: this.shell,
    };
  }

  /** Also re-checks on other sources of change (e.g. a phone's state events). */
  poke(): void {
    this.changed();
  }

  /** Resolves once `predicate` holds (checked now and on every change of a fake). */
  until<T>(predicate: () => T | undefined | false | null, what: string, timeoutMs = 5_000): Promise<T> {
    const now = predicate();
    if (now) return Promise.resolve(now);
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        let v: T | undefined | false | null;
        try {
          v = predicate();
        } catch (err) {
          done();
          reject(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        if (v) {
          done();
          resolve(v);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }
}
