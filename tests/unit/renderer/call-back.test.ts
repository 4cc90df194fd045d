/** "Call back" in the history: the person, the queue we called, or nobody for a web guest. */
import { describe, expect, it } from 'vitest';
import { callBackTarget } from '../../../src/renderer/state/call-back.js';

const bob = { id: 'u-bob', username: 'bob', displayName: 'Bob' };
const guest = { id: 'guest-1', username: 'guest', displayName: 'Web caller' };
const support = { id: 'support', name: 'Support' };
const queueCall = (callerKind: 'user' | 'guest') => ({ outcome: 'answered' as const, waitSec: 5, talkSec: 9, offers: [], callerKind });

describe('callBackTarget', () => {
  it('a person-to-person call calls the person back', () => {
    expect(callBackTarget({ direction: 'incoming', peer: bob })).toEqual({ target: { userId: 'u-bob' }, name: 'Bob' });
    expect(callBackTarget({ direction: 'outgoing', peer: bob, queue: null })).toEqual({ target: { userId: 'u-bob' }, name: 'Bob' });
  });

  it('our call to a queue calls the queue again, not the agent who took it', () => {
    expect(callBackTarget({ direction: 'outgoing', peer: { ...bob, id: 'u-agent' }, queue: support, queueCall: queueCall('user') })).toEqual({
      target: { queue: 'support' },
      name: 'Support',
    });
  });

  it('an agent calls a signed-in queue caller back, but not a guest from the web page', () => {
    expect(callBackTarget({ direction: 'incoming', peer: bob, queue: support, queueCall: queueCall('user') })).toEqual({ target: { userId: 'u-bob' }, name: 'Bob' });
    expect(callBackTarget({ direction: 'incoming', peer: guest, queue: support, queueCall: queueCall('guest') })).toBeNull();
  });
});
