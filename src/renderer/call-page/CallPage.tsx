/**
 * The click-to-call page (/call/<queue>): the queue's name and whether it is open, an
 * optional name, Call. Then the microphone, a guest token and the core's queue call
 * (host/guest-host.ts); while waiting, the place in line and the estimate from every
 * `queue:waiting`, with hold audio made in the page; "Connected" and a call timer once an
 * agent answers; Hang up at any time; and a clear sentence for every way it can end.
 */
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { CallInfo } from '../../shared/contract.js';
import { ProtocolError, type PublicQueueInfo } from '../../shared/protocol/index.js';
import { estimateText, positionText, queueEndMessage } from '../../shared/queue-labels.js';
import type { GuestCall, GuestLine } from '../host/guest-host.js';
import { microphoneConstraints } from '../media/audio-devices.js';
import { MediaEngine } from '../media/media-engine.js';
import { SessionStore } from '../state/session-store.js';
import { SettingsCache } from '../state/settings-store.js';
import { useNow } from '../ui/use-now.js';
import { log } from '../log.js';
import type { HoldAudio } from './hold-audio.js';
import { clock, startErrorText } from './words.js';

const LOST = 'The call was lost because of a connection problem. Please call again.';

/** The queue's info is read again this often while nobody is calling (open / closed). */
const INFO_REFRESH_MS = 30_000;

interface Running {
  guest: GuestCall;
  session: SessionStore;
  media: MediaEngine;
  callId: string;
  /** This device's clock when the call was placed / answered (timers shown are local). */
  placedAt: number;
  stop(): void;
}

type Phase =
  | { kind: 'idle' }
  | { kind: 'starting'; step: 'microphone' | 'connecting' }
  | { kind: 'call'; run: Running }
  | { kind: 'failed'; message: string };

type Info = { kind: 'loading' } | { kind: 'ready'; info: PublicQueueInfo } | { kind: 'unavailable' } | { kind: 'error' };

export function CallPage({ line, hold, mediaContainer }: { line: GuestLine; hold: HoldAudio; mediaContainer: HTMLElement }) {
  const [info, setInfo] = useState<Info>({ kind: 'loading' });
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const [name, setName] = useState('');
  const idle = phase.kind === 'idle' || phase.kind === 'failed';

  useEffect(() => {
    if (!idle) return;
    let live = true;
    const load = () =>
      line.info().then(
        (i) => live && setInfo({ kind: 'ready', info: i }),
        (err: unknown) => live && setInfo(err instanceof ProtocolError && err.code === 'not_found' ? { kind: 'unavailable' } : { kind: 'error' }),
      );
    void load();
    const t = setInterval(() => void load(), INFO_REFRESH_MS);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, [line, idle]);

  useEffect(() => {
    if (info.kind === 'ready') document.title = `Call ${info.info.name}`;
  }, [info]);

  const start = useCallback(async () => {
    hold.prime();
    setPhase({ kind: 'starting', step: 'microphone' });
    let guest: GuestCall | null = null;
    let stopMedia: (() => void) | null = null;
    try {
      // Asked first, inside the click: the call's own media opens it again without a prompt.
      const probe = await navigator.mediaDevices.getUserMedia(microphoneConstraints(''));
      probe.getTracks().forEach((t) => t.stop());
      setPhase({ kind: 'starting', step: 'connecting' });
      guest = await line.open(name);
      const session = new SessionStore(guest.api);
      const settings = new SettingsCache(guest.api);
      await Promise.all([session.load(), settings.load()]);
      const media = new MediaEngine(guest.api, session, settings, mediaContainer);
      stopMedia = media.start();
      const placed = await guest.place();
      const g = guest;
      const off = stopMedia;
      setPhase({
        kind: 'call',
        run: { guest: g, session, media, callId: placed.callId, placedAt: Date.now(), stop: () => (off(), void g.close()) },
      });
    } catch (err) {
      log.warn('the call could not start', err);
      stopMedia?.();
      void guest?.close();
      setPhase({ kind: 'failed', message: startErrorText(err) });
    }
  }, [hold, line, mediaContainer, name]);

  const again = useCallback(() => setPhase({ kind: 'idle' }), []);

  return (
    <main className="cp" aria-labelledby="cp-title">
      <header className="cp-header">
        <h1 id="cp-title">{info.kind === 'ready' ? info.info.name : 'Call us'}</h1>
        <QueueState info={info} />
      </header>
      {phase.kind === 'call' ? (
        <CallView run={phase.run} hold={hold} onAgain={again} />
      ) : (
        <StartForm
          name={name}
          setName={setName}
          disabled={info.kind !== 'ready' || !info.info.open || phase.kind === 'starting'}
          starting={phase.kind === 'starting' ? phase.step : null}
          failure={phase.kind === 'failed' ? phase.message : null}
          onCall={() => void start()}
        />
      )}
    </main>
  );
}

function QueueState({ info }: { info: Info }) {
  let text: string;
  if (info.kind === 'loading') text = 'Checking the line…';
  else if (info.kind === 'unavailable') text = 'This line does not exist or does not take calls from the web.';
  else if (info.kind === 'error') text = 'The support line cannot be reached right now. Please try again later.';
  else text = info.info.open ? 'Open: an agent can take your call.' : 'Closed: nobody can take calls right now. Please try again later.';
  const open = info.kind === 'ready' && info.info.open;
  return (
    <p className={`cp-state ${open ? 'cp-open' : 'cp-closed'}`} data-testid="queue-state" role="status">
      {text}
    </p>
  );
}

function StartForm(p: {
  name: string;
  setName: (v: string) => void;
  disabled: boolean;
  starting: 'microphone' | 'connecting' | null;
  failure: string | null;
  onCall: () => void;
}) {
  return (
    <form
      className="cp-card"
      onSubmit={(e) => {
        e.preventDefault();
        if (!p.disabled) p.onCall();
      }}
    >
      <label htmlFor="cp-name">Your name (optional)</label>
      <input
        id="cp-name"
        name="name"
        type="text"
        maxLength={60}
        autoComplete="name"
        value={p.name}
        onChange={(e) => p.setName(e.target.value)}
        aria-describedby="cp-name-hint"
      />
      <p id="cp-name-hint" className="cp-muted">
        The agent sees it when your call comes in. You will be asked to allow your microphone.
      </p>
      <button type="submit" className="cp-call" disabled={p.disabled}>
        Call
      </button>
      <p className="cp-progress" role="status">
        {p.starting === 'microphone' ? 'Waiting for your microphone…' : p.starting === 'connecting' ? 'Connecting…' : ''}
      </p>
      {p.failure && (
        <p className="cp-error" role="alert" data-testid="call-error">
          {p.failure}
        </p>
      )}
    </form>
  );
}

function CallView({ run, hold, onAgain }: { run: Running; hold: HoldAudio; onAgain: () => void }) {
  const state = useSyncExternalStore(run.session.subscribe, run.session.getSnapshot);
  const statuses = useSyncExternalStore(run.media.subscribe, run.media.getSnapshot);
  // Ended calls leave the session after a moment: the page keeps showing how it ended.
  const last = useRef<CallInfo | null>(null);
  const found = state?.calls.find((c) => c.callId === run.callId) ?? null;
  if (found) last.current = found;
  const call = found ?? last.current;
  // Gone from the session without ending (signed out: the server refused the guest): over.
  const local = found?.local ?? 'ended';
  const activeSince = useRef<number | null>(null);
  if (local === 'active' && activeSince.current === null) activeSince.current = Date.now();
  const now = useNow(0, local !== 'ended');
  const [hangingUp, setHangingUp] = useState(false);

  useEffect(() => {
    if (local === 'ringing-out') hold.start();
    else hold.stop();
  }, [hold, local]);
  useEffect(() => () => hold.stop(), [hold]);
  useEffect(() => {
    if (local === 'ended') run.stop();
  }, [local, run]);
  useEffect(() => {
    // Closing the page while waiting leaves the line at once (best effort).
    const leave = () => void run.guest.hangup(run.callId).catch(() => undefined);
    window.addEventListener('pagehide', leave);
    return () => window.removeEventListener('pagehide', leave);
  }, [run]);

  const hangup = () => {
    setHangingUp(true);
    run.guest.hangup(run.callId).catch((err: unknown) => log.warn('hang-up failed', err));
  };
  const media = statuses.get(run.callId);

  if (!call || local === 'ended') {
    const reason = call?.local === 'ended' ? queueEndMessage(call) : call ? LOST : null;
    const text = reason ?? media?.endReason ?? 'The call has ended. Thank you for calling.';
    return (
      <section className="cp-card" aria-labelledby="cp-ended">
        <h2 id="cp-ended">Call ended</h2>
        <p data-testid="call-ended" role="status">
          {text}
        </p>
        <button type="button" className="cp-call" onClick={onAgain}>
          Call again
        </button>
      </section>
    );
  }

  const hangupButton = (
    <button type="button" className="cp-hangup" onClick={hangup} disabled={hangingUp}>
      Hang up
    </button>
  );

  if (local === 'active') {
    return (
      <section className="cp-card" aria-labelledby="cp-connected">
        <h2 id="cp-connected">You are talking to {call.peer.displayName}</h2>
        <p className="cp-connected" data-testid="call-status" role="status">
          {media?.phase === 'reconnecting' ? 'Connected — the audio is reconnecting…' : 'Connected'}
        </p>
        <p>
          Call time <span data-testid="call-timer">{clock(now - (activeSince.current ?? now))}</span>
        </p>
        {media?.micError && <p className="cp-error">{media.micError}</p>}
        {hangupButton}
      </section>
    );
  }

  const w = call.queueWaiting ?? null;
  const estimate = w ? estimateText(w.estimatedWaitSec) : null;
  return (
    <section className="cp-card" aria-labelledby="cp-waiting">
      <h2 id="cp-waiting">Please hold: the next available agent will take your call</h2>
      <p className="cp-position" data-testid="queue-position" aria-live="polite" aria-atomic="true">
        {w ? positionText(w) : 'Joining the line…'}
      </p>
      <p data-testid="queue-estimate">{estimate ?? ''}</p>
      <p className="cp-muted">
        Waiting <span data-testid="wait-timer">{clock(now - run.placedAt)}</span>. Keep this page open; you can hang up at any time.
      </p>
      {state?.connection === 'reconnecting' && <p className="cp-muted">Reconnecting… you keep your place in line.</p>}
      {hangupButton}
    </section>
  );
}
