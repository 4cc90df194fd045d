/**
 * Server configuration: command-line flags override environment variables,
 * which override defaults. Parsed once with zod so a bad value fails at start
 * with a clear message instead of misbehaving later.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';

const bool = z
  .union([z.boolean(), z.string()])
  .transform((v) => (typeof v === 'boolean' ? v : ['1', 'true', 'yes', 'on'].includes(v.toLowerCase())));
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const list = z
  .union([z.array(z.string()), z.string()])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean));

export const ConfigSchema = z.object({
  host: z.string().default('127.0.0.1'),
  port: int(0, 65535).default(4000),
  dataDir: z.string().default('./data'),
  demo: bool.default(false),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** How long an unanswered call rings before it is missed. */
  ringTimeoutMs: int(1_000, 600_000).default(45_000),
  /** How long an answered call survives a device's signaling loss before it is ended. */
  callReconnectGraceMs: int(1_000, 600_000).default(60_000),
  /** How long a finished call stays queryable in live state (late claims get `gone`). */
  endedCallRetentionMs: int(1_000, 86_400_000).default(600_000),
  accessTokenTtlSec: int(30, 86_400).default(600),
  refreshTokenTtlDays: int(1, 365).default(30),
  /** socket.io transport heartbeat. */
  pingIntervalMs: int(1_000, 300_000).default(25_000),
  pingTimeoutMs: int(1_000, 300_000).default(20_000),
  /** Largest socket.io message accepted before the connection is dropped. */
  maxMessageBytes: int(1_024, 10_485_760).default(262_144),
  /** Origins allowed to open a socket from a browser (the server's own origin is always allowed). */
  allowedOrigins: list.default([]),
  turnSecret: z.string().min(16).optional(),
  turnUrls: list.default([]),
  stunUrls: list.default([]),
  turnTtlSec: int(60, 604_800).default(3_600),
  /** Login attempts per IP per minute. */
  loginRatePerMinute: int(1, 100_000).default(30),
  /**
   * Failed logins per username per LOGIN_FAILURE_WINDOW_SEC before it is throttled: a short
   * window, so a stranger guessing at a name delays its owner by seconds, never locks them out.
   */
  loginFailuresPerUsername: int(1, 100_000).default(5),
  loginFailureWindowSec: int(1, 900).default(15),
  /** Devices per account; a new one beyond it evicts the least recently seen offline device. */
  maxDevicesPerUser: int(1, 1_000).default(20),
  /** Calls ringing one callee at once; more invites are answered busy. */
  maxRingingPerUser: int(1, 100).default(5),
  /** Call invites per user per minute. */
  inviteRatePerMinute: int(1, 1_000_000).default(30),
  /** Socket events per connection per second (burst is twice this). */
  socketEventsPerSecond: int(1, 1_000_000).default(50),
  /** Folder holding the built web softphone (served at `/`). */
  webRoot: z.string().default(path.resolve('dist/renderer')),
  /**
   * Sites that may embed the call page (/call/<queue>) in an iframe: its CSP `frame-ancestors`.
   * None (the default): no site may frame it; a popup still works (docs/support-line.md).
   */
  callPageFrameAncestors: list.pipe(
    z.array(
      z
        .string()
        .regex(/^(?:'self'|https?:\/\/(?:\*\.)?[A-Za-z0-9.-]+(?::\d{1,5})?)$/, "origins such as https://www.example.com, https://*.example.com or 'self'"),
    ),
  ).default([]),
  shutdownGraceMs: int(0, 120_000).default(10_000),
  trustProxy: bool.default(false),
  /** This node's name in logs and in the cluster's node registry; random when unset. */
  nodeId: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, ".", "_" and "-" (at most 64)')
    .default(() => `node-${randomBytes(3).toString('hex')}`),
  /** Redis for live state, the socket.io adapter and rate limits (several nodes); unset = this process's memory. */
  redisUrl: z
    .string()
    .refine((v) => /^rediss?:\/\//.test(v), 'expected a redis:// or rediss:// URL')
    .optional(),
  /** PostgreSQL for accounts, tokens and history (several nodes); unset = SQLite in the data dir. */
  databaseUrl: z
    .string()
    .refine((v) => /^postgres(ql)?:\/\//.test(v), 'expected a postgres:// or postgresql:// URL')
    .optional(),
  /** With Redis: a node silent this long is dead; another node releases its devices. */
  nodeTimeoutMs: int(2_000, 600_000).default(15_000),
  // Push wake-up of mobile devices (docs/mobile.md). Without APNs or FCM
  // settings push is off (the server says so at start).
  /** APNs token-auth signing key (.p8, PKCS#8 PEM). */
  apnsKeyFile: z.string().min(1).optional(),
  apnsKeyId: z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'the 10-character key id of the .p8 key').optional(),
  apnsTeamId: z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'the 10-character Apple team id').optional(),
  /** Bundle ids the server pushes to (comma-separated); VoIP topic is `<bundle>.voip`. */
  apnsBundleId: list.default([]),
  /** `host[:port]` for every APNs environment (default: api.push.apple.com / api.sandbox.push.apple.com). */
  apnsHost: z.string().min(1).optional(),
  /** Firebase service-account JSON (client_email, private_key, token_uri, project_id). */
  fcmServiceAccountFile: z.string().min(1).optional(),
  /** Firebase project id (default: project_id from the service-account file). */
  fcmProjectId: z.string().min(1).max(64).optional(),
  /** `host[:port]` of the FCM HTTP v1 API. */
  fcmHost: z.string().min(1).default('fcm.googleapis.com'),
  /** Extra CA certificate(s) (PEM) trusted for push provider connections, on top of the system roots. */
  pushCaFile: z.string().min(1).optional(),
  /** Delivery attempts per push (429 / 5xx / network errors are retried with backoff). */
  pushMaxAttempts: int(1, 10).default(4),
  /** First retry delay; doubles per attempt (with jitter), at least the provider's Retry-After. */
  pushRetryBaseMs: int(10, 60_000).default(500),
  /** Time limit of one push request. */
  pushRequestTimeoutMs: int(100, 60_000).default(5_000),
  // Support agents (docs/agents.md).
  /** How long an agent's state outlives their last device (then offline). */
  agentGraceMs: int(1_000, 600_000).default(60_000),
  /** Offers missed in a row before the agent is set not-ready (missed). */
  agentMaxNoAnswer: int(1, 100).default(1),
  /** After a missed offer below AGENT_MAX_NO_ANSWER: no offer to that agent for this long. */
  agentNoAnswerDelayMs: int(0, 3_600_000).default(0),
  /** After a declined offer: the agent stays ready but gets no offer for this long. */
  agentRejectDelayMs: int(0, 3_600_000).default(10_000),
  /** Wrap-up after a person-to-person call; 0 = none. */
  agentDirectWrapUpSec: int(0, 3_600).default(0),
  /** Seconds one wrap-up extension adds. */
  agentWrapUpExtendSec: int(1, 3_600).default(30),
  /** How many times an agent may extend one wrap-up. */
  agentWrapUpMaxExtensions: int(0, 100).default(2),
  // Guests calling a public queue from a web page (docs/support-line.md).
  /** Lifetime of a guest token: the call must be placed before it runs out. */
  guestTokenTtlSec: int(30, 3_600).default(600),
  /** Guest tokens (POST /api/guest) per IP per minute. */
  guestTokensPerMinute: int(1, 100_000).default(10),
});
export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/** Environment variable for each setting (documented in README.md). */
export const ENV_NAMES: Record<keyof Config, string> = {
  host: 'HOST',
  port: 'PORT',
  dataDir: 'DATA_DIR',
  demo: 'DEMO',
  logLevel: 'LOG_LEVEL',
  ringTimeoutMs: 'RING_TIMEOUT_MS',
  callReconnectGraceMs: 'CALL_RECONNECT_GRACE_MS',
  endedCallRetentionMs: 'ENDED_CALL_RETENTION_MS',
  accessTokenTtlSec: 'ACCESS_TOKEN_TTL_SEC',
  refreshTokenTtlDays: 'REFRESH_TOKEN_TTL_DAYS',
  pingIntervalMs: 'PING_INTERVAL_MS',
  pingTimeoutMs: 'PING_TIMEOUT_MS',
  maxMessageBytes: 'MAX_MESSAGE_BYTES',
  allowedOrigins: 'ALLOWED_ORIGINS',
  turnSecret: 'TURN_SECRET',
  turnUrls: 'TURN_URLS',
  stunUrls: 'STUN_URLS',
  turnTtlSec: 'TURN_TTL_SEC',
  loginRatePerMinute: 'LOGIN_RATE_PER_MINUTE',
  loginFailuresPerUsername: 'LOGIN_FAILURES_PER_USERNAME',
  maxRingingPerUser: 'MAX_RINGING_PER_USER',
  loginFailureWindowSec: 'LOGIN_FAILURE_WINDOW_SEC',
  maxDevicesPerUser: 'MAX_DEVICES_PER_USER',
  inviteRatePerMinute: 'INVITE_RATE_PER_MINUTE',
  socketEventsPerSecond: 'SOCKET_EVENTS_PER_SECOND',
  webRoot: 'WEB_ROOT',
  callPageFrameAncestors: 'CALL_PAGE_FRAME_ANCESTORS',
  shutdownGraceMs: 'SHUTDOWN_GRACE_MS',
  trustProxy: 'TRUST_PROXY',
  nodeId: 'NODE_ID',
  redisUrl: 'REDIS_URL',
  databaseUrl: 'DATABASE_URL',
  nodeTimeoutMs: 'NODE_TIMEOUT_MS',
  apnsKeyFile: 'APNS_KEY_FILE',
  apnsKeyId: 'APNS_KEY_ID',
  apnsTeamId: 'APNS_TEAM_ID',
  apnsBundleId: 'APNS_BUNDLE_ID',
  apnsHost: 'APNS_HOST',
  fcmServiceAccountFile: 'FCM_SERVICE_ACCOUNT_FILE',
  fcmProjectId: 'FCM_PROJECT_ID',
  fcmHost: 'FCM_HOST',
  pushCaFile: 'PUSH_CA_FILE',
  pushMaxAttempts: 'PUSH_MAX_ATTEMPTS',
  pushRetryBaseMs: 'PUSH_RETRY_BASE_MS',
  pushRequestTimeoutMs: 'PUSH_REQUEST_TIMEOUT_MS',
  agentGraceMs: 'AGENT_GRACE_MS',
  agentMaxNoAnswer: 'AGENT_MAX_NO_ANSWER',
  agentNoAnswerDelayMs: 'AGENT_NO_ANSWER_DELAY_MS',
  agentRejectDelayMs: 'AGENT_REJECT_DELAY_MS',
  agentDirectWrapUpSec: 'AGENT_DIRECT_WRAP_UP_SEC',
  agentWrapUpExtendSec: 'AGENT_WRAP_UP_EXTEND_SEC',
  agentWrapUpMaxExtensions: 'AGENT_WRAP_UP_MAX_EXTENSIONS',
  guestTokenTtlSec: 'GUEST_TOKEN_TTL_SEC',
  guestTokensPerMinute: 'GUEST_TOKENS_PER_MINUTE',
};

/** Reads settings from the environment (flags are merged on top by the caller). */
export function configFromEnv(env: NodeJS.ProcessEnv): ConfigInput {
  const out: Record<string, string> = {};
  for (const [key, name] of Object.entries(ENV_NAMES)) {
    const value = env[name];
    if (value !== undefined && value !== '') out[key] = value;
  }
  return out;
}

export function parseConfig(input: ConfigInput): Config {
  const result = ConfigSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((i) => {
      const key = i.path.join('.') as keyof Config;
      return `  ${ENV_NAMES[key] ?? key}: ${i.message}`;
    });
    throw new Error(`Invalid server configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}
