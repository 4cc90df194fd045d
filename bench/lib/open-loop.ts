/**
 * An open-loop schedule: `rate` actions a second for `durationMs`, each due at its own time
 * whether or not earlier ones finished (a slow server cannot slow the offered load down).
 * Resolves once the last one has been issued.
 */
export function openLoop(rate: number, durationMs: number, act: () => void): Promise<void> {
  const total = Math.round((rate * durationMs) / 1000);
  const start = performance.now();
  return new Promise<void>((resolve) => {
    let issued = 0;
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000));
      while (issued < due) {
        issued++;
        act();
      }
      if (issued >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 2);
  });
}
