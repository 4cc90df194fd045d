/**
 * Connects pages of a browser context to a HostBridge running in this Node
 * process, the way the desktop app's preload connects its window to the
 * main process:
 *
 * - requests: `window.softphone.invoke(channel, payload)` calls the exposed
 *   binding `__softphoneInvoke`, which runs `bridge.invoke` and returns the
 *   HostResult envelope; the page unwraps it and throws an Error carrying
 *   `code` (and `details`) on failure, like the preload;
 * - events: every bridge event is pushed into each open page, in order, by
 *   calling a dispatcher the init script installed before any page script.
 */
import type { BrowserContext, Page } from 'playwright-core';
import type { HostBridge } from '../../src/core/host-bridge.js';

/** Runs in the page before its own scripts: the same `window.softphone` shape the preload exposes. */
const INIT_SCRIPT = `(() => {
  const listeners = new Map();
  const dispatch = (event, payload) => {
    for (const listener of [...(listeners.get(event) || [])]) {
      try { listener(payload); } catch (err) { console.error('softphone listener failed', err); }
    }
  };
  Object.defineProperty(window, '__softphoneDispatch', { value: dispatch });
  const api = {
    async invoke(channel, payload) {
      const result = await window.__softphoneInvoke(channel, payload);
      if (result && result.ok) return result.data;
      const body = (result && result.error) || { code: 'internal', message: 'no answer from the host' };
      const err = new Error(body.message);
      err.code = body.code;
      if (body.details) err.details = body.details;
      throw err;
    },
    on(event, listener) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event).add(listener);
      return () => listeners.get(event).delete(listener);
    },
  };
  Object.defineProperty(window, 'softphone', { value: Object.freeze(api) });
})();`;

export interface PageBridge {
  /** Requests the pages made, in order (for assertions). */
  readonly requests: { channel: string; at: number }[];
  detach(): void;
}

export async function attachBridge(context: BrowserContext, bridge: HostBridge): Promise<PageBridge> {
  const requests: { channel: string; at: number }[] = [];
  await context.exposeBinding('__softphoneInvoke', async (_source, channel: unknown, payload: unknown) => {
    requests.push({ channel: String(channel), at: Date.now() });
    return bridge.invoke(channel, payload);
  });
  await context.addInitScript({ content: INIT_SCRIPT });

  // One ordered queue per page: events must arrive in the order the core emitted them.
  const queues = new WeakMap<Page, Promise<void>>();
  const push = (page: Page, event: string, payload: unknown) => {
    const previous = queues.get(page) ?? Promise.resolve();
    const next = previous.then(() =>
      page
        .evaluate(([e, p]) => (window as unknown as { __softphoneDispatch?: (e: string, p: unknown) => void }).__softphoneDispatch?.(e, p), [event, payload] as const)
        // A page that is reloading or closed misses the event, as a reloading window does.
        .then(() => undefined, () => undefined),
    );
    queues.set(page, next);
  };
  const off = bridge.subscribe((event, payload) => {
    for (const page of context.pages()) if (!page.isClosed()) push(page, event, payload);
  });
  return { requests, detach: off };
}
