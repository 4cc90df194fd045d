/**
 * The wall clock, re-rendered every second while `running` (call durations, time in state,
 * countdowns: display only), shifted by `offsetMs` to the server's clock when the instants
 * shown are the server's (the agent view's).
 */
import { useEffect, useState } from 'react';

export function useNow(offsetMs = 0, running = true, intervalMs = 1_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs, running]);
  return now + offsetMs;
}
