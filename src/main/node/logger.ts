/** A small structured logger for the main process: one line per entry on stderr. */
import type { CoreLogger } from '../../core/ports.js';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

export function consoleLogger(minLevel: Level = 'info', scope = 'desktop'): CoreLogger {
  const min = LEVELS.indexOf(minLevel);
  const write = (level: Level) => (msg: string, data?: Record<string, unknown>) => {
    if (LEVELS.indexOf(level) < min) return;
    const extra = data ? ` ${JSON.stringify(data)}` : '';
    process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} [${scope}] ${msg}${extra}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

export function logLevelFromEnv(value: string | undefined): Level {
  return (LEVELS as readonly string[]).includes(value ?? '') ? (value as Level) : 'info';
}
