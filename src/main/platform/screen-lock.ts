/**
 * The screen-lock port for agents' auto-away: powerMonitor's `lock-screen` / `unlock-screen`
 * (emitted on macOS and Windows only, per electron.d.ts), logind's LockedHint over D-Bus on
 * Linux (node/logind-lock.ts), and `powerMonitor.getSystemIdleTime()` everywhere.
 */
import { powerMonitor } from 'electron';
import type { CoreLogger } from '../../core/ports.js';
import type { ScreenLockPort } from '../app/ports.js';
import { watchLogindLock } from '../node/logind-lock.js';

export function electronScreenLock(platform: NodeJS.Platform, log: CoreLogger): ScreenLockPort {
  const listeners = new Set<(locked: boolean) => void>();
  const cleanups: (() => void)[] = [];
  let locked = false;
  let disposed = false;
  const changed = (now: boolean) => {
    if (now === locked) return;
    locked = now;
    for (const l of [...listeners]) l(now);
  };

  if (platform === 'darwin' || platform === 'win32') {
    const onLock = () => changed(true);
    const onUnlock = () => changed(false);
    powerMonitor.on('lock-screen', onLock);
    powerMonitor.on('unlock-screen', onUnlock);
    cleanups.push(() => {
      powerMonitor.off('lock-screen', onLock);
      powerMonitor.off('unlock-screen', onUnlock);
    });
  } else if (platform === 'linux') {
    watchLogindLock({ onChange: changed, log }).then(
      (watch) => {
        if (disposed) return watch.close();
        cleanups.push(() => watch.close());
        changed(watch.locked);
      },
      (err: unknown) => log.warn('no logind lock hint: auto-away follows the idle time only', { error: String(err) }),
    );
  }

  return {
    onLockChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    idleSeconds: () => powerMonitor.getSystemIdleTime(),
    dispose() {
      disposed = true;
      for (const c of cleanups.splice(0)) c();
      listeners.clear();
    },
  };
}
