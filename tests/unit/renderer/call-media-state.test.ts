/**
 * The state of one call's media (src/renderer/media/media-state.ts): the moves
 * CallMedia may make, and the ones an out-of-order event must not cause.
 */
import { describe, expect, it } from 'vitest';
import { MediaStateMachine, phaseOf, type CallMediaState } from '../../../src/renderer/media/media-state.js';

function at(...path: CallMediaState[]): MediaStateMachine {
  const m = new MediaStateMachine();
  for (const s of path) expect(m.to(s)).toBe(true);
  return m;
}

describe('MediaStateMachine', () => {
  it('walks a call from ringing to the end through a drop', () => {
    const seen: CallMediaState[] = [];
    const m = new MediaStateMachine((s) => seen.push(s));
    for (const s of ['preparing', 'connecting', 'connected', 'reconnecting', 'connected', 'ended'] as const) m.to(s);
    expect(seen).toEqual(['preparing', 'connecting', 'connected', 'reconnecting', 'connected', 'ended']);
    expect(m.ended).toBe(true);
  });

  it('ended is final: a late "connected" or a second start changes nothing', () => {
    const m = at('connecting', 'ended');
    expect(m.to('connected')).toBe(false);
    expect(m.to('connecting')).toBe(false);
    expect(m.state).toBe('ended');
  });

  it('a call cannot recover before it started, nor start twice', () => {
    expect(at('preparing').to('reconnecting')).toBe(false);
    expect(at('connecting', 'connected').to('connecting')).toBe(false);
    expect(at('connecting', 'reconnecting').to('reconnecting')).toBe(false);
  });

  it('a resumed call (reload) goes from connecting straight to reconnecting', () => {
    const m = at('connecting', 'reconnecting');
    expect(m.started).toBe(true);
  });

  it('the UI phase follows the state', () => {
    expect(phaseOf('idle')).toBeNull();
    expect(phaseOf('preparing')).toBeNull();
    expect(phaseOf('connecting')).toBe('connecting');
    expect(phaseOf('reconnecting')).toBe('reconnecting');
  });
});
