/**
 * Push wake-up, assembled from the server configuration. Without APNs or FCM
 * settings push is off (one log line says so) but registrations are still
 * stored, so turning push on later needs no action from the phones.
 */
import fs from 'node:fs';
import type { Config } from '../config.js';
import type { LiveState } from '../live/types.js';
import type { Logger } from '../logger.js';
import type { Storage } from '../store/types.js';
import { APNS_HOSTS, ApnsSender } from './apns.js';
import type { FcmSender } from './fcm.js';
import { PushRegistrations } from './registrations.js';
import { PushService } from './push-service.js';
import type { PushSender } from './sender.js';

export { PushRegistrations } from './registrations.js';
export { PushService } from './push-service.js';

export interface Push {
  service: PushService;
  registrations: PushRegistrations;
}

export interface PushDeps {
  storage: Storage;
  live: LiveState;
  log: Logger;
  now?: () => number;
}

type PushConfig = Pick<
  Config,
  | 'apnsKeyFile'
  | 'apnsKeyId'
  | 'apnsTeamId'
  | 'apnsBundleId'
  | 'apnsHost'
  | 'fcmServiceAccountFile'
  | 'fcmProjectId'
  | 'fcmHost'
  | 'pushCaFile'
  | 'pushMaxAttempts'
  | 'pushRetryBaseMs'
  | 'pushRequestTimeoutMs'
>;

function readFile(file: string, setting: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${setting} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

async function apnsSender(c: PushConfig, ca: string | undefined, log: Logger, now?: () => number): Promise<ApnsSender | null> {
  const settings = {
    APNS_KEY_FILE: c.apnsKeyFile,
    APNS_KEY_ID: c.apnsKeyId,
    APNS_TEAM_ID: c.apnsTeamId,
    APNS_BUNDLE_ID: c.apnsBundleId.length > 0 ? c.apnsBundleId : undefined,
  };
  const missing = Object.entries(settings).filter(([, v]) => v === undefined).map(([k]) => k);
  if (missing.length === 4) {
    if (c.apnsHost) throw new Error('APNS_HOST is set but APNs is not configured (APNS_KEY_FILE, APNS_KEY_ID, APNS_TEAM_ID, APNS_BUNDLE_ID)');
    return null;
  }
  if (missing.length > 0) throw new Error(`APNs is partly configured; also set ${missing.join(', ')}`);
  return ApnsSender.create(
    {
      keyPem: readFile(c.apnsKeyFile!, 'APNS_KEY_FILE'),
      keyId: c.apnsKeyId!,
      teamId: c.apnsTeamId!,
      bundleIds: c.apnsBundleId,
      host: c.apnsHost,
      ca,
    },
    log,
    now,
  );
}

/** FCM's module loads only when FCM is configured. */
async function fcmSender(c: PushConfig, ca: string | undefined, log: Logger, now?: () => number): Promise<FcmSender | null> {
  if (!c.fcmServiceAccountFile) {
    if (c.fcmProjectId) throw new Error('FCM_PROJECT_ID is set but FCM_SERVICE_ACCOUNT_FILE is not');
    return null;
  }
  const { FcmSender, readServiceAccount } = await import('./fcm.js');
  const serviceAccount = readServiceAccount(c.fcmServiceAccountFile);
  const projectId = c.fcmProjectId ?? serviceAccount.project_id;
  if (!projectId) throw new Error('set FCM_PROJECT_ID (the service-account file names no project_id)');
  return new FcmSender({ serviceAccount, projectId, host: c.fcmHost, ca }, log, now);
}

/** Builds push from the configuration; throws with a clear message on a bad or partial one. */
export async function createPush(c: PushConfig, deps: PushDeps): Promise<Push> {
  const log = deps.log.child({ component: 'push' });
  const ca = c.pushCaFile ? readFile(c.pushCaFile, 'PUSH_CA_FILE') : undefined;
  const apns = await apnsSender(c, ca, log, deps.now);
  const fcm = await fcmSender(c, ca, log, deps.now);
  const senders: PushSender[] = [apns, fcm].filter((s): s is ApnsSender | FcmSender => s !== null);
  const service = new PushService(deps.storage, deps.live, senders, log, {
    maxAttempts: c.pushMaxAttempts,
    retryBaseMs: c.pushRetryBaseMs,
    requestTimeoutMs: c.pushRequestTimeoutMs,
  }, deps.now);
  const registrations = new PushRegistrations(deps.storage, senders, apns ? c.apnsBundleId : [], log, deps.now);

  if (senders.length === 0) {
    log.info(
      { push: 'off' },
      'push notifications off: no APNs or FCM configuration, so phones without a socket are not woken (see docs/mobile.md)',
    );
  } else {
    log.info(
      {
        push: 'on',
        apns: apns
          ? { hosts: c.apnsHost ? [c.apnsHost] : Object.values(APNS_HOSTS), bundleIds: c.apnsBundleId, keyId: c.apnsKeyId }
          : 'off',
        fcm: fcm ? { host: c.fcmHost, projectId: c.fcmProjectId ?? 'from service account' } : 'off',
      },
      'push notifications on',
    );
    service.warm();
  }
  return { service, registrations };
}
