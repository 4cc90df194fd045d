/** What every push provider client (APNs, FCM) offers the push service. */
import type { PushPayload } from '../../shared/protocol/index.js';
import type { PushProvider, PushRegistrationRow } from '../store/types.js';

/** How one delivery attempt went, in terms the push service acts on. */
export type SendOutcome =
  | { kind: 'delivered'; status: number; id?: string }
  /** The token is dead (app uninstalled, token rotated, wrong topic): remove it. */
  | { kind: 'invalid-token'; status: number; reason: string }
  /** Worth another try later (429, 5xx, network); `retryAfterMs` from the provider. */
  | { kind: 'retry'; status: number | null; reason: string; retryAfterMs?: number }
  /** Permanent for this message (our configuration or request is wrong): log and stop. */
  | { kind: 'failed'; status: number | null; reason: string };

export interface SendRequest {
  registration: PushRegistrationRow;
  payload: PushPayload;
  /** How long the provider may hold the message (FCM ttl; APNs uses expiration 0). */
  ttlSec: number;
  timeoutMs: number;
}

export interface PushSender {
  readonly provider: PushProvider;
  /** False when this sender cannot serve the registration (e.g. an APNs bundle id not configured). */
  accepts(reg: Pick<PushRegistrationRow, 'provider' | 'bundleId'>): boolean;
  send(req: SendRequest): Promise<SendOutcome>;
  /** Opens connections / fetches credentials ahead of the first push. */
  warm(): void;
  close(): void;
}

/** A short, non-secret hint of a token for logs (tokens themselves are never logged). */
export function tokenHint(token: string): string {
  return `${token.slice(0, 6)}…${token.slice(-4)}`;
}
