/**
 * Reading and changing one call in live state: the optimistic compare-and-set
 * loop every transition goes through, and who may learn what about a call that
 * is over (its parties get `gone` with the final view; anyone else `not_found`).
 */
import { ProtocolError, type CallView } from '../../shared/protocol/index.js';
import type { LiveCall, LiveState } from '../live/types.js';
import type { Storage } from '../store/types.js';
import { isParty, journalView, toView } from './call-records.js';

/** A mutation returns the next call, or null for "nothing to change". */
export type Mutation = (call: Readonly<LiveCall>) => LiveCall | null;

const MAX_CAS_ATTEMPTS = 20;

export class CallAccess {
  constructor(
    private readonly live: LiveState,
    private readonly storage: Storage,
    private readonly ringTimeoutMs: number,
  ) {}

  /** Optimistic update loop: retries on concurrent modification. */
  mutate(callId: string, fn: Mutation): Promise<{ call: LiveCall; changed: boolean }> {
    return this.mutateAs(undefined, callId, fn);
  }

  /** `mutate` for a request of `userId`: a call over and gone from live state is `gone` only to its parties. */
  async mutateAs(userId: string | undefined, callId: string, fn: Mutation): Promise<{ call: LiveCall; changed: boolean }> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = await this.load(callId, userId);
      // Stored calls are immutable (frozen in memory): mutations build new objects.
      const next = fn(current);
      if (next === null) return { call: current, changed: false };
      const stored = { ...next, version: current.version + 1 };
      if (await this.live.calls.compareAndSet(stored, current.version)) return { call: stored, changed: true };
    }
    throw new ProtocolError('internal', 'call state is contended; try again');
  }

  /**
   * The live call. A call that is over and no longer live is `gone` (with its final view)
   * for its parties only: anyone else learns nothing, not even that the id exists.
   * Without `userId` (server-internal use) the final view is always given.
   */
  async load(callId: string, userId?: string): Promise<LiveCall> {
    const c = await this.live.calls.get(callId);
    if (c) return c;
    const view = await this.finalView(callId);
    if (view && (userId === undefined || isParty(userId, view))) throw goneError(view);
    throw new ProtocolError('not_found', 'no such call');
  }

  /**
   * For ending requests (cancel, hangup), which are idempotent for the call's parties: a
   * call that is over answers its final view, also after it left live state. A client
   * that hung up while offline retries them after its reconnect and must not see an error.
   */
  async loadForEnding(callId: string, userId: string): Promise<LiveCall | CallView> {
    try {
      return await this.load(callId, userId);
    } catch (err) {
      const final = err instanceof ProtocolError && err.code === 'gone' ? (err.details?.call as CallView | undefined) : undefined;
      if (final) return final;
      throw err;
    }
  }

  /** The final view of a finished call, from live state or the durable journal. */
  async finalView(callId: string): Promise<CallView | undefined> {
    const c = await this.live.calls.get(callId);
    if (c) return c.state === 'ended' ? toView(c) : undefined;
    const j = await this.storage.history.getJournal(callId);
    return j ? journalView(j, this.ringTimeoutMs) : undefined;
  }
}

/** `gone` for a party of the call: the request came too late; here is how it ended. */
export function goneError(view: CallView): ProtocolError {
  return new ProtocolError('gone', 'the call is over', { outcome: view.outcome, endReason: view.endReason, call: view });
}
