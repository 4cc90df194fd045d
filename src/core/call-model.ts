/** Pure helpers that turn server call views into this device's call model. */
import type { CallInfo, LocalCallState } from '../shared/contract.js';
import type { CallView } from '../shared/protocol/index.js';
import { carriedQueueWaiting } from './queue-waiting.js';

export function localStateOf(view: CallView, userId: string, deviceId: string): LocalCallState {
  if (view.state === 'ended') return 'ended';
  const outgoing = view.caller.id === userId;
  if (view.state === 'ringing') {
    if (outgoing) return view.callerDeviceId === deviceId ? 'ringing-out' : 'elsewhere';
    return 'ringing-in';
  }
  // answered
  if (outgoing) return view.callerDeviceId === deviceId ? 'active' : 'elsewhere';
  return view.answeredDeviceId === deviceId ? 'active' : 'elsewhere';
}

export function toCallInfo(
  view: CallView,
  userId: string,
  deviceId: string,
  previous?: CallInfo,
  overrides: Partial<CallInfo> = {},
): CallInfo {
  const outgoing = view.caller.id === userId;
  return {
    ...view,
    direction: outgoing ? 'outgoing' : 'incoming',
    peer: outgoing ? view.callee : view.caller,
    local: localStateOf(view, userId, deviceId),
    isOfferer: outgoing && view.callerDeviceId === deviceId,
    ringingDevices: previous?.ringingDevices ?? null,
    remoteHeld: previous?.remoteHeld ?? false,
    held: previous?.held ?? false,
    receivedDigits: previous?.receivedDigits ?? '',
    ...carriedQueueWaiting(view, outgoing, previous),
    ...overrides,
  };
}
