/**
 * The tray as data: icon state, tooltip and menu derived from the session
 * state alone, so what the user sees in the tray is tested without Electron.
 */
import type { SessionState } from '../../shared/contract.js';
import type { AgentView, HistoryRecord, Reason, SetStatus } from '../../shared/protocol/index.js';
import { agentStateLabel, statusLabel } from '../../shared/agent-labels.js';
import { PRODUCT_NAME } from './constants.js';
import type { TrayIconState, TrayMenuItem, TrayModel } from './ports.js';

export const STATUS_LABELS: Record<SetStatus, string> = {
  available: 'Available',
  busy: 'Busy',
  dnd: 'Do not disturb',
  away: 'Away',
};

const STATUS_ORDER: SetStatus[] = ['available', 'busy', 'dnd', 'away'];
const RECENT_LIMIT = 5;

export function trayIconState(s: SessionState): TrayIconState {
  if (s.phase !== 'signed-in') return 'offline';
  if (s.connection === 'connected') {
    // Presence already folds "in a call" into busy and dnd over everything.
    return s.presence === 'offline' ? s.status : s.presence;
  }
  return s.connection === 'offline' ? 'offline' : 'reconnecting';
}

export function missedLabel(count: number): string {
  return count === 1 ? '1 missed call' : `${count} missed calls`;
}

function connectionLine(s: SessionState): string {
  if (s.phase === 'signing-in') return 'Signing in…';
  if (s.phase !== 'signed-in') return 'Signed out';
  switch (s.connection) {
    case 'connected':
      if (s.agent) return agentStateLabel(s.agent, s.agentReasons ?? []);
      return STATUS_LABELS[s.status] + (s.presence === 'busy' && s.status !== 'busy' ? ' · in a call' : '');
    case 'connecting':
      return 'Connecting…';
    case 'reconnecting':
      return 'Reconnecting…';
    default:
      return 'Offline';
  }
}

export function trayTooltip(s: SessionState): string {
  const parts = [PRODUCT_NAME];
  if (s.user) parts.push(`${s.user.displayName} — ${connectionLine(s)}`);
  else parts.push(connectionLine(s));
  if (s.phase === 'signed-in' && s.missedCount > 0) parts.push(missedLabel(s.missedCount));
  return parts.join('\n');
}

/** The most recent distinct peers, newest first, for "call back". */
export function recentPeers(history: HistoryRecord[], limit = RECENT_LIMIT): HistoryRecord[] {
  const seen = new Set<string>();
  const out: HistoryRecord[] = [];
  for (const r of [...history].sort((a, b) => b.endedAt - a.endedAt)) {
    if (seen.has(r.peer.id)) continue;
    seen.add(r.peer.id);
    out.push(r);
    if (out.length === limit) break;
  }
  return out;
}

/** Agents: the state line, then Ready and the reason codes (the next status while busy). */
export function agentTrayItems(agent: AgentView, reasons: readonly Reason[], connected: boolean): TrayMenuItem[] {
  const busy = agent.state === 'on-call' || agent.state === 'wrap-up' || agent.state === 'reserved';
  const items: TrayMenuItem[] = [{ kind: 'label', label: `Agent: ${agentStateLabel(agent, reasons)}` }];
  const next = agent.next;
  if (next) {
    const word = statusLabel(next, reasons);
    items.push({ kind: 'action', label: `Cancel next status (${word})`, action: { type: 'agent', status: null }, enabled: connected });
  }
  if (busy) items.push({ kind: 'label', label: 'After this call:' });
  const entries = [
    { label: 'Ready', status: { state: 'ready' as const } },
    ...reasons.filter((r) => !r.system).map((r) => ({ label: r.label, status: { state: 'not-ready' as const, reason: r.code } })),
  ];
  // While busy the radio marks the pending next status; otherwise the state the agent is in.
  const chosen = busy ? next : agent.state === 'ready' ? { state: 'ready' as const } : agent.state === 'not-ready' && agent.reason ? { state: 'not-ready' as const, reason: agent.reason } : null;
  for (const e of entries) {
    const checked = chosen !== null && (chosen.state === 'ready' ? e.status.state === 'ready' : e.status.state === 'not-ready' && e.status.reason === chosen.reason);
    items.push({ kind: 'radio', label: e.label, action: { type: 'agent', status: e.status }, checked, enabled: connected });
  }
  return items;
}

function recentLabel(r: HistoryRecord): string {
  const what = r.missed ? 'missed' : r.direction === 'incoming' ? 'incoming' : 'outgoing';
  return `${r.peer.displayName} (${what})`;
}

export function buildTrayModel(s: SessionState): TrayModel {
  const signedIn = s.phase === 'signed-in';
  const connected = signedIn && s.connection === 'connected';
  const menu: TrayMenuItem[] = [
    { kind: 'label', label: s.user ? `${s.user.displayName} — ${connectionLine(s)}` : connectionLine(s) },
    { kind: 'action', label: `Open ${PRODUCT_NAME}`, action: { type: 'open', view: 'main' }, enabled: true },
  ];
  if (signedIn && s.missedCount > 0) {
    menu.push({ kind: 'action', label: missedLabel(s.missedCount), action: { type: 'open', view: 'history' }, enabled: true });
  }
  if (signedIn && s.agent) {
    // Agents: presence follows the agent state, changed through the server like the window does.
    menu.push({ kind: 'separator' }, ...agentTrayItems(s.agent, s.agentReasons ?? [], connected));
  } else if (signedIn) {
    menu.push({ kind: 'separator' });
    for (const status of STATUS_ORDER) {
      // Status changes go through the server (every device follows), so they need a connection.
      menu.push({
        kind: 'radio',
        label: STATUS_LABELS[status],
        action: { type: 'status', status },
        checked: s.status === status,
        enabled: connected,
      });
    }
  }
  if (signedIn) {
    const recent = recentPeers(s.history);
    menu.push({ kind: 'separator' });
    menu.push({
      kind: 'submenu',
      label: 'Call back',
      enabled: connected && recent.length > 0,
      items: recent.map((r) => ({
        kind: 'action' as const,
        label: recentLabel(r),
        action: { type: 'call-back' as const, userId: r.peer.id, label: r.peer.displayName },
        enabled: connected,
      })),
    });
  }
  menu.push({ kind: 'separator' });
  menu.push({ kind: 'action', label: `Quit ${PRODUCT_NAME}`, action: { type: 'quit' }, enabled: true });
  return {
    icon: trayIconState(s),
    missed: signedIn && s.missedCount > 0,
    tooltip: trayTooltip(s),
    menu,
  };
}

/** File name stem of a tray icon, e.g. `tray-busy-missed` (assets/tray, scripts/make-icons.mjs). */
export function trayIconName(model: Pick<TrayModel, 'icon' | 'missed'>): string {
  return `tray-${model.icon}${model.missed ? '-missed' : ''}`;
}

/**
 * The PNG for a tray model: macOS gets monochrome template images (the
 * menu bar tints them); elsewhere `-dark` is drawn for dark panels (light
 * glyph) and `-light` for light ones. `@2x` files sit next to them.
 */
export function trayIconFile(model: Pick<TrayModel, 'icon' | 'missed'>, platform: string, darkBackground: boolean): string {
  const name = trayIconName(model);
  if (platform === 'darwin') return `${name}Template.png`;
  return `${name}-${darkBackground ? 'dark' : 'light'}.png`;
}
