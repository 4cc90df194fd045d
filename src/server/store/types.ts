/**
 * Durable storage interfaces. The embedded default is SQLite (sqlite.ts); a
 * multi-node deployment plugs in another implementation behind the same
 * interfaces. Everything is async so either can sit behind them.
 */
import type {
  CallOutcome,
  DeviceKind,
  Direction,
  EndReason,
  HistoryRecord,
  QueueCallRecord,
  QueueRef,
  Role,
  SetStatus,
  UserSummary,
} from '../../shared/protocol/index.js';
import type { AgentStore } from './agent-types.js';
import type { QueueStore } from './queue-types.js';

export interface UserRow extends UserSummary {
  passwordHash: string;
  status: SetStatus;
  callWaiting: boolean;
  /** Agent / supervisor / admin (docs/agents.md); empty for a plain user. */
  roles: Role[];
  /** Missed calls that ended after this instant count as unseen. */
  lastSeenMissedAt: number;
  createdAt: number;
}

export interface DeviceRow {
  id: string;
  userId: string;
  kind: DeviceKind;
  name: string;
  appVersion: string;
  createdAt: number;
  /** Last connection, to within DEVICE_SEEN_RESOLUTION_MS (src/server/socket/gateway.ts). */
  lastSeenAt: number;
}

export interface RefreshTokenRow {
  tokenHash: string;
  userId: string;
  familyId: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  revokedAt: number | null;
}

export interface AccountStore {
  createUser(user: { id: string; username: string; displayName: string; passwordHash: string }): Promise<UserRow>;
  getUserById(id: string): Promise<UserRow | undefined>;
  getUserByUsername(username: string): Promise<UserRow | undefined>;
  listUsers(): Promise<UserRow[]>;
  /** Case-insensitive match on username or display name, ordered by display name. */
  searchUsers(query: string, limit: number): Promise<UserRow[]>;
  /** Removes the user, their devices, tokens and own history; records a revocation. */
  removeUser(id: string): Promise<boolean>;
  /** Sets a new password hash, revokes every refresh token of the user and records a revocation. */
  setPassword(id: string, passwordHash: string): Promise<void>;
  updateUser(id: string, patch: Partial<Pick<UserRow, 'status' | 'callWaiting' | 'lastSeenMissedAt' | 'displayName'>>): Promise<UserRow | undefined>;

  upsertDevice(device: Omit<DeviceRow, 'createdAt'>): Promise<DeviceRow>;
  getDevice(id: string): Promise<DeviceRow | undefined>;
  listDevices(userId: string): Promise<DeviceRow[]>;
  removeDevice(id: string): Promise<boolean>;

  insertRefreshToken(row: Omit<RefreshTokenRow, 'usedAt' | 'revokedAt'>): Promise<void>;
  getRefreshToken(tokenHash: string): Promise<RefreshTokenRow | undefined>;
  /** Marks the token used; false when it was already used or revoked (atomic). */
  useRefreshToken(tokenHash: string, at: number): Promise<boolean>;
  revokeFamily(familyId: string, at: number): Promise<void>;
  isFamilyRevoked(familyId: string): Promise<boolean>;
  /**
   * Revocations (password change, removal) recorded after `afterId`, oldest first, by any
   * process sharing the store (the CLI runs in its own). Cheap when nothing was written.
   */
  revocationsSince(afterId: number): Promise<RevocationRow[]>;
  /** The id of the newest revocation (0 when none): where a watcher starts. */
  latestRevocationId(): Promise<number>;
}

export interface RevocationRow {
  id: number;
  userId: string;
  at: number;
}

/** The durable trace of a call, written at start, answer and end. */
export interface CallJournalRow {
  callId: string;
  caller: UserSummary;
  callee: UserSummary;
  callerDeviceId: string;
  createdAt: number;
  answeredAt: number | null;
  answeredDeviceId: string | null;
  endedAt: number | null;
  outcome: CallOutcome | null;
  endReason: EndReason | null;
}

export interface NewHistoryRecord {
  callId: string;
  userId: string;
  direction: Direction;
  peer: UserSummary;
  outcome: CallOutcome;
  endReason: EndReason;
  missed: boolean;
  startedAt: number;
  answeredAt: number | null;
  endedAt: number;
  answeredDeviceId: string | null;
  /** A queue call (docs/agents.md). */
  queue?: QueueRef | null;
  /** What a queue call's record adds: outcome, wait, talk, offers (docs/support-line.md). */
  queueCall?: QueueCallRecord | null;
}

export interface HistoryPage {
  items: HistoryRecord[];
  nextCursor: string | null;
}

export type JournalStartRow = Omit<CallJournalRow, 'answeredAt' | 'answeredDeviceId' | 'endedAt' | 'outcome' | 'endReason'>;

export interface HistoryStore {
  /** Durable before it resolves. Returns false if the call id already exists. */
  journalStart(row: JournalStartRow): Promise<boolean>;
  journalAnswer(callId: string, answeredAt: number, deviceId: string): Promise<void>;
  getJournal(callId: string): Promise<CallJournalRow | undefined>;
  /** Calls whose end was never recorded (the server stopped while they were live). */
  unfinishedCalls(): Promise<CallJournalRow[]>;
  /**
   * Closes the journal entry and writes one record per participant in one
   * transaction. Idempotent: a second call for the same call id writes nothing
   * and returns the records that already exist.
   */
  finishCall(
    callId: string,
    end: { endedAt: number; outcome: CallOutcome; endReason: EndReason },
    records: NewHistoryRecord[],
  ): Promise<HistoryRecord[]>;
  listHistory(userId: string, opts: { cursor?: string; limit: number; lastSeenMissedAt: number }): Promise<HistoryPage>;
  missedCount(userId: string, since: number): Promise<number>;
  /** Every record of a call (diagnostics, tests). */
  recordsForCall(callId: string): Promise<HistoryRecord[]>;
}

export type PushProvider = 'apns' | 'fcm';

/**
 * A mobile device's push credentials (one per device, replaced on change).
 * Pushes wake a phone that holds no socket so it can claim a pending call.
 */
export interface PushRegistrationRow {
  deviceId: string;
  userId: string;
  /**
   * Session (refresh-token family) that registered. Once that session is
   * revoked (logout, password change, token reuse) the device gets no more
   * pushes and the registration is dropped at the next attempt.
   */
  familyId: string;
  provider: PushProvider;
  /** APNs VoIP device token (hex) or FCM registration token. */
  token: string;
  /** APNs only: the app's bundle id (the VoIP topic is `<bundleId>.voip`). */
  bundleId: string | null;
  /** APNs only: which APNs environment issued the token. */
  environment: 'sandbox' | 'production' | null;
  /** Optional end-to-end key: payloads are encrypted to it (docs/mobile.md). */
  e2e: { alg: 'p256' | 'x25519'; publicKey: string } | null;
  createdAt: number;
  updatedAt: number;
}

export interface PushStore {
  /**
   * Creates or replaces the device's registration, atomically:
   * - `forbidden` ProtocolError when the device id belongs to another user,
   *   `not_found` when no such device exists (create it first);
   * - removes any other device's registration that holds the same provider
   *   token (app reinstalled, or another account signed in on that phone),
   *   so one phone never rings for an account that left it.
   */
  savePushRegistration(row: Omit<PushRegistrationRow, 'createdAt' | 'updatedAt'>, at: number): Promise<PushRegistrationRow>;
  getPushRegistration(deviceId: string): Promise<PushRegistrationRow | undefined>;
  /** Every registration of the user's devices. */
  listPushRegistrations(userId: string): Promise<PushRegistrationRow[]>;
  /**
   * Removes the device's registration. With `onlyToken`, only while it still
   * holds that token (a late "unregistered" answer for an old token must not
   * delete the token the device registered since). Removing the device or the
   * user removes its registration too.
   */
  removePushRegistration(deviceId: string, onlyToken?: string): Promise<boolean>;
}

export interface Storage {
  readonly accounts: AccountStore;
  readonly history: HistoryStore;
  readonly push: PushStore;
  readonly agents: AgentStore;
  readonly queues: QueueStore;
  /** True while the storage is open and answering. */
  ready(): Promise<boolean>;
  /** Waits for pending writes, then closes. */
  close(): Promise<void>;
  /**
   * Signing secrets every node must share (a store shared by several nodes,
   * e.g. PostgreSQL, provides them; created once by the first node). Absent:
   * the server keeps them in its data dir.
   */
  sharedSecrets?(): Promise<{ jwtSecret: string; turnSecret: string }>;
}
