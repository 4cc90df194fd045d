/**
 * Which device this tab of the web softphone is.
 *
 * The server keeps one connection per device id (a new connection of a
 * device replaces the old one), so two tabs of one browser profile must not
 * share an id: they would knock each other off, and only one would ring.
 * Each tab claims one of a few numbered slots with the Web Locks API and
 * holds the lock for as long as the tab lives (the browser releases it when
 * the tab closes, reloads or crashes). Each slot has an id kept in
 * localStorage, so a reloaded or reopened tab is the same device again
 * (slot 0 keeps the key older versions used). With every slot taken, or
 * without Web Locks, a tab uses an id of its own kept in sessionStorage
 * (per tab, survives reloads).
 */
import { log } from '../log.js';

/** Tabs of one profile that share lasting device ids; further tabs use ids of their own. */
export const TAB_DEVICE_SLOTS = 8;

const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const LOCK_PREFIX = 'softphone-device-';
const KEY = 'softphone:deviceId';

export interface TabDevice {
  deviceId: string;
  /** The slot this tab holds (0 = the profile's first tab); null for a tab's own id. */
  slot: number | null;
}

/** The parts of the Web Locks API used here (`navigator.locks`). */
export interface Locks {
  request(name: string, options: { ifAvailable: true }, callback: (lock: unknown) => unknown): Promise<unknown>;
}

/** The localStorage key of a slot's device id. */
export function slotKey(slot: number): string {
  return slot === 0 ? KEY : `${KEY}:${slot}`;
}

function newId(): string {
  return `web-${crypto.randomUUID()}`;
}

function storedId(storage: Storage, key: string): string {
  let id = storage.getItem(key);
  if (!id || !ID_RE.test(id)) {
    id = newId();
    storage.setItem(key, id);
  }
  return id;
}

/** Takes the lock if nobody holds it, and keeps it until the page goes away. */
function hold(locks: Locks, name: string): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    locks
      .request(name, { ifAvailable: true }, (lock) => {
        if (!lock) {
          resolve(false);
          return undefined;
        }
        resolve(true);
        // Never settles: the lock is released only with the page.
        return new Promise<never>(() => undefined);
      })
      .catch(reject);
  });
}

export async function claimTabDevice(
  storage: Storage,
  tabStorage: Storage,
  locks: Locks | undefined = globalThis.navigator?.locks,
  slots = TAB_DEVICE_SLOTS,
): Promise<TabDevice> {
  if (locks) {
    try {
      for (let slot = 0; slot < slots; slot++) {
        if (await hold(locks, `${LOCK_PREFIX}${slot}`)) return { deviceId: storedId(storage, slotKey(slot)), slot };
      }
      // Every slot is taken. A duplicated tab starts with a copy of its original's
      // sessionStorage: the lock on the id tells them apart.
      let id = storedId(tabStorage, KEY);
      if (!(await hold(locks, `${LOCK_PREFIX}${id}`))) {
        id = newId();
        tabStorage.setItem(KEY, id);
        await hold(locks, `${LOCK_PREFIX}${id}`);
      }
      return { deviceId: id, slot: null };
    } catch (err) {
      // e.g. a SecurityError in an opaque origin.
      log.warn('Web Locks unavailable: this tab keeps a device id of its own', err);
    }
  }
  return { deviceId: storedId(tabStorage, KEY), slot: null };
}
