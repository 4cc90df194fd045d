/**
 * Push registration, shared by the socket (`push:register`) and HTTP
 * (`POST /api/push`): a device stores its own APNs / FCM credentials.
 */
import {
  ProtocolError,
  type PushRegisterResponse,
  type PushRegistration,
} from '../../shared/protocol/index.js';
import type { Logger } from '../logger.js';
import type { PushRegistrationRow, Storage } from '../store/types.js';
import { validateE2eKey } from './e2e.js';
import { tokenHint, type PushSender } from './sender.js';

export interface RegisteringDevice {
  userId: string;
  deviceId: string;
  /** The session (refresh-token family) the request was authenticated with. */
  familyId: string;
}

export class PushRegistrations {
  constructor(
    private readonly storage: Storage,
    private readonly senders: PushSender[],
    /** Bundle ids APNs is configured for (empty: any, push is off anyway). */
    private readonly apnsBundleIds: string[],
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async register(who: RegisteringDevice, reg: PushRegistration): Promise<PushRegisterResponse> {
    if (reg.provider === 'apns' && this.apnsBundleIds.length > 0 && !this.apnsBundleIds.includes(reg.bundleId)) {
      throw new ProtocolError('bad_request', `this server does not push to the app ${reg.bundleId}`, {
        bundleIds: this.apnsBundleIds,
      });
    }
    if (reg.e2e) await validateE2eKey(reg.e2e);
    const row: Omit<PushRegistrationRow, 'createdAt' | 'updatedAt'> = {
      deviceId: who.deviceId,
      userId: who.userId,
      familyId: who.familyId,
      provider: reg.provider,
      token: reg.token,
      bundleId: reg.provider === 'apns' ? reg.bundleId : null,
      environment: reg.provider === 'apns' ? reg.environment : null,
      // The row keeps the key's curve; `hpke-v1` is the only scheme with a P-256 key.
      e2e: reg.e2e ? { alg: 'p256', publicKey: reg.e2e.publicKey } : null,
    };
    const saved = await this.storage.push.savePushRegistration(row, this.now());
    const active = this.senders.some((s) => s.accepts(saved));
    this.log.info(
      {
        userId: who.userId,
        deviceId: who.deviceId,
        provider: saved.provider,
        token: tokenHint(saved.token),
        e2e: saved.e2e?.alg ?? null,
        active,
      },
      'push registration saved',
    );
    return { deviceId: saved.deviceId, provider: saved.provider, e2e: saved.e2e !== null, active };
  }

  /** Removes the device's registration; `forbidden` if the device belongs to someone else. */
  async unregister(who: Pick<RegisteringDevice, 'userId' | 'deviceId'>): Promise<boolean> {
    const device = await this.storage.accounts.getDevice(who.deviceId);
    if (device && device.userId !== who.userId) throw new ProtocolError('forbidden', 'this device belongs to another account');
    const removed = await this.storage.push.removePushRegistration(who.deviceId);
    if (removed) this.log.info({ userId: who.userId, deviceId: who.deviceId }, 'push registration removed');
    return removed;
  }
}
