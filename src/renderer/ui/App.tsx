/**
 * The main window: sign-in, or the signed-in shell (sidebar, the current
 * view, the call in progress and the incoming-call dialog).
 */
import { useCallback, useEffect, useId, useMemo, useRef, useState, type ReactNode } from 'react';
import { type CallInfo, type HostEvent, type SessionState } from '../../shared/contract.js';
import { SET_STATUSES, type SetStatus } from '../../shared/protocol/index.js';
import { describeError } from '../state/errors.js';
import { CONNECTION_LABELS, STATUS_LABELS, formatDuration, missedCallsLabel, ringingFailedNotice } from '../state/labels.js';
import { Announcer } from './Announcer.js';
import { AgentBar } from './agent/AgentBar.js';
import { WrapUpPanel } from './agent/WrapUpPanel.js';
import { useMediaStatuses, useServices, useSession } from './app-context.js';
import { CallScreen } from './call/CallScreen.js';
import { IncomingCall } from './call/IncomingCall.js';
import { OutgoingCall } from './call/OutgoingCall.js';
import { Avatar } from './components/Avatar.js';
import { Icon } from './components/Icon.js';
import { ContactsView, type DialTarget } from './views/ContactsView.js';
import { HistoryView } from './views/HistoryView.js';
import { LoginView } from './views/LoginView.js';
import { SettingsView } from './views/SettingsView.js';
import { useNow } from './use-now.js';
import { useWallboardFeed } from './wallboard/use-wallboard.js';
import { WallboardView } from './wallboard/WallboardView.js';

type View = 'contacts' | 'history' | 'settings' | 'call' | 'wallboard';

/** A target a tel:/softphone: link filled in; `seq` tells two links to the same target apart. */
export interface DialPrefill {
  text: string;
  seq: number;
}

export function App() {
  const session = useSession();
  const { api } = useServices();
  // Held here, above sign-in, so a link that started the app survives until the dial field is shown.
  const [prefill, setPrefill] = useState<DialPrefill | null>(null);
  useEffect(
    () =>
      api.on('command', (cmd: HostEvent<'command'>) => {
        if (cmd.type === 'prefill') setPrefill((p) => ({ text: cmd.target, seq: (p?.seq ?? 0) + 1 }));
      }),
    [api],
  );
  const taken = useCallback(() => setPrefill(null), []);
  if (!session) {
    return (
      <main className="splash" aria-busy="true">
        <p>Starting…</p>
      </main>
    );
  }
  if (session.phase !== 'signed-in') return <LoginView />;
  return <Shell session={session} prefill={prefill} onPrefillTaken={taken} />;
}

/** Calls worth the call pane: placed or answered here (ended ones linger briefly with their outcome). */
function useCallPane(session: SessionState, dismissed: Set<string>, preferred: string | null) {
  const involved = useRef(new Set<string>());
  return useMemo(() => {
    for (const c of session.calls) if (c.local === 'active' || c.local === 'ringing-out') involved.current.add(c.callId);
    const shown = session.calls.filter(
      (c) => !dismissed.has(c.callId) && (c.local === 'active' || c.local === 'ringing-out' || (c.local === 'ended' && involved.current.has(c.callId))),
    );
    const active = shown.filter((c) => c.local === 'active');
    const primary =
      shown.find((c) => c.callId === preferred && c.local !== 'ended') ??
      active.find((c) => !c.held) ??
      active[0] ??
      shown.find((c) => c.local === 'ringing-out') ??
      shown.find((c) => c.callId === preferred) ??
      shown[shown.length - 1] ??
      null;
    const others = active.filter((c) => c.callId !== primary?.callId);
    return { primary, others, markInvolved: (id: string) => involved.current.add(id) };
  }, [session.calls, dismissed, preferred]);
}

function Shell({ session, prefill, onPrefillTaken }: { session: SessionState; prefill: DialPrefill | null; onPrefillTaken: () => void }) {
  const { api } = useServices();
  const statuses = useMediaStatuses();
  const [view, setView] = useState<View>('contacts');
  const [dismissed, setDismissed] = useState<Set<string>>(() => new Set());
  const [preferred, setPreferred] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [answering, setAnswering] = useState(false);
  const mainRef = useRef<HTMLElement>(null);
  const { primary, others, markInvolved } = useCallPane(session, dismissed, preferred);
  // Supervisors: the server said this user may see the wallboard (src/core/wallboard-feed.ts).
  const wallboard = useWallboardFeed(api);
  const supervisor = wallboard?.available === true;
  const incoming = session.calls.find((c) => c.local === 'ringing-in');
  const activeHere = session.calls.find((c) => c.local === 'active' && !c.held);

  // A call that rang here and failed (server or connection gone) says so instead of silently vanishing.
  const ringingHere = useRef(new Set<string>());
  useEffect(() => {
    for (const c of session.calls) {
      if (c.local === 'ringing-in') ringingHere.current.add(c.callId);
      else if (ringingHere.current.delete(c.callId)) {
        const text = ringingFailedNotice(c);
        if (text) setNotice(text);
      }
    }
  }, [session.calls]);

  // A new call (placed or answered here) brings the call pane forward.
  const lastPrimary = useRef<string | null>(null);
  useEffect(() => {
    if (primary && primary.callId !== lastPrimary.current && primary.local !== 'ended') setView('call');
    lastPrimary.current = primary?.callId ?? null;
  }, [primary]);

  const current: View = (view === 'call' && !primary) || (view === 'wallboard' && !supervisor) ? 'contacts' : view;

  // When the focused control disappeared (a call pane closed), put focus on the new view's heading.
  useEffect(() => {
    if (document.activeElement === document.body || !document.activeElement) mainRef.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [current, primary?.callId, incoming?.callId]);

  useEffect(() => {
    const who = incoming ? `Incoming call from ${incoming.peer.displayName}` : primary && primary.local !== 'ended' ? `Call with ${primary.peer.displayName}` : null;
    document.title = who ? `${who} — Softphone` : 'Softphone';
  }, [incoming, primary]);

  const dial = useCallback(
    async (t: DialTarget): Promise<string | null> => {
      setNotice(null);
      try {
        const call = await api.invoke('call.dial', t.target);
        markInvolved(call.callId);
        setPreferred(call.callId);
        setView('call');
        return null;
      } catch (err) {
        return describeError(err, 'dial', { peerName: t.name });
      }
    },
    [api, markInvolved],
  );

  const act = useCallback(
    async (what: () => Promise<unknown>, context: 'call' | 'answer' | 'offer' = 'call') => {
      setNotice(null);
      try {
        await what();
      } catch (err) {
        setNotice(describeError(err, context));
      }
    },
    [],
  );

  async function answer(call: CallInfo) {
    setAnswering(true);
    await act(async () => {
      // The core holds the call in progress first (call waiting) and tells the media engine
      // to open the microphone while the answer travels.
      await api.invoke('call.answer', { callId: call.callId });
      markInvolved(call.callId);
      setPreferred(call.callId);
      setView('call');
    }, call.offer ? 'offer' : 'answer');
    setAnswering(false);
  }

  async function switchTo(call: CallInfo) {
    await act(async () => {
      if (call.local === 'active') await api.invoke('call.swap', { callId: call.callId });
      setPreferred(call.callId);
    });
  }

  // The desktop shows the window for a call (`show` → `call`); once every call is over the window
  // goes back where it was, unless the user started using it meanwhile.
  const openedForCall = useRef(false);
  useEffect(() => {
    if (openedForCall.current && session.calls.length === 0) {
      openedForCall.current = false;
      api.invoke('window.hide', {}).catch(() => undefined);
    }
  }, [api, session.calls.length]);
  const navigate = useCallback((v: View) => {
    openedForCall.current = false;
    setView(v);
  }, []);

  // Requests from the host: tray menu, notification, global shortcut. A link's `prefill` is held by App.
  useEffect(
    () =>
      api.on('command', (cmd: HostEvent<'command'>) => {
        if (cmd.type !== 'show') return;
        openedForCall.current = cmd.view === 'call';
        setView(cmd.view === 'main' || !cmd.view ? 'contacts' : cmd.view);
      }),
    [api],
  );
  // A link filled in the dial field: show it (the user still clicks Dial).
  useEffect(() => {
    if (prefill) navigate('contacts');
  }, [prefill, navigate]);

  const close = (callId: string) => setDismissed((d) => new Set(d).add(callId));

  let content;
  if (current === 'call' && primary) {
    content =
      primary.local === 'ringing-out' || (primary.local === 'ended' && primary.answeredAt === null) ? (
        <OutgoingCall
          key={primary.callId}
          call={primary}
          onHangup={() => void act(() => api.invoke('call.hangup', { callId: primary.callId }))}
          onClose={() => close(primary.callId)}
        />
      ) : (
        <CallScreen
          key={primary.callId}
          call={primary}
          media={statuses.get(primary.callId)}
          others={others}
          onSwitch={(c) => void switchTo(c)}
          onHangup={() => void act(() => api.invoke('call.hangup', { callId: primary.callId }))}
          onHold={(held) => void act(() => api.invoke('call.hold', { callId: primary.callId, held }))}
          onClose={() => close(primary.callId)}
        />
      );
  } else if (current === 'history') {
    content = <HistoryView session={session} onDial={dial} />;
  } else if (current === 'wallboard') {
    content = <WallboardView feed={wallboard} />;
  } else if (current === 'settings') {
    content = <SettingsView session={session} />;
  } else {
    content = <ContactsView session={session} onDial={dial} prefill={prefill} onPrefillTaken={onPrefillTaken} />;
  }

  return (
    <div className="app">
      <Sidebar session={session} view={current} onView={navigate} onError={setNotice} supervisor={supervisor} />
      <main className="main" ref={mainRef}>
        {notice && (
          <div className="alert alert-error notice" role="alert">
            <span>{notice}</span>
            <button type="button" className="btn btn-ghost btn-small" onClick={() => setNotice(null)}>
              Dismiss
            </button>
          </div>
        )}
        {session.agent && (
          <AgentBar
            agent={session.agent}
            reasons={session.agentReasons ?? []}
            clockOffsetMs={session.agentClockOffsetMs ?? 0}
            connected={session.connection === 'connected'}
            onError={setNotice}
          />
        )}
        {session.agent?.state === 'wrap-up' && session.agent.wrapUp && (
          <WrapUpPanel
            key={`wrapup-${session.agent.wrapUp.callId}`}
            wrapUp={session.agent.wrapUp}
            clockOffsetMs={session.agentClockOffsetMs ?? 0}
            connected={session.connection === 'connected'}
          />
        )}
        {primary && current !== 'call' && <CallBar call={primary} onReturn={() => navigate('call')} />}
        {content}
      </main>
      {incoming && (
        <div className="incoming-layer">
          <IncomingCall
            call={incoming}
            otherCall={activeHere}
            busy={answering}
            clockOffsetMs={session.agentClockOffsetMs ?? 0}
            onAnswer={() => void answer(incoming)}
            onDecline={() => void act(() => api.invoke('call.decline', { callId: incoming.callId }))}
          />
        </div>
      )}
      <Announcer session={session} />
    </div>
  );
}

function CallBar({ call, onReturn }: { call: CallInfo; onReturn: () => void }) {
  const now = useNow();
  const label =
    call.local === 'ringing-out'
      ? `Calling ${call.peer.displayName}…`
      : call.local === 'ended'
        ? `Call with ${call.peer.displayName} ended`
        : `${call.held ? 'On hold with' : 'In call with'} ${call.peer.displayName} · ${formatDuration(call.answeredAt ? (now - call.answeredAt) / 1000 : 0)}`;
  return (
    <div className="call-bar">
      <span>
        <Icon name="phone" /> {label}
      </span>
      <button type="button" className="btn btn-small btn-call" onClick={onReturn}>
        Return to call
      </button>
    </div>
  );
}

function Sidebar({
  session,
  view,
  onView,
  onError,
  supervisor,
}: {
  session: SessionState;
  view: View;
  onView: (v: View) => void;
  onError: (msg: string) => void;
  supervisor: boolean;
}) {
  const { api } = useServices();
  const statusId = useId();
  const badgeId = useId();
  const user = session.user;
  const missed = session.missedCount;

  async function setStatus(status: SetStatus) {
    try {
      await api.invoke('presence.set', { status });
    } catch (err) {
      onError(describeError(err));
    }
  }

  // The badge is outside the button so the button's name stays "History"; it describes the button instead.
  const nav = (v: View, label: string, icon: 'contacts' | 'history' | 'settings' | 'signal', badge?: ReactNode) => (
    <li className="nav-entry">
      <button
        type="button"
        className={`nav-item${view === v ? ' active' : ''}`}
        aria-current={view === v ? 'page' : undefined}
        aria-describedby={badge ? badgeId : undefined}
        onClick={() => onView(v)}
      >
        <Icon name={icon} />
        <span>{label}</span>
      </button>
      {badge}
    </li>
  );

  return (
    <aside className="sidebar" aria-label="Account and navigation">
      <div className="me">
        {user && <Avatar name={user.displayName} presence={session.connection === 'connected' ? session.presence : 'offline'} />}
        <div className="me-text">
          <span className="me-name">{user?.displayName}</span>
          <span className="muted small">@{user?.username}</span>
        </div>
      </div>
      {/* For agents, presence follows the agent state (the agent bar changes it). */}
      {!session.agent && (
        <div className="field field-compact">
          <label htmlFor={statusId}>My status</label>
          <select
            id={statusId}
            value={session.status}
            onChange={(e) => void setStatus(e.target.value as SetStatus)}
            disabled={session.connection !== 'connected'}
          >
            {SET_STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABELS[s]}
              </option>
            ))}
          </select>
        </div>
      )}
      <nav aria-label="Main">
        <ul className="nav">
          {nav('contacts', 'Contacts', 'contacts')}
          {nav(
            'history',
            'History',
            'history',
            missed > 0 ? (
              <span className="badge nav-badge" id={badgeId}>
                <span aria-hidden="true">{missed > 99 ? '99+' : missed}</span>
                <span className="visually-hidden">{missedCallsLabel(missed)}</span>
              </span>
            ) : null,
          )}
          {supervisor && nav('wallboard', 'Wallboard', 'signal')}
          {nav('settings', 'Settings', 'settings')}
        </ul>
      </nav>
      <p className={`connection connection-${session.connection}`} role="status">
        <span className="connection-dot" aria-hidden="true" />
        {CONNECTION_LABELS[session.connection]}
      </p>
    </aside>
  );
}
