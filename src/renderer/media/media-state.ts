/**
 * Where one call's media is, as one value instead of a set of flags. Every
 * allowed move is listed here; `CallMedia` asks `to()` and acts only when the
 * move is allowed, so an out-of-order event (a late "connected" after the
 * call ended, a second start) cannot put it somewhere it never should be.
 *
 *   idle ──prepare──▶ preparing ──start──▶ connecting ──ice connected──▶ connected
 *     └────────────start─────────────────────▲   │ (resumed after reload)   │  ▲
 *                                                 ▼                          ▼  │
 *                                            reconnecting ◀──disconnect/fail─┘  │
 *                                                 └──────────ice connected──────┘
 *   any ──close──▶ ended
 *
 * Hold is not a state here: it is the session's (held / remoteHeld) and only
 * decides which track is sent, in every state.
 */
import type { MediaPhase } from './call-media.js';

export type CallMediaState =
  /** Created: nothing opened yet. */
  | 'idle'
  /** The call rings: microphone opening, offer being made (caller) or the answer travelling (callee). */
  | 'preparing'
  /** The call is active here; the first audio path is being set up. */
  | 'connecting'
  /** Audio flows. */
  | 'connected'
  /** The audio path dropped (or this renderer reloaded): ICE restart / fresh session under a deadline. */
  | 'reconnecting'
  /** Closed: tracks stopped, peer connection closed. Final. */
  | 'ended';

const TRANSITIONS: Readonly<Record<CallMediaState, readonly CallMediaState[]>> = {
  idle: ['preparing', 'connecting', 'ended'],
  preparing: ['connecting', 'ended'],
  connecting: ['connected', 'reconnecting', 'ended'],
  connected: ['reconnecting', 'ended'],
  reconnecting: ['connected', 'ended'],
  ended: [],
};

/** The phase the UI shows for a state (null: no change to show). */
export function phaseOf(state: CallMediaState): MediaPhase | null {
  switch (state) {
    case 'connecting':
    case 'connected':
    case 'reconnecting':
      return state;
    case 'idle':
    case 'preparing':
    case 'ended':
      return null;
  }
}

export class MediaStateMachine {
  private current: CallMediaState = 'idle';

  constructor(private readonly onChange: (state: CallMediaState) => void = () => undefined) {}

  get state(): CallMediaState {
    return this.current;
  }

  /** The call is active here (connecting, connected or reconnecting). */
  get started(): boolean {
    return this.current === 'connecting' || this.current === 'connected' || this.current === 'reconnecting';
  }

  get ended(): boolean {
    return this.current === 'ended';
  }

  can(next: CallMediaState): boolean {
    return TRANSITIONS[this.current].includes(next);
  }

  /** Moves to `next` when allowed; returns whether it moved. */
  to(next: CallMediaState): boolean {
    if (!this.can(next)) return false;
    this.current = next;
    this.onChange(next);
    return true;
  }
}
