/**
 * The wallboard feed as the core last heard it (src/core/wallboard-feed.ts): `useWallboardFeed`
 * follows it (the shell uses it to offer the page to supervisors), `useWallboardWatch` keeps
 * the live subscription open while the page is shown.
 */
import { useEffect, useState } from 'react';
import type { SoftphoneApi, WallboardFeedState } from '../../../shared/contract.js';
import { log } from '../../log.js';

export function useWallboardFeed(api: SoftphoneApi): WallboardFeedState | null {
  const [state, setState] = useState<WallboardFeedState | null>(null);
  useEffect(() => {
    let pushed = false;
    const off = api.on('wallboard', (s) => {
      pushed = true;
      setState(s);
    });
    api.invoke('wallboard.state', {}).then(
      (s) => !pushed && setState(s),
      (err: unknown) => log.warn('wallboard state unavailable', err),
    );
    return off;
  }, [api]);
  return state;
}

/** Subscribed while the component that calls it is mounted. */
export function useWallboardWatch(api: SoftphoneApi): void {
  useEffect(() => {
    const watch = (watching: boolean) => api.invoke('wallboard.watch', { watching }).catch((err: unknown) => log.warn('wallboard watch failed', err));
    void watch(true);
    return () => void watch(false);
  }, [api]);
}
