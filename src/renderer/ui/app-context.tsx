/** What every view needs: the host API, host info and the renderer's stores. */
import { createContext, useContext, useSyncExternalStore } from 'react';
import type { DeviceSettings, HostInfo, SessionState, SoftphoneApi } from '../../shared/contract.js';
import type { MediaEngine, MediaStatuses } from '../media/media-engine.js';
import type { SessionStore } from '../state/session-store.js';
import type { SettingsCache } from '../state/settings-store.js';

export interface AppServices {
  api: SoftphoneApi;
  info: HostInfo;
  session: SessionStore;
  settings: SettingsCache;
  /** Absent in windows that do not run media (the ringing window). */
  media: MediaEngine | null;
}

export const AppContext = createContext<AppServices | null>(null);

export function useServices(): AppServices {
  const s = useContext(AppContext);
  if (!s) throw new Error('AppContext missing');
  return s;
}

export function useSession(): SessionState | null {
  const { session } = useServices();
  return useSyncExternalStore(session.subscribe, session.getSnapshot);
}

export function useDeviceSettings(): DeviceSettings {
  const { settings } = useServices();
  return useSyncExternalStore(settings.subscribe, settings.getSnapshot);
}

const NO_MEDIA: MediaStatuses = new Map();
const noSubscribe = () => () => undefined;

export function useMediaStatuses(): MediaStatuses {
  const { media } = useServices();
  return useSyncExternalStore(media?.subscribe ?? noSubscribe, media?.getSnapshot ?? (() => NO_MEDIA));
}
