/**
 * Chooses the host at start-up: the core runs outside the page when a
 * `window.softphone` exists (Electron preload, headless harness); otherwise
 * the page builds the web softphone host itself. Either way the renderer gets
 * one `SoftphoneApi` whose events and responses are parsed with the contract.
 */
import {
  hostEvents,
  hostRequests,
  type HostInfo,
  type SoftphoneApi,
} from '../../shared/contract.js';
import { log } from '../log.js';

export interface Host {
  api: SoftphoneApi;
  info: HostInfo;
}

/** Wraps an API so every event and response is checked against the contract. */
export function checkedApi(raw: SoftphoneApi): SoftphoneApi {
  return {
    async invoke(channel, payload) {
      const result: unknown = await raw.invoke(channel, payload);
      const parsed = hostRequests[channel].response.safeParse(result);
      if (!parsed.success) throw Object.assign(new Error(`malformed ${channel} response from the host`), { code: 'internal' });
      return parsed.data as never;
    },
    on(event, listener) {
      const schema = hostEvents[event];
      return raw.on(event, (payload) => {
        const parsed = schema.safeParse(payload);
        if (parsed.success) listener(parsed.data as never);
        else log.warn(`dropped malformed ${String(event)} event from the host`);
      });
    },
  };
}

export async function selectHost(): Promise<Host> {
  let raw = window.softphone;
  if (!raw) {
    const { createWebHost } = await import('./web-host.js');
    raw = (await createWebHost()).api;
  }
  const api = checkedApi(raw);
  const info = await api.invoke('host.info', {});
  return { api, info };
}
