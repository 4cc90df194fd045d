/**
 * What the softphone core needs from its host, passed in from outside:
 * Electron's main process, a Node process or a web page each provide these.
 */
export interface KeyValueStore {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface CoreLogger {
  debug(msg: string, data?: Record<string, unknown>): void;
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  error(msg: string, data?: Record<string, unknown>): void;
}

export const silentLogger: CoreLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** An in-memory store (tests, hosts without persistence). */
export class MemoryStore implements KeyValueStore {
  private readonly data = new Map<string, unknown>();
  async get<T>(key: string): Promise<T | undefined> {
    return structuredClone(this.data.get(key)) as T | undefined;
  }
  async set(key: string, value: unknown): Promise<void> {
    this.data.set(key, structuredClone(value));
  }
  async delete(key: string): Promise<void> {
    this.data.delete(key);
  }
}

/**
 * Timers and the clock, passed in so the core's timing (backoff, heartbeat, ring-loss,
 * call timers) runs under fake timers in unit tests. Handles are opaque. The core has
 * neither DOM nor Node types, so the defaults reach the host's globals untyped.
 */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

interface HostTimerGlobals {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** The host's own timers, looked up at each call (so fake timers installed later apply). */
export const hostTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => (globalThis as unknown as HostTimerGlobals).setTimeout(fn, ms),
  clearTimeout: (h) => (globalThis as unknown as HostTimerGlobals).clearTimeout(h),
  setInterval: (fn, ms) => (globalThis as unknown as HostTimerGlobals).setInterval(fn, ms),
  clearInterval: (h) => (globalThis as unknown as HostTimerGlobals).clearInterval(h),
};
