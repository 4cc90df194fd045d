import { pino, type Logger } from 'pino';

export type { Logger };

/** Lines wait at most this long before they are written… */
const FLUSH_AFTER_MS = 10;
/** …or until this many bytes are waiting. */
const FLUSH_AT_BYTES = 8 * 1024;

/**
 * Where log lines go: stdout, in batches. pino's default destination makes one blocking
 * `write` per line; at a few hundred calls per second (three lines per call) those
 * syscalls were 5–8 % of the server's CPU (`npm run bench`). Lines are collected and
 * written together, still synchronously and in order (sonic-boom, which also retries a
 * full pipe), FLUSH_AFTER_MS after the first waiting line or once FLUSH_AT_BYTES are
 * waiting. On a graceful stop and on process exit (also after an uncaught exception)
 * whatever waits is written; only a SIGKILL can lose the last FLUSH_AFTER_MS of lines.
 */
class BatchedOutput {
  private readonly sonic = pino.destination({ dest: 1, sync: true, minLength: FLUSH_AT_BYTES });
  private timer: NodeJS.Timeout | undefined;

  write(line: string): void {
    this.sonic.write(line);
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), FLUSH_AFTER_MS);
    this.timer.unref();
  }

  /** Writes every waiting line now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    // In sync mode `flush` writes what waits (less than FLUSH_AT_BYTES: one chunk) at once.
    // Not `flushSync`: that also fsyncs the file, a disk sync per batch of log lines.
    this.sonic.flush();
  }
}

const outputs = new WeakMap<Logger, BatchedOutput>();
const live = new Set<BatchedOutput>();
let exitHooked = false;

/** Structured JSON logs (pino): one object per line, on stdout (batched: BatchedOutput). */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  const output = new BatchedOutput();
  const log = pino({ level, base: { service: 'softphone-server', ...bindings } }, output);
  outputs.set(log, output);
  live.add(output);
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', () => {
      for (const o of live) o.flush();
    });
  }
  return log;
}

/** Writes every line `log` (from createLogger) has logged so far; `done`: it logs no more. */
export function flushLogs(log: Logger, done = false): void {
  const output = outputs.get(log);
  if (!output) return;
  output.flush();
  if (done) live.delete(output);
}
