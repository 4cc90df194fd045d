/**
 * The wallboard page's words (src/renderer/state/wallboard-labels.ts) and its components
 * (ui/wallboard/WallboardView.tsx) rendered to markup: the figures as the server sent them,
 * dashes before the first call, waits and times in state counted on the server's clock,
 * members by state, and the supervisor actions only where they apply.
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { WallboardFeedState } from '../../../src/shared/contract.js';
import type { AgentStats, AgentView, QueueStats } from '../../../src/shared/protocol/index.js';
import {
  agentCounts,
  dayLabel,
  describeSupervisorError,
  longestWaitLabel,
  percentLabel,
  timeInStateLabel,
  secondsLabel,
  supervisorActions,
} from '../../../src/renderer/state/wallboard-labels.js';
import { AgentRow, QueueCard, Wallboard, type AgentActions } from '../../../src/renderer/ui/wallboard/WallboardView.js';

const REASONS = [
  { code: 'break', label: 'Break', system: false },
  { code: 'lunch', label: 'Lunch', system: false },
  { code: 'logged-out', label: 'Logged out', system: true },
];
const NOW = 1_700_000_100_000;

const queue = (patch: Partial<QueueStats> = {}): QueueStats => ({
  queue: { id: 'support', name: 'Support' },
  serviceLevelSec: 20,
  waiting: 2,
  oldestWaitingSince: NOW - 75_000,
  agents: { offline: 1, 'not-ready': 2, ready: 3, reserved: 0, 'on-call': 1, 'wrap-up': 0 },
  answered: 8,
  abandoned: 1,
  unanswered: 1,
  refused: 0,
  serviceLevelPct: 87.5,
  avgSpeedOfAnswerSec: 12.4,
  avgHandleTimeSec: 185,
  ...patch,
});

const agentView = (patch: Partial<AgentView> = {}): AgentView => ({
  user: { id: 'u-bob', username: 'bob', displayName: 'Bob Marley' },
  state: 'not-ready',
  reason: 'lunch',
  since: NOW - 125_000,
  by: 'agent',
  next: null,
  previous: null,
  callId: null,
  offerDeadline: null,
  wrapUp: null,
  noOffersUntil: null,
  graceUntil: null,
  autoAnswer: { queue: false, internal: false, delayMs: 0, agentMayChange: false },
  ...patch,
});
const stats = (patch: Partial<AgentView> = {}, handledToday = 4): AgentStats => ({ agent: agentView(patch), queues: ['sales', 'support'], handledToday });

const noActions: AgentActions = { setAgent: async () => undefined, logOut: async () => undefined };
const html = (el: Parameters<typeof renderToStaticMarkup>[0]) => renderToStaticMarkup(el);
/** The text of the element carrying `attr="value"` (first match), tags stripped. */
function textOf(markup: string, attr: string): string {
  const start = markup.indexOf(attr);
  expect(start, `${attr} in the markup`).toBeGreaterThan(-1);
  const from = markup.indexOf('>', start) + 1;
  const end = markup.indexOf('</div>', from);
  return markup.slice(from, end).replace(/<[^>]+>/g, '|').replace(/\|+/g, '|').replace(/^\||\|$/g, '');
}

describe('wallboard labels', () => {
  it('percent and durations, a dash when there is no figure', () => {
    expect(percentLabel(87.5)).toBe('87.5 %');
    expect(percentLabel(100)).toBe('100 %');
    expect(percentLabel(0)).toBe('0 %');
    expect(percentLabel(null)).toBe('—');
    expect(secondsLabel(12.4)).toBe('00:12');
    expect(secondsLabel(185)).toBe('03:05');
    expect(secondsLabel(null)).toBe('—');
    expect(longestWaitLabel(NOW - 75_000, NOW)).toBe('01:15');
    expect(longestWaitLabel(null, NOW)).toBe('—');
    expect(timeInStateLabel({ state: 'not-ready', since: NOW - 125_000 }, NOW, NOW - 3_600_000)).toBe('02:05');
    // Offline since the day began: not seen today, no time to count.
    expect(timeInStateLabel({ state: 'offline', since: NOW - 3_600_000 }, NOW, NOW - 3_600_000)).toBe('—');
    expect(timeInStateLabel({ state: 'offline', since: NOW - 60_000 }, NOW, NOW - 3_600_000)).toBe('01:00');
  });

  it('members by state, ready first; the day in words', () => {
    expect(agentCounts(queue()).map((c) => `${c.label} ${c.count}`)).toEqual([
      'Ready 3',
      'Call offered 0',
      'On a call 1',
      'Wrap-up 0',
      'Not ready 2',
      'Offline 1',
    ]);
    expect(dayLabel(queue())).toBe('8 answered · 1 abandoned · 1 unanswered');
    expect(dayLabel(queue({ refused: 2 }))).toBe('8 answered · 1 abandoned · 1 unanswered · 2 refused');
  });

  it('actions: none for an offline agent, no second log-out', () => {
    expect(supervisorActions(stats({ state: 'ready', reason: null }))).toEqual({ notReady: true, logOut: true });
    expect(supervisorActions(stats({ state: 'offline', reason: null }))).toEqual({ notReady: false, logOut: false });
    expect(supervisorActions(stats({ state: 'not-ready', reason: 'logged-out' }))).toEqual({ notReady: true, logOut: false });
  });

  it('refusals in a supervisor’s words', () => {
    expect(describeSupervisorError({ code: 'forbidden', message: 'x' })).toBe('This needs the supervisor role.');
    expect(describeSupervisorError({ code: 'not_found', message: 'no such agent' })).toBe('That agent no longer exists.');
    expect(describeSupervisorError({ code: 'not_found', message: 'the wallboard is not available on this server' })).toBe('This server does not offer that.');
    expect(describeSupervisorError({ code: 'internal', message: 'x', details: { offline: true } })).toMatch(/Not connected/);
  });
});

describe('wallboard components', () => {
  it('a queue card shows every figure as sent', () => {
    const m = html(createElement(QueueCard, { q: queue(), now: NOW }));
    expect(m).toContain('Support');
    expect(textOf(m, 'data-figure="waiting"')).toBe('Waiting|2');
    expect(textOf(m, 'data-figure="longest-wait"')).toBe('Longest wait|01:15');
    expect(textOf(m, 'data-figure="answered"')).toBe('Answered|8');
    expect(textOf(m, 'data-figure="abandoned"')).toBe('Abandoned|1');
    expect(textOf(m, 'data-figure="unanswered"')).toBe('Unanswered|1');
    expect(textOf(m, 'data-figure="service-level"')).toBe('Service level (20 s)|87.5 %');
    expect(textOf(m, 'data-figure="asa"')).toBe('ASA|00:12');
    expect(textOf(m, 'data-figure="aht"')).toBe('AHT|03:05');
    expect(m).toMatch(/data-state="ready">.*Ready: <strong>3<\/strong>/);
  });

  it('a queue with no call yet shows dashes, not zeros', () => {
    const m = html(createElement(QueueCard, { q: queue({ waiting: 0, oldestWaitingSince: null, serviceLevelPct: null, avgSpeedOfAnswerSec: null, avgHandleTimeSec: null }), now: NOW }));
    expect(textOf(m, 'data-figure="longest-wait"')).toBe('Longest wait|—');
    expect(textOf(m, 'data-figure="service-level"')).toBe('Service level (20 s)|—');
    expect(textOf(m, 'data-figure="aht"')).toBe('AHT|—');
  });

  it('an agent row: state with reason, time in state, handled today, queues and the actions', () => {
    const row = (a: AgentStats) =>
      html(createElement('table', null, createElement('tbody', null, createElement(AgentRow, { a, reasons: REASONS, now: NOW, dayStart: NOW - 3_600_000, connected: true, actions: noActions, onError: () => undefined }))));
    const m = row(stats());
    expect(m).toContain('Bob Marley');
    expect(m).toContain('Not ready · Lunch');
    expect(m).toContain('02:05');
    expect(m).toContain('<td>4</td>');
    expect(m).toContain('sales, support');
    expect(m).toContain('aria-label="Not ready: Bob Marley"');
    expect(m).toContain('aria-label="Log out Bob Marley from the queues"');
    // Only the reasons a supervisor may force are offered.
    expect(m).toContain('<option value="break" selected="">Break</option><option value="lunch">Lunch</option></select>');
    expect(m).not.toContain('value="logged-out"');
    const offline = row(stats({ state: 'offline', reason: null }));
    expect(offline).not.toContain('Log out Bob Marley');
    expect(offline).not.toContain('Not ready: Bob Marley');
  });

  it('the page: loading, refused, and live or not', () => {
    const feed = (patch: Partial<WallboardFeedState>): WallboardFeedState => ({
      available: true,
      watching: true,
      live: true,
      wallboard: null,
      reasons: REASONS,
      clockOffsetMs: 0,
      error: null,
      ...patch,
    });
    expect(html(createElement(Wallboard, { feed: feed({}), actions: noActions }))).toContain('Loading the wallboard');
    expect(html(createElement(Wallboard, { feed: feed({ available: false, error: { code: 'forbidden', message: 'no' } }), actions: noActions }))).toContain(
      'This needs the supervisor role.',
    );
    const wb = { at: NOW, dayStart: NOW - 3_600_000, queues: [queue()], agents: [stats()] };
    const live = html(createElement(Wallboard, { feed: feed({ wallboard: wb }), actions: noActions }));
    expect(live).toContain('>Live<');
    expect(live).toContain('data-queue="support"');
    expect(live).toContain('data-agent="bob"');
    expect(html(createElement(Wallboard, { feed: feed({ wallboard: wb, live: false }), actions: noActions }))).toContain('Not live: reconnecting');
  });
});
