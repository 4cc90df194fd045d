/**
 * The compact ringing window (`index.html#ringing`): the desktop shows it
 * small and always on top while a call rings, even when the main window is
 * hidden. It shows only the ringing call; media and ringtone stay with the
 * main window.
 */
import { useState } from 'react';
import { describeError } from '../state/errors.js';
import { useServices, useSession } from './app-context.js';
import { IncomingCall } from './call/IncomingCall.js';

export function RingingWindow() {
  const { api } = useServices();
  const session = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const calls = session?.phase === 'signed-in' ? session.calls : [];
  const call = calls.find((c) => c.local === 'ringing-in');
  const active = calls.find((c) => c.local === 'active' && !c.held);

  async function run(what: () => Promise<unknown>, context: 'answer' | 'offer') {
    setBusy(true);
    setError(null);
    try {
      await what();
    } catch (err) {
      setError(describeError(err, context));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="ringing-window">
      {call ? (
        <IncomingCall
          compact
          call={call}
          otherCall={active}
          busy={busy}
          clockOffsetMs={session?.agentClockOffsetMs ?? 0}
          onAnswer={() =>
            // The core holds the call in progress first (call waiting).
            void run(() => api.invoke('call.answer', { callId: call.callId }), call.offer ? 'offer' : 'answer')
          }
          onDecline={() => void run(() => api.invoke('call.decline', { callId: call.callId }), call.offer ? 'offer' : 'answer')}
        />
      ) : (
        <p className="muted ringing-idle">No incoming call.</p>
      )}
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
    </main>
  );
}
