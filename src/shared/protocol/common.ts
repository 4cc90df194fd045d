/**
 * Wire-protocol building blocks shared by the server and every client
 * (desktop main process, web softphone, mobile, tests).
 * Every payload that crosses a socket or HTTP boundary is parsed with one of
 * these zod schemas before anything acts on it.
 */
import { z } from 'zod';

/** Stable error codes. Clients switch on these; never rename one. */
export const ERROR_CODES = [
  'bad_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'busy',
  'conflict',
  'gone',
  'rate_limited',
  'internal',
] as const;
export const ErrorCode = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorBody = z.object({
  code: ErrorCode,
  message: z.string(),
  /** Extra machine-readable detail, e.g. the final outcome on `gone`. */
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** HTTP error response body; every HTTP error uses this shape. */
export const HttpError = z.object({ error: ErrorBody });
export type HttpError = z.infer<typeof HttpError>;

/** Socket acknowledgement envelope. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };

export function ackSchema<T extends z.ZodType>(data: T) {
  return z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), data }),
    z.object({ ok: z.literal(false), error: ErrorBody }),
  ]);
}

/** Raised by handlers; turned into an error ack or HTTP error body. */
export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
  toBody(): ErrorBody {
    return this.details
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }
}

export const Id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'only letters, digits, _ and -');
export const Username = z
  .string()
  .min(2)
  .max(32)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" and "-"');
export const DisplayName = z.string().trim().min(1).max(80);
export const Password = z.string().min(1).max(256);
/** Milliseconds since the Unix epoch. */
export const Timestamp = z.number().int().nonnegative();

export const DEVICE_KINDS = ['desktop', 'web', 'ios', 'android'] as const;
export const DeviceKind = z.enum(DEVICE_KINDS);
export type DeviceKind = z.infer<typeof DeviceKind>;

/** Status a user can choose. */
export const SET_STATUSES = ['available', 'busy', 'dnd', 'away'] as const;
export const SetStatus = z.enum(SET_STATUSES);
export type SetStatus = z.infer<typeof SetStatus>;

/** Status others see: derived from set status, online devices and calls. */
export const PRESENCE_STATUSES = ['available', 'busy', 'dnd', 'away', 'offline'] as const;
export const PresenceStatus = z.enum(PRESENCE_STATUSES);
export type PresenceStatus = z.infer<typeof PresenceStatus>;

export const UserSummary = z.object({
  id: Id,
  username: Username,
  displayName: DisplayName,
});
export type UserSummary = z.infer<typeof UserSummary>;
