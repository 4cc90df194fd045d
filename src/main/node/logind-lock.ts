/**
 * Linux screen lock for auto-away: systemd-logind's `LockedHint` on the user's session
 * (org.freedesktop.login1 on the system bus), set by every common screen locker (GNOME,
 * KDE, light-locker, xss-lock, swaylock via logind) — Electron's powerMonitor has no
 * lock events on Linux. Uses dbus-next, already the app's D-Bus client for notifications,
 * so no new dependency. No Electron here.
 *
 * The session is found from XDG_SESSION_ID (GetSession) or else this process
 * (GetSessionByPID); property changes are signalled from that session's own object path.
 */
import { systemBus, type MessageBus, type Variant } from 'dbus-next';
import type { CoreLogger } from '../../core/ports.js';
import { silentLogger } from '../../core/ports.js';
import { withTimeout } from '../app/timeout.js';

const SERVICE = 'org.freedesktop.login1';
const MANAGER_PATH = '/org/freedesktop/login1';
const MANAGER = 'org.freedesktop.login1.Manager';
const SESSION = 'org.freedesktop.login1.Session';
const PROPERTIES = 'org.freedesktop.DBus.Properties';
const CALL_TIMEOUT_MS = 3_000;

const MANAGER_XML = `<node>
 <interface name="${MANAGER}">
  <method name="GetSession"><arg type="s" direction="in"/><arg type="o" direction="out"/></method>
  <method name="GetSessionByPID"><arg type="u" direction="in"/><arg type="o" direction="out"/></method>
 </interface>
</node>`;

const SESSION_XML = `<node>
 <interface name="${PROPERTIES}">
  <method name="Get"><arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="v" direction="out"/></method>
  <signal name="PropertiesChanged"><arg type="s"/><arg type="a{sv}"/><arg type="as"/></signal>
 </interface>
</node>`;

interface ManagerProxy {
  GetSession(id: string): Promise<string>;
  GetSessionByPID(pid: number): Promise<string>;
}

interface PropertiesProxy {
  Get(iface: string, name: string): Promise<Variant<boolean>>;
  on(signal: 'PropertiesChanged', listener: (iface: string, changed: Record<string, Variant>, invalidated: string[]) => void): unknown;
}

export interface LogindLockWatch {
  /** The current LockedHint. */
  locked: boolean;
  close(): void;
}

export interface LogindLockOptions {
  onChange(locked: boolean): void;
  log?: CoreLogger;
  /** A bus to use (tests); defaults to the system bus. */
  bus?: MessageBus;
  sessionId?: string;
  pid?: number;
}

/** Starts watching LockedHint; rejects when logind or the session cannot be reached. */
export async function watchLogindLock(o: LogindLockOptions): Promise<LogindLockWatch> {
  const log = o.log ?? silentLogger;
  const bus = o.bus ?? systemBus();
  // An unreachable bus reports an 'error' event: without a listener that would crash the
  // process. While connecting it rejects; afterwards it is logged (auto-away then follows
  // the idle time only).
  let connecting = true;
  let onError!: (err: unknown) => void;
  const failed = new Promise<never>((_, reject) => {
    onError = (err) => {
      if (connecting) reject(err instanceof Error ? err : new Error(String(err)));
      else log.warn('system bus error: the lock hint is no longer watched', { error: String(err) });
    };
  });
  failed.catch(() => undefined);
  bus.on('error', onError);
  try {
    const watch = await Promise.race([connect(bus, o, log), failed]);
    connecting = false;
    return watch;
  } catch (err) {
    bus.disconnect();
    throw err;
  }
}

async function connect(bus: MessageBus, o: LogindLockOptions, log: CoreLogger): Promise<LogindLockWatch> {
  const managerObj = await withTimeout(bus.getProxyObject(SERVICE, MANAGER_PATH, MANAGER_XML), CALL_TIMEOUT_MS, 'logind');
  const manager = managerObj.getInterface(MANAGER) as unknown as ManagerProxy;
  const sessionId = o.sessionId ?? process.env.XDG_SESSION_ID;
  const path = await withTimeout(
    sessionId ? manager.GetSession(sessionId) : manager.GetSessionByPID(o.pid ?? process.pid),
    CALL_TIMEOUT_MS,
    'logind session',
  );
  const sessionObj = await withTimeout(bus.getProxyObject(SERVICE, path, SESSION_XML), CALL_TIMEOUT_MS, 'logind session');
  const props = sessionObj.getInterface(PROPERTIES) as unknown as PropertiesProxy;
  const watch: LogindLockWatch = {
    locked: Boolean((await withTimeout(props.Get(SESSION, 'LockedHint'), CALL_TIMEOUT_MS, 'LockedHint')).value),
    close: () => bus.disconnect(),
  };
  props.on('PropertiesChanged', (iface, changed) => {
    if (iface !== SESSION || !('LockedHint' in changed)) return;
    const locked = Boolean(changed.LockedHint.value);
    if (locked === watch.locked) return;
    watch.locked = locked;
    o.onChange(locked);
  });
  log.info('watching the logind lock hint', { session: path, locked: watch.locked });
  return watch;
}
