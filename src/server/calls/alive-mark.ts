/**
 * A liveness mark in the data dir: the server writes the time every few
 * seconds. After a crash, the next start reads the last mark the dead process
 * wrote: the latest moment its calls were known alive. A call restored from the
 * journal that no device comes back for ends then, so the downtime between the
 * crash and the restart is not counted as call time.
 */
import fs from 'node:fs';
import path from 'node:path';

export const ALIVE_MARK_EVERY_MS = 2_000;

export class AliveMark {
  private timer: ReturnType<typeof setInterval> | undefined;

  private constructor(
    private readonly file: string,
    /** The previous run's last mark (undefined: first start, or unreadable). */
    readonly previous: number | undefined,
    private readonly now: () => number,
  ) {}

  static open(dataDir: string, opts: { everyMs?: number; now?: () => number } = {}): AliveMark {
    const file = path.join(dataDir, 'alive');
    let previous: number | undefined;
    try {
      const value = Number(fs.readFileSync(file, 'utf8').trim());
      if (Number.isSafeInteger(value) && value > 0) previous = value;
    } catch {
      // First start in this data dir.
    }
    const mark = new AliveMark(file, previous, opts.now ?? Date.now);
    mark.write();
    mark.timer = setInterval(() => mark.write(), opts.everyMs ?? ALIVE_MARK_EVERY_MS);
    mark.timer.unref();
    return mark;
  }

  /** Stops marking (a clean shutdown writes the final moment). */
  close(): void {
    clearInterval(this.timer);
    this.write();
  }

  private write(): void {
    // Not fsynced: losing the last mark in a power cut moves the estimate back a few seconds at most.
    fs.writeFile(this.file, String(this.now()), () => undefined);
  }
}
