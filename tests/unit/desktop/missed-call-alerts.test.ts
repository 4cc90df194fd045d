import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/core/ports.js';
import { MISSED_WATERMARK_KEY, MissedCallAlerts, missedNotice } from '../../../src/main/app/missed-call-alerts.js';
import type { Notice, NoticeHandlers, NotifierPort } from '../../../src/main/app/ports.js';
import type { SessionState } from '../../../src/shared/contract.js';
import type { HistoryRecord } from '../../../src/shared/protocol/index.js';

class Notifier implements NotifierPort {
  shown: { notice: Notice; handlers: NoticeHandlers; closed: boolean }[] = [];
  async show(notice: Notice, handlers: NoticeHandlers) {
    const entry = { notice, handlers, closed: false };
    for (const s of this.shown) if (s.notice.tag === notice.tag) s.closed = true;
    this.shown.push(entry);
    return { close: async () => void (entry.closed = true) };
  }
  get open() {
    return this.shown.filter((s) => !s.closed);
  }
}

const alice = { id: 'u-alice', username: 'alice', displayName: 'Alice' };
function rec(id: string, peer: string, endedAt: number, o: Partial<HistoryRecord> = {}): HistoryRecord {
  return {
    id,
    callId: `c-${id}`,
    direction: 'incoming',
    peer: { id: `u-${peer}`, username: peer, displayName: peer[0]!.toUpperCase() + peer.slice(1) },
    outcome: 'missed',
    endReason: 'timeout',
    missed: true,
    startedAt: endedAt - 1000,
    answeredAt: null,
    endedAt,
    durationSec: 0,
    answeredDeviceId: null,
    seen: false,
    ...o,
  };
}
function state(history: HistoryRecord[], patch: Partial<SessionState> = {}): SessionState {
  return {
    phase: 'signed-in',
    serverUrl: 'http://x',
    user: alice,
    connection: 'connected',
    status: 'available',
    presence: 'available',
    account: { callWaiting: false },
    calls: [],
    missedCount: history.filter((r) => r.missed && !r.seen).length,
    history,
    error: null,
    ...patch,
  };
}

function setup(store = new MemoryStore()) {
  let now = 1_000_000;
  const notifier = new Notifier();
  const badges: number[] = [];
  const opened: string[] = [];
  const alerts = new MissedCallAlerts({
    store,
    notifier,
    shell: { setBadgeCount: (n) => badges.push(n), quit() {} },
    openHistory: () => opened.push('history'),
    callBack: (id) => opened.push(`call ${id}`),
    groupWindowMs: 10_000,
    now: () => now,
    formatTime: (ms) => `t${ms}`,
  });
  return { alerts, notifier, badges, opened, store, advance: (ms: number) => (now += ms) };
}

describe('missed-call alerts', () => {
  it('announces each new missed call once, and sets the badge', async () => {
    const t = setup();
    await t.alerts.update(state([]));
    expect(t.notifier.shown).toHaveLength(0);
    const h1 = [rec('1', 'bob', 100)];
    await t.alerts.update(state(h1));
    await t.alerts.update(state(h1));
    expect(t.notifier.shown.map((s) => [s.notice.title, s.notice.body])).toEqual([['Missed call', 'Bob called at t100']]);
    expect(t.badges).toEqual([0, 1]);
    t.notifier.shown[0]!.handlers.onAction!('call-back');
    t.notifier.shown[0]!.handlers.onClick!();
    expect(t.opened).toEqual(['call u-bob', 'history']);
  });

  it('groups calls missed close together into one growing notification, and starts a new one later', async () => {
    const t = setup();
    const h = [rec('1', 'bob', 100)];
    await t.alerts.update(state(h));
    t.advance(3_000);
    h.unshift(rec('2', 'carol', 200));
    await t.alerts.update(state(h));
    t.advance(3_000);
    h.unshift(rec('3', 'bob', 300));
    await t.alerts.update(state(h));
    expect(t.notifier.open).toHaveLength(1);
    expect(t.notifier.open[0]!.notice).toMatchObject({ title: '3 missed calls', body: 'Bob (2), Carol', actions: [] });
    expect(new Set(t.notifier.shown.map((s) => s.notice.tag)).size).toBe(1);

    t.advance(60_000);
    h.unshift(rec('4', 'dave', 400));
    await t.alerts.update(state(h));
    expect(t.notifier.open.map((s) => s.notice.title)).toEqual(['3 missed calls', 'Missed call']);
  });

  it('ignores calls already seen, answered or declined, and history while disconnected', async () => {
    const t = setup();
    await t.alerts.update(
      state([
        rec('1', 'bob', 100, { seen: true }),
        rec('2', 'bob', 200, { missed: false, outcome: 'completed' }),
        rec('3', 'bob', 300, { missed: false, outcome: 'declined' }),
      ]),
    );
    await t.alerts.update(state([rec('4', 'bob', 400)], { connection: 'reconnecting' }));
    expect(t.notifier.shown).toHaveLength(0);
  });

  it('remembers what it announced across restarts (persisted watermark, per user)', async () => {
    const store = new MemoryStore();
    const a = setup(store);
    await a.alerts.update(state([rec('1', 'bob', 100), rec('2', 'bob', 100)]));
    expect(a.notifier.shown).toHaveLength(1);
    expect(await store.get(MISSED_WATERMARK_KEY)).toEqual({ userId: 'u-alice', upTo: 100, ids: ['1', '2'] });

    const b = setup(store);
    await b.alerts.update(state([rec('3', 'carol', 100), rec('1', 'bob', 100), rec('2', 'bob', 100), rec('0', 'x', 50)]));
    // Same millisecond as the watermark but not announced yet: announced now.
    expect(b.notifier.shown.map((s) => s.notice.body)).toEqual(['Carol called at t100']);

    const otherUser = setup(store);
    await otherUser.alerts.update(state([rec('1', 'bob', 100)], { user: { id: 'u-zed', username: 'zed', displayName: 'Zed' } }));
    expect(otherUser.notifier.shown).toHaveLength(1);
  });

  it('withdraws the notification and clears the badge once everything is seen or the user signs out', async () => {
    const t = setup();
    await t.alerts.update(state([rec('1', 'bob', 100)]));
    await t.alerts.update(state([rec('1', 'bob', 100, { seen: true })], { missedCount: 0 }));
    expect(t.notifier.open).toHaveLength(0);
    expect(t.badges.at(-1)).toBe(0);
    await t.alerts.update(state([rec('2', 'bob', 200)]));
    await t.alerts.update(state([], { phase: 'signed-out', user: null, connection: 'offline', missedCount: 0 }));
    expect(t.notifier.open).toHaveLength(0);
  });

  it('words groups naturally', () => {
    const many = ['bob', 'carol', 'dave', 'erin', 'frank'].map((p, i) => rec(String(i), p, i));
    expect(missedNotice(many, 't').body).toBe('Bob, Carol, Dave and 2 others');
    expect(missedNotice([rec('1', 'bob', 1), rec('2', 'bob', 5)], 't', (ms) => `t${ms}`)).toMatchObject({
      title: '2 missed calls from Bob',
      body: 'Last at t5',
      actions: [{ key: 'call-back', label: 'Call back' }],
    });
  });
});
