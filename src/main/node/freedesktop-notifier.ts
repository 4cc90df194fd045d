/**
 * Native notifications on Linux through the freedesktop notification
 * service (org.freedesktop.Notifications on the session bus), with
 * dbus-next — no Electron involved, so the same adapter is exercised
 * against a real notification daemon (dunst) in the tests.
 *
 * Why not Electron's Notification on Linux: it cannot set the hints a
 * call needs (critical urgency so it is not hidden in do-not-disturb
 * queues, `category` call.incoming, `desktop-entry` to tie it to the app),
 * and it does not report which action was invoked on every daemon.
 */
import { sessionBus, Variant, type MessageBus } from 'dbus-next';
import type { CoreLogger } from '../../core/ports.js';
import { silentLogger } from '../../core/ports.js';
import type { Notice, NoticeHandlers, NotificationHandle, NotifierPort } from '../app/ports.js';
import { withTimeout } from '../app/timeout.js';

const SERVICE = 'org.freedesktop.Notifications';
const OBJECT_PATH = '/org/freedesktop/Notifications';

/** Given up front so no Introspect round trip is needed (and daemons without introspection work). */
const INTROSPECTION = `<node>
 <interface name="org.freedesktop.Notifications">
  <method name="Notify">
   <arg type="s" name="app_name" direction="in"/>
   <arg type="u" name="replaces_id" direction="in"/>
   <arg type="s" name="app_icon" direction="in"/>
   <arg type="s" name="summary" direction="in"/>
   <arg type="s" name="body" direction="in"/>
   <arg type="as" name="actions" direction="in"/>
   <arg type="a{sv}" name="hints" direction="in"/>
   <arg type="i" name="expire_timeout" direction="in"/>
   <arg type="u" name="id" direction="out"/>
  </method>
  <method name="CloseNotification"><arg type="u" name="id" direction="in"/></method>
  <method name="GetCapabilities"><arg type="as" name="capabilities" direction="out"/></method>
  <method name="GetServerInformation">
   <arg type="s" name="name" direction="out"/>
   <arg type="s" name="vendor" direction="out"/>
   <arg type="s" name="version" direction="out"/>
   <arg type="s" name="spec_version" direction="out"/>
  </method>
  <signal name="NotificationClosed"><arg type="u" name="id"/><arg type="u" name="reason"/></signal>
  <signal name="ActionInvoked"><arg type="u" name="id"/><arg type="s" name="action_key"/></signal>
 </interface>
</node>`;

/** The proxy dbus-next builds from INTROSPECTION, typed. */
interface NotificationsProxy {
  Notify(
    appName: string,
    replacesId: number,
    icon: string,
    summary: string,
    body: string,
    actions: string[],
    hints: Record<string, Variant>,
    expireTimeout: number,
  ): Promise<number>;
  CloseNotification(id: number): Promise<void>;
  GetCapabilities(): Promise<string[]>;
  GetServerInformation(): Promise<string[]>;
  on(signal: 'ActionInvoked', listener: (id: number, actionKey: string) => void): unknown;
  on(signal: 'NotificationClosed', listener: (id: number, reason: number) => void): unknown;
}

/** A daemon that does not answer within this is treated as gone (the caller falls back). */
const CALL_TIMEOUT_MS = 3_000;

/** freedesktop urgency levels (the `urgency` hint is a byte). */
const URGENCY = { low: 0, normal: 1, critical: 2 } as const;
const CLOSE_REASONS = { 1: 'expired', 2: 'dismissed', 3: 'closed' } as const;

export interface FreedesktopNotifierOptions {
  appName: string;
  /** The .desktop file name without `.desktop`; must match the installed entry. */
  desktopEntry: string;
  /** Icon file path or icon-theme name. */
  icon?: string;
  /** Defaults to DBUS_SESSION_BUS_ADDRESS. */
  busAddress?: string;
  log?: CoreLogger;
}

/** What a notice becomes on the wire; exported so tests can check the exact call. */
export function notifyArguments(
  notice: Notice,
  o: Pick<FreedesktopNotifierOptions, 'appName' | 'desktopEntry' | 'icon'>,
  replacesId = 0,
  bodyMarkup = true,
) {
  const actions: string[] = [];
  // 'default' is the body click (missed calls open the history); an incoming
  // call offers exactly Answer and Decline.
  if (notice.kind !== 'incoming-call') actions.push('default', 'Open');
  for (const a of notice.actions) actions.push(a.key, a.label);
  const hints: Record<string, Variant> = {
    urgency: new Variant('y', URGENCY[notice.urgency]),
    'desktop-entry': new Variant('s', o.desktopEntry),
    category: new Variant('s', notice.kind === 'incoming-call' ? 'call.incoming' : 'call.unanswered'),
  };
  if (notice.kind === 'incoming-call') {
    // The renderer plays the ringtone on the chosen device and stops it with the call.
    hints['suppress-sound'] = new Variant('b', true);
    hints.resident = new Variant('b', true);
  }
  return {
    appName: o.appName,
    replacesId,
    icon: o.icon ?? '',
    summary: notice.title,
    body: bodyMarkup ? escapeMarkup(notice.body) : notice.body,
    actions,
    hints,
    // 0 = never expires: a ringing call stays until we close it.
    expireTimeout: notice.persistent ? 0 : -1,
  };
}

/** Daemons with the body-markup capability parse the body: names are plain text. */
export function escapeMarkup(s: string): string {
  return s.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);
}

export class FreedesktopNotifier implements NotifierPort {
  private readonly handlers = new Map<number, NoticeHandlers>();
  private readonly byTag = new Map<string, number>();
  private readonly log: CoreLogger;
  private closed = false;
  private broken = false;

  private constructor(
    private readonly bus: MessageBus,
    private readonly iface: NotificationsProxy,
    private readonly opts: FreedesktopNotifierOptions,
    readonly capabilities: string[],
    readonly server: { name: string; vendor: string; version: string; specVersion: string },
  ) {
    this.log = opts.log ?? silentLogger;
    iface.on('ActionInvoked', (id: number, key: string) => this.onAction(id, key));
    iface.on('NotificationClosed', (id: number, reason: number) => this.onClosed(id, reason));
    bus.on('error', (err) => {
      // The bus went away (session ending, daemon crash): fail fast from now on.
      this.broken = true;
      this.log.warn('session bus error', { error: String(err) });
    });
  }

  /** Connects to the session bus and the notification service; throws when there is none. */
  static async connect(opts: FreedesktopNotifierOptions): Promise<FreedesktopNotifier> {
    const bus = sessionBus(opts.busAddress ? { busAddress: opts.busAddress } : undefined);
    // A bus that cannot be reached reports it as an 'error' event: without a
    // listener that would crash the process; here it rejects the connect.
    let onError!: (err: unknown) => void;
    const failed = new Promise<never>((_, reject) => {
      onError = (err) => reject(err instanceof Error ? err : new Error(String(err)));
    });
    bus.on('error', onError);
    try {
      const connected = (async () => {
        const proxy = await bus.getProxyObject(SERVICE, OBJECT_PATH, INTROSPECTION);
        const iface = proxy.getInterface(SERVICE) as unknown as NotificationsProxy;
        const [name, vendor, version, specVersion] = await iface.GetServerInformation();
        const capabilities = await iface.GetCapabilities();
        return new FreedesktopNotifier(bus, iface, opts, capabilities, {
          name: name ?? '',
          vendor: vendor ?? '',
          version: version ?? '',
          specVersion: specVersion ?? '',
        });
      })();
      return await Promise.race([connected, failed]);
    } catch (err) {
      bus.disconnect();
      throw err;
    } finally {
      bus.off('error', onError);
    }
  }

  /** The daemon draws buttons; without this capability only the ringing window offers Answer. */
  get supportsActions(): boolean {
    return this.capabilities.includes('actions');
  }

  async show(notice: Notice, handlers: NoticeHandlers): Promise<NotificationHandle> {
    if (this.closed || this.broken) throw new Error('the notification service is not reachable');
    const replaces = this.byTag.get(notice.tag) ?? 0;
    const a = notifyArguments(notice, this.opts, replaces, this.capabilities.includes('body-markup'));
    const id = await withTimeout(
      this.iface.Notify(a.appName, a.replacesId, a.icon, a.summary, a.body, a.actions, a.hints, a.expireTimeout),
      CALL_TIMEOUT_MS,
      'Notify',
    );
    if (replaces && replaces !== id) this.handlers.delete(replaces);
    this.handlers.set(id, handlers);
    this.byTag.set(notice.tag, id);
    return { close: () => this.close(id) };
  }

  /** Removes a notification (ringing stopped). Safe to call twice. */
  async close(id: number): Promise<void> {
    if (this.closed || !this.handlers.has(id)) return;
    try {
      await withTimeout(this.iface.CloseNotification(id), CALL_TIMEOUT_MS, 'CloseNotification');
    } catch (err) {
      // Already gone on the daemon's side.
      this.log.debug('CloseNotification failed', { id, error: String(err) });
    }
    this.forget(id, 'closed');
  }

  disconnect(): void {
    this.closed = true;
    this.handlers.clear();
    this.byTag.clear();
    this.bus.disconnect();
  }

  private onAction(id: number, key: string): void {
    const h = this.handlers.get(id);
    if (!h) return;
    if (key === 'default') h.onClick?.();
    else h.onAction?.(key);
  }

  private onClosed(id: number, reason: number): void {
    this.forget(id, CLOSE_REASONS[reason as 1 | 2 | 3] ?? 'unknown');
  }

  private forget(id: number, reason: 'expired' | 'dismissed' | 'closed' | 'unknown'): void {
    const h = this.handlers.get(id);
    if (!h) return;
    this.handlers.delete(id);
    for (const [tag, tid] of this.byTag) if (tid === id) this.byTag.delete(tag);
    h.onClosed?.(reason);
  }
}
