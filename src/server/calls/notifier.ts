import type { ServerEventName, ServerEventPayload } from '../../shared/protocol/index.js';

/** Where server events go: a device, all devices of a user, or presence watchers. */
export interface Notifier {
  toDevice<E extends ServerEventName>(deviceId: string, event: E, payload: ServerEventPayload<E>): void;
  toUser<E extends ServerEventName>(
    userId: string,
    event: E,
    payload: ServerEventPayload<E>,
    exceptDeviceId?: string,
  ): void;
  toPresenceWatchers(userId: string, payload: ServerEventPayload<'presence:changed'>): void;
}

/** socket.io room names. */
export const rooms = {
  user: (userId: string) => `u:${userId}`,
  device: (deviceId: string) => `d:${deviceId}`,
  presence: (userId: string) => `p:${userId}`,
  /** Sockets authenticated by one session (refresh-token family): closed when it is revoked. */
  family: (familyId: string) => `f:${familyId}`,
};
