/**
 * IPC channel and event names, without zod, so the sandboxed preload stays
 * small. src/shared/contract.ts holds the schemas and checks that this list
 * matches its events exactly.
 */
export const IPC = {
  invoke: 'softphone:invoke',
  event: 'softphone:event',
} as const;

export const HOST_EVENT_NAME_LIST = ['session', 'call.signal', 'presence', 'command', 'call.media', 'call.auto-answered', 'wallboard'] as const;
export type HostEventNameFromList = (typeof HOST_EVENT_NAME_LIST)[number];
