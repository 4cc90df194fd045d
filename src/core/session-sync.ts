/**
 * The resume sync after every (re)connect (`session:sync`): the server's view of this
 * device's calls replaces what the core believed (calls the server has no trace of end
 * here; a queue offer just stops ringing), then the account's state (status, settings, missed count, history head), the
 * presence subscriptions, the agent desk and the remembered session follow.
 *
 * A guest of the call page (`guest`) has no account: only its call is resumed.
 */
import type { SessionState } from '../shared/contract.js';
import type { ClientEventName, ClientRequest, ClientResponse, HistoryRecord } from '../shared/protocol/index.js';
import type { AgentDesk } from './agent-desk.js';
import type { CallRegistry } from './call-registry.js';
import { errorBody } from './errors.js';
import { historyAfterSync } from './history.js';
import type { CoreLogger } from './ports.js';
import type { PresenceTracker } from './presence.js';
import type { TokenSession } from './token-session.js';

export interface SessionSyncDeps {
  deviceId: string;
  calls: CallRegistry;
  presence: PresenceTracker;
  desk: AgentDesk;
  tokens: TokenSession;
  log: CoreLogger;
  state(): SessionState;
  update(patch: Partial<SessionState>): void;
  request<E extends ClientEventName>(event: E, payload: ClientRequest<E>): Promise<ClientResponse<E>>;
  historyPage(): Promise<{ items: HistoryRecord[] }>;
}

export async function syncSession(d: SessionSyncDeps, { guest }: { guest: boolean }): Promise<void> {
  const known = d.state().calls.filter((c) => c.local !== 'ended').map((c) => c.callId);
  if (guest && known.length === 0) return;
  const res = await d.request('session:sync', { calls: known });
  if (!guest) {
    const inCall = res.calls.some((c) => c.state === 'answered' && (c.callerDeviceId === d.deviceId || c.answeredDeviceId === d.deviceId));
    d.update({
      user: res.user,
      status: res.status,
      presence: res.status === 'dnd' ? 'dnd' : inCall ? 'busy' : res.status,
      account: res.settings,
      missedCount: res.missedCount,
    });
  }
  // Calls we knew that the server has no trace of end here (queue offers just stop ringing).
  d.calls.applySync([...res.calls, ...res.ended], known);
  if (guest) return;
  await d.presence.resubscribe();
  const history = historyAfterSync(d.state().history, res);
  if (history === 'reload') d.update({ history: (await d.historyPage()).items });
  else if (history !== d.state().history) d.update({ history });
  await d.desk.refresh().catch((err: unknown) => d.log.warn('agent state refresh failed', { error: errorBody(err) }));
  await d.tokens.persist(d.state().user ?? undefined);
}
