/**
 * The host globals src/core may use, and only the parts of them it uses.
 *
 * The core runs in Electron's main process, in plain Node and in a web page, so
 * tsconfig.core.json gives it neither the DOM nor Node's typings (`lib: ES2023`,
 * `types: []`). Everything below exists with the same meaning in all three hosts
 * (WHATWG timers, fetch, URL, AbortController, structuredClone, crypto.randomUUID).
 * Adding a global here is a design decision: prefer passing the capability in
 * through a port (src/core/ports.ts). There is deliberately no `console`: the core
 * logs through the injected CoreLogger.
 *
 * This file is seen only by tsconfig.core.json; the other projects use the real
 * DOM / Node declarations, which these are a compatible subset of.
 */

/** Node returns an object, a browser a number: the core only hands it back to clear*(). */
interface CoreTimerHandle {
  readonly __coreTimerHandle?: never;
}
declare function setTimeout(callback: () => void, ms?: number): CoreTimerHandle;
declare function clearTimeout(handle: CoreTimerHandle | undefined): void;
declare function setInterval(callback: () => void, ms?: number): CoreTimerHandle;
declare function clearInterval(handle: CoreTimerHandle | undefined): void;
declare function queueMicrotask(callback: () => void): void;

declare function structuredClone<T>(value: T): T;

// `var`, not `const`: only a var is a property of globalThis (the core writes globalThis.crypto).
// eslint-disable-next-line no-var
declare var crypto: { randomUUID(): string };

declare class URL {
  constructor(url: string | URL, base?: string | URL);
  readonly href: string;
  readonly origin: string;
  readonly protocol: string;
  readonly host: string;
  readonly pathname: string;
  toString(): string;
}

interface AbortSignal {
  readonly aborted: boolean;
}
declare class AbortController {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
}

interface RequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}
interface Response {
  readonly ok: boolean;
  readonly status: number;
  json(): Promise<unknown>;
}
declare function fetch(input: string | URL, init?: RequestInit): Promise<Response>;
