/**
 * The wall clock, re-rendered every second (time in state, countdowns: display only),
 * shifted by `offsetMs` to the server's clock, whose instants the agent view carries.
 */
import { useEffect, useState } from 'react';

export function useNow(offsetMs = 0, intervalMs = 1_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now + offsetMs;
}
