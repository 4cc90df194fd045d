import { describe, expect, it } from 'vitest';
import type { SessionState } from '../../../src/shared/contract.js';
import type { HistoryRecord } from '../../../src/shared/protocol/index.js';
import { buildTrayModel, recentPeers, trayIconFile, trayIconName, trayIconState } from '../../../src/main/app/tray-model.js';

const user = { id: 'u-alice', username: 'alice', displayName: 'Alice' };
function state(patch: Partial<SessionState> = {}): SessionState {
  return {
    phase: 'signed-in',
    serverUrl: 'http://127.0.0.1:4000',
    user,
    connection: 'connected',
    status: 'available',
    presence: 'available',
    account: { callWaiting: false },
    calls: [],
    missedCount: 0,
    history: [],
    error: null,
    ...patch,
  };
}
function record(id: string, peer: string, endedAt: number, missed = false): HistoryRecord {
  return {
    id,
    callId: `c-${id}`,
    direction: 'incoming',
    peer: { id: `u-${peer}`, username: peer, displayName: peer[0]!.toUpperCase() + peer.slice(1) },
    outcome: missed ? 'missed' : 'completed',
    endReason: missed ? 'timeout' : 'hangup',
    missed,
    startedAt: endedAt - 1000,
    answeredAt: null,
    endedAt,
    durationSec: 0,
    answeredDeviceId: null,
    seen: false,
  };
}

describe('tray model', () => {
  it('icon: connection first, then presence', () => {
    expect(trayIconState(state())).toBe('available');
    expect(trayIconState(state({ status: 'busy', presence: 'busy' }))).toBe('busy');
    expect(trayIconState(state({ status: 'available', presence: 'busy' }))).toBe('busy'); // in a call
    expect(trayIconState(state({ status: 'dnd', presence: 'dnd' }))).toBe('dnd');
    expect(trayIconState(state({ connection: 'reconnecting', status: 'dnd' }))).toBe('reconnecting');
    expect(trayIconState(state({ connection: 'connecting' }))).toBe('reconnecting');
    expect(trayIconState(state({ connection: 'offline' }))).toBe('offline');
    expect(trayIconState(state({ phase: 'signed-out', user: null, connection: 'offline' }))).toBe('offline');
  });

  it('menu: header, open, missed count, status radios (only when connected), call back, quit', () => {
    const m = buildTrayModel(
      state({ status: 'away', presence: 'away', missedCount: 3, history: [record('1', 'bob', 3, true), record('2', 'carol', 2), record('3', 'bob', 1)] }),
    );
    expect(m.icon).toBe('away');
    expect(m.missed).toBe(true);
    expect(m.tooltip).toBe('Open Softphone\nAlice — Away\n3 missed calls');
    expect(m.menu.map((i) => (i.kind === 'separator' ? '---' : i.label))).toEqual([
      'Alice — Away',
      'Open Open Softphone',
      '3 missed calls',
      '---',
      'Available',
      'Busy',
      'Do not disturb',
      'Away',
      '---',
      'Call back',
      '---',
      'Quit Open Softphone',
    ]);
    const sub = m.menu.find((i) => i.kind === 'submenu');
    expect(sub?.kind === 'submenu' && sub.items.map((i) => (i.kind === 'action' ? [i.label, i.action] : null))).toEqual([
      ['Bob (missed)', { type: 'call-back', userId: 'u-bob', label: 'Bob' }],
      ['Carol (incoming)', { type: 'call-back', userId: 'u-carol', label: 'Carol' }],
    ]);
    const offline = buildTrayModel(state({ connection: 'reconnecting' }));
    expect(offline.menu.filter((i) => i.kind === 'radio').every((i) => i.kind === 'radio' && !i.enabled)).toBe(true);
    expect(offline.tooltip).toContain('Reconnecting…');
  });

  it('signed out: open and quit only, no badge', () => {
    const m = buildTrayModel(state({ phase: 'signed-out', user: null, connection: 'offline', missedCount: 4 }));
    expect(m.menu.map((i) => (i.kind === 'separator' ? '---' : i.label))).toEqual(['Signed out', 'Open Open Softphone', '---', 'Quit Open Softphone']);
    expect(m.missed).toBe(false);
  });

  it('recent peers are distinct and newest first', () => {
    const recent = recentPeers([record('1', 'bob', 1), record('2', 'carol', 5), record('3', 'bob', 9), record('4', 'dave', 3)], 2);
    expect(recent.map((r) => r.peer.username)).toEqual(['bob', 'carol']);
  });

  it('icon files per platform and background', () => {
    expect(trayIconName({ icon: 'busy', missed: true })).toBe('tray-busy-missed');
    expect(trayIconFile({ icon: 'busy', missed: true }, 'darwin', true)).toBe('tray-busy-missedTemplate.png');
    expect(trayIconFile({ icon: 'offline', missed: false }, 'win32', true)).toBe('tray-offline-dark.png');
    expect(trayIconFile({ icon: 'available', missed: false }, 'linux', false)).toBe('tray-available-light.png');
  });
});
