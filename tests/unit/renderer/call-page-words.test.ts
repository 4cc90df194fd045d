/** What the call page tells a guest when a step before the call fails, and its clock. */
import { describe, expect, it } from 'vitest';
import { clock, startErrorText } from '../../../src/renderer/call-page/words.js';
import { ProtocolError } from '../../../src/shared/protocol/index.js';

const domError = (name: string) => Object.assign(new Error(name), { name });

describe('call page words', () => {
  it('names the failing step in words a caller understands', () => {
    expect(startErrorText(domError('NotAllowedError'))).toMatch(/needs your microphone/);
    expect(startErrorText(domError('NotFoundError'))).toMatch(/No microphone was found/);
    expect(startErrorText(domError('NotReadableError'))).toMatch(/in use by another application/);
    expect(startErrorText(new ProtocolError('rate_limited', 'slow down'))).toMatch(/Too many calls were started from your network/);
    expect(startErrorText(new ProtocolError('not_found', 'no such public queue'))).toMatch(/does not take calls from the web/);
    expect(startErrorText(new ProtocolError('forbidden', 'guest_call_used'))).toMatch(/does not take calls from the web/);
    expect(startErrorText(new ProtocolError('internal', 'cannot reach', { network: true }))).toMatch(/cannot be reached/);
    expect(startErrorText(new Error('boom'))).toMatch(/Something went wrong/);
  });

  it('shows call and wait times as m:ss, h:mm:ss past an hour', () => {
    expect(clock(0)).toBe('0:00');
    expect(clock(65_400)).toBe('1:05');
    expect(clock(3_723_000)).toBe('1:02:03');
    expect(clock(-5)).toBe('0:00');
  });
});
