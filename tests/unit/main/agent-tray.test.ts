/** The tray for agents: their state, Ready and the reason codes, the pending next status. */
import { describe, expect, it } from 'vitest';
import { buildTrayModel } from '../../../src/main/app/tray-model.js';
import type { TrayMenuItem } from '../../../src/main/app/ports.js';
import type { SessionState } from '../../../src/shared/contract.js';
import type { AgentView } from '../../../src/shared/protocol/index.js';

const user = { id: 'u-alice', username: 'alice', displayName: 'Alice' };
const REASONS = [
  { code: 'break', label: 'Break', system: false },
  { code: 'missed', label: 'Missed', system: true },
];

function agent(patch: Partial<AgentView> = {}): AgentView {
  return {
    user,
    state: 'ready',
    reason: null,
    since: 0,
    by: 'agent',
    next: null,
    previous: null,
    callId: null,
    offerDeadline: null,
    wrapUp: null,
    noOffersUntil: null,
    graceUntil: null,
    autoAnswer: { queue: false, internal: false, delayMs: 0, agentMayChange: true },
    ...patch,
  };
}

function state(a: AgentView | null, connection: SessionState['connection'] = 'connected'): SessionState {
  return {
    phase: 'signed-in',
    serverUrl: 'http://127.0.0.1:4000',
    user,
    connection,
    status: 'available',
    presence: 'available',
    account: { callWaiting: false },
    calls: [],
    missedCount: 0,
    history: [],
    error: null,
    agent: a,
    agentReasons: REASONS,
  };
}

const radios = (menu: TrayMenuItem[]) =>
  menu.filter((m): m is Extract<TrayMenuItem, { kind: 'radio' }> => m.kind === 'radio').map((m) => [m.label, m.checked, m.enabled, m.action]);
const labels = (menu: TrayMenuItem[]) => menu.filter((m) => m.kind === 'label' || m.kind === 'action').map((m) => ('label' in m ? m.label : ''));

describe('tray for agents', () => {
  it('shows the agent state and offers Ready and the agent’s reasons instead of presence', () => {
    const m = buildTrayModel(state(agent({ state: 'not-ready', reason: 'missed' })));
    expect(labels(m.menu)).toContain('Agent: Not ready · Missed');
    expect(radios(m.menu)).toEqual([
      ['Ready', false, true, { type: 'agent', status: { state: 'ready' } }],
      ['Break', false, true, { type: 'agent', status: { state: 'not-ready', reason: 'break' } }],
    ]);
    expect(m.tooltip).toContain('Alice — Not ready · Missed');
  });

  it('marks the current state', () => {
    expect(radios(buildTrayModel(state(agent())).menu).map((r) => r[1])).toEqual([true, false]);
  });

  it('on a call: entries set the next status, the pending one is marked and can be cancelled', () => {
    const m = buildTrayModel(state(agent({ state: 'on-call', next: { state: 'not-ready', reason: 'break' } })));
    expect(labels(m.menu)).toEqual(expect.arrayContaining(['Agent: On a call', 'After this call:', 'Cancel next status (Break)']));
    expect(radios(m.menu).map((r) => r[1])).toEqual([false, true]);
    expect(m.menu).toContainEqual({ kind: 'action', label: 'Cancel next status (Break)', action: { type: 'agent', status: null }, enabled: true });
  });

  it('disconnected: agent entries are disabled', () => {
    expect(radios(buildTrayModel(state(agent(), 'reconnecting')).menu).map((r) => r[2])).toEqual([false, false]);
  });

  it('a non-agent keeps the presence entries', () => {
    expect(radios(buildTrayModel(state(null)).menu).map((r) => r[0])).toEqual(['Available', 'Busy', 'Do not disturb', 'Away']);
  });
});
