/** HTTP request and response bodies. */
import { z } from 'zod';
import { DeviceKind, Id, Password, UserSummary } from './common.js';

export const LoginRequest = z.object({
  username: z.string().min(1).max(64),
  password: Password,
});
export type LoginRequest = z.infer<typeof LoginRequest>;

export const TokenResponse = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  /** Access-token lifetime in seconds. */
  expiresIn: z.number().int().positive(),
  user: UserSummary,
});
export type TokenResponse = z.infer<typeof TokenResponse>;

export const RefreshRequest = z.object({ refreshToken: z.string().min(10).max(512) });
export type RefreshRequest = z.infer<typeof RefreshRequest>;

export const LogoutRequest = RefreshRequest.extend({
  /** The signing-out device: its push registration is removed too (docs/mobile.md). */
  deviceId: Id.optional(),
});
export type LogoutRequest = z.infer<typeof LogoutRequest>;

export const OkResponse = z.object({ ok: z.literal(true) });

export const IceServer = z.object({
  urls: z.array(z.string()).min(1),
  username: z.string().optional(),
  credential: z.string().optional(),
});
export type IceServer = z.infer<typeof IceServer>;

/** GET /api/turn: TURN REST credentials (what coturn's use-auth-secret checks). */
export const TurnResponse = z.object({
  username: z.string(),
  credential: z.string(),
  ttl: z.number().int().positive(),
  urls: z.array(z.string()),
  iceServers: z.array(IceServer),
});
export type TurnResponse = z.infer<typeof TurnResponse>;

export const HealthResponse = z.object({ status: z.enum(['ok', 'ready', 'not_ready', 'draining']) });

/** Socket.io handshake `auth` object. */
export const HandshakeAuth = z.object({
  token: z.string().min(10).max(4096),
  deviceId: Id,
  deviceKind: DeviceKind,
  deviceName: z.string().trim().min(1).max(80),
  appVersion: z.string().min(1).max(32),
});
export type HandshakeAuth = z.infer<typeof HandshakeAuth>;
