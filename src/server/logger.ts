import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs (pino): one object per line, on stdout. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { service: 'softphone-server', ...bindings } });
}
