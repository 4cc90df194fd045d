/**
 * The renderer's one API object, `window.softphone` (SoftphoneApi in
 * src/shared/contract.ts), built from two halves:
 *
 * - `createRawBridge` runs in the preload's isolated world and is the only
 *   code that touches ipcRenderer: requests go to the one IPC channel,
 *   events come back filtered to the contract's event names.
 * - `installSoftphoneApi` runs in the page's main world (serialised by
 *   `contextBridge.executeInMainWorld`) and turns result envelopes into
 *   values or thrown Errors. It must live there: errors copied across the
 *   context bridge keep only their message, and the renderer switches on
 *   `error.code` ('busy', 'gone', 'unauthorized'…).
 *
 * No Electron import here, so both halves are unit-tested in Node.
 */

export interface RawHostResult {
  ok: boolean;
  data?: unknown;
  error?: { code: string; message: string; details?: Record<string, unknown> };
}

export interface RawBridge {
  invoke(channel: string, payload: unknown): Promise<RawHostResult>;
  on(event: string, listener: (payload: unknown) => void): () => void;
}

/** The slice of ipcRenderer the preload uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export interface IpcChannels {
  invoke: string;
  event: string;
}

export function createRawBridge(ipc: IpcRendererLike, channels: IpcChannels, eventNames: readonly string[]): RawBridge {
  const known = new Set(eventNames);
  return {
    async invoke(channel, payload) {
      if (typeof channel !== 'string') return { ok: false, error: { code: 'bad_request', message: 'the request name must be a string' } };
      const result = (await ipc.invoke(channels.invoke, channel, payload)) as RawHostResult | undefined;
      if (!result || typeof result !== 'object' || typeof result.ok !== 'boolean') {
        return { ok: false, error: { code: 'internal', message: 'the host sent an unexpected answer' } };
      }
      return result;
    },
    on(event, listener) {
      if (!known.has(event) || typeof listener !== 'function') return () => undefined;
      // The IpcRendererEvent (with its `sender`) never reaches the page.
      const handler = (_e: unknown, name: unknown, payload: unknown) => {
        if (name === event) listener(payload);
      };
      ipc.on(channels.event, handler);
      return () => {
        ipc.removeListener(channels.event, handler);
      };
    },
  };
}

/**
 * Defines `softphone` on the page's global object. Self-contained on
 * purpose: `executeInMainWorld` serialises the function's source, so it may
 * not refer to anything outside itself.
 */
export function installSoftphoneApi(raw: RawBridge, eventNames: string[], target: object = globalThis): void {
  const names = eventNames.slice();
  const api = {
    async invoke(channel: string, payload: unknown): Promise<unknown> {
      const result = await raw.invoke(channel, payload);
      if (result.ok) return result.data;
      const body = result.error ?? { code: 'internal', message: 'request failed' };
      const err = new Error(body.message) as Error & { code: string; details?: Record<string, unknown> };
      err.name = 'HostError';
      err.code = body.code;
      if (body.details) err.details = body.details;
      throw err;
    },
    on(event: string, listener: (payload: unknown) => void): () => void {
      if (!names.includes(event)) throw new TypeError(`unknown event ${String(event)}`);
      if (typeof listener !== 'function') throw new TypeError('listener must be a function');
      return raw.on(event, listener);
    },
  };
  Object.defineProperty(target, 'softphone', {
    value: Object.freeze(api),
    enumerable: true,
    writable: false,
    configurable: false,
  });
}
