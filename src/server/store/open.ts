/**
 * Opens the durable storage the configuration asks for: PostgreSQL when DATABASE_URL is set
 * (several nodes), else the embedded SQLite in the data dir. The PostgreSQL driver is loaded
 * only then, so a single node (and the CLI's user commands) never load it.
 */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { SqliteStorage } from './sqlite.js';
import type { Storage } from './types.js';

export async function openStorage(
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'nodeId'>,
  log?: Logger,
  opts: { recoverMinAgeMs?: number } = {},
): Promise<Storage> {
  if (!config.databaseUrl) return SqliteStorage.open(config.dataDir);
  const { PostgresStorage } = await import('./postgres.js');
  return PostgresStorage.connect(config.databaseUrl, {
    log,
    applicationName: `softphone-server ${config.nodeId}`,
    recoverMinAgeMs: opts.recoverMinAgeMs,
  });
}
