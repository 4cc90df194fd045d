/**
 * Wakes mobile devices by push when a call rings for them, and tells them when
 * ringing stops. Subscribed to the call service's `ring` / `ring-stopped` events:
 *
 * - onRing: every registered device of the callee with no live socket gets an
 *   `incoming-call` push (also when other devices of the callee are online, so
 *   the phone rings too). The call stays pending until the ring deadline; the
 *   woken device connects and claims it.
 * - onRingStopped (answered elsewhere, cancelled, declined, missed): every
 *   registered device with no live socket, except the one that answered, gets
 *   a `call-ended` push so iOS can end its CallKit call.
 *
 * Fire and forget: hooks return at once; delivery runs on its own, with its
 * own error handling and logging, so pushing never delays the call flow.
 * Dead tokens are removed; 429 / 5xx / network failures are retried with
 * backoff (honouring Retry-After) while the ring is still on. Stateless across
 * nodes: everything is decided from storage and live state at the moment.
 */
import type { CallView } from '../../shared/protocol/index.js';
import type { CallService } from '../calls/call-service.js';
import type { LiveState } from '../live/types.js';
import type { Logger } from '../logger.js';
import type { PushRegistrationRow, Storage } from '../store/types.js';
import { callEndedPush, incomingCallPush } from './payloads.js';
import { backoffDelay, sleep } from './retry.js';
import { tokenHint, type PushSender, type SendOutcome } from './sender.js';

export interface PushServiceOptions {
  maxAttempts: number;
  retryBaseMs: number;
  requestTimeoutMs: number;
}

type PushKind = 'incoming-call' | 'call-ended';

/** How long a call-ended push may be stored and retried: it only matters while a ring UI may be up. */
const CALL_ENDED_TTL_SEC = 30;

export class PushService {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly aborter = new AbortController();
  /** First attempt of each ring push (`callId:deviceId`): a call-ended push for that device waits for it. */
  private readonly ringAttempts = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly storage: Storage,
    private readonly live: LiveState,
    readonly senders: PushSender[],
    private readonly log: Logger,
    private readonly opts: PushServiceOptions,
    private readonly now: () => number = Date.now,
  ) {
  }

  /** Wakes phones when a call rings for them and tells them when it stops. */
  subscribe(calls: Pick<CallService, 'on'>): void {
    calls.on('ring', (call) => this.track(this.ring(call), call, 'incoming-call'));
    calls.on('ring-stopped', (call) => this.track(this.ringStopped(call), call, 'call-ended'));
  }

  get enabled(): boolean {
    return this.senders.length > 0;
  }

  warm(): void {
    for (const s of this.senders) s.warm();
  }

  /** Resolves once no push is being delivered (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Stops retries, waits briefly for requests on the wire, closes connections. */
  async close(graceMs = 2_000): Promise<void> {
    this.closed = true;
    this.aborter.abort();
    await Promise.race([this.idle(), sleep(graceMs)]);
    for (const s of this.senders) s.close();
  }

  private track(work: Promise<void>, call: CallView, kind: PushKind): void {
    const p = work.catch((err: unknown) => this.log.error({ err, callId: call.callId, kind }, 'push dispatch failed'));
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Registered devices of the callee that hold no socket right now. */
  private async sleepingDevices(userId: string): Promise<PushRegistrationRow[]> {
    const regs = await this.storage.push.listPushRegistrations(userId);
    if (regs.length === 0) return [];
    const online = new Set((await this.live.devices.list(userId)).map((d) => d.deviceId));
    return regs.filter((r) => !online.has(r.deviceId));
  }

  private async ring(call: CallView): Promise<void> {
    if (!this.enabled || this.closed) return;
    const targets = await this.sleepingDevices(call.callee.id);
    await Promise.all(
      targets.map((reg) => {
        const key = `${call.callId}:${reg.deviceId}`;
        let firstDone!: () => void;
        this.ringAttempts.set(key, new Promise<void>((r) => (firstDone = r)));
        return this.deliver(reg, 'incoming-call', call, firstDone).finally(() => {
          firstDone();
          this.ringAttempts.delete(key);
        });
      }),
    );
  }

  private async ringStopped(call: CallView): Promise<void> {
    if (!this.enabled || this.closed) return;
    const targets = (await this.sleepingDevices(call.callee.id)).filter((r) => r.deviceId !== call.answeredDeviceId);
    await Promise.all(
      targets.map(async (reg) => {
        // Never let "call ended" overtake "incoming call" to the same phone.
        await this.ringAttempts.get(`${call.callId}:${reg.deviceId}`);
        await this.deliver(reg, 'call-ended', call);
      }),
    );
  }

  private async deliver(reg: PushRegistrationRow, kind: PushKind, call: CallView, firstAttemptDone?: () => void): Promise<void> {
    const sender = this.senders.find((s) => s.accepts(reg));
    const ctx = { callId: call.callId, deviceId: reg.deviceId, provider: reg.provider, kind, token: tokenHint(reg.token) };
    if (!sender) {
      this.log.debug(ctx, 'push skipped: no provider configured for this registration');
      return;
    }
    if (await this.storage.accounts.isFamilyRevoked(reg.familyId)) {
      // The session that registered was signed out: this phone must not learn about calls any more.
      await this.storage.push.removePushRegistration(reg.deviceId, reg.token);
      this.log.info(ctx, 'push registration of a signed-out session removed');
      return;
    }
    const started = this.now();
    const deadline = kind === 'incoming-call' ? call.ringDeadline : started + CALL_ENDED_TTL_SEC * 1000;
    for (let attempt = 1; ; attempt++) {
      const now = this.now();
      const payload = kind === 'incoming-call' ? await incomingCallPush(call, reg, now) : await callEndedPush(call, reg, now);
      const ttlSec = kind === 'incoming-call' ? Math.max(1, Math.ceil((call.ringDeadline - now) / 1000)) : CALL_ENDED_TTL_SEC;
      let outcome: SendOutcome;
      try {
        outcome = await sender.send({ registration: reg, payload, ttlSec, timeoutMs: this.opts.requestTimeoutMs });
      } catch (err) {
        this.log.error({ ...ctx, err }, 'push request failed unexpectedly');
        return;
      } finally {
        firstAttemptDone?.();
      }
      const at = { ...ctx, attempt, status: outcome.status, ms: this.now() - started };
      switch (outcome.kind) {
        case 'delivered':
          this.log.info({ ...at, id: outcome.id }, 'push delivered');
          return;
        case 'invalid-token': {
          const removed = await this.storage.push.removePushRegistration(reg.deviceId, reg.token);
          this.log.info({ ...at, reason: outcome.reason, removed }, 'push token rejected by the provider; registration removed');
          return;
        }
        case 'failed':
          this.log.error({ ...at, reason: outcome.reason }, 'push rejected');
          return;
        case 'retry': {
          if (attempt >= this.opts.maxAttempts) {
            this.log.warn({ ...at, reason: outcome.reason }, 'push not delivered: out of attempts');
            return;
          }
          const delay = backoffDelay(attempt, outcome.retryAfterMs, { baseMs: this.opts.retryBaseMs });
          if (this.now() + delay >= deadline) {
            this.log.warn({ ...at, reason: outcome.reason, delay }, 'push not delivered: a retry would come too late');
            return;
          }
          this.log.info({ ...at, reason: outcome.reason, delay }, 'push failed; retrying');
          await sleep(delay, this.aborter.signal);
          if (this.closed) return;
          if (kind === 'incoming-call' && !(await this.stillRinging(call.callId))) {
            this.log.debug(ctx, 'push retry dropped: the call stopped ringing');
            return;
          }
        }
      }
    }
  }

  private async stillRinging(callId: string): Promise<boolean> {
    const c = await this.live.calls.get(callId);
    return c?.state === 'ringing';
  }
}
