/**
 * A half-configured cluster says so at start: DATABASE_URL without REDIS_URL keeps live state
 * in one node's memory, as loudly as REDIS_URL without DATABASE_URL.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { openClusterBackends } from '../../../src/server/cluster/backends.js';
import { parseConfig } from '../../../src/server/config.js';
import { SqliteStorage } from '../../../src/server/store/sqlite.js';
import { tempDir } from '../../helpers/server.js';

function capturingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
  return { log, warnings: () => lines.filter((l) => l.level === 40).map((l) => l.msg) };
}

describe('cluster backend warnings', () => {
  it('DATABASE_URL without REDIS_URL warns that live state stays in this node', async () => {
    const { log, warnings } = capturingLogger();
    const dataDir = tempDir();
    const storage = SqliteStorage.open(dataDir); // stands in for PostgreSQL: the warning is about Redis
    try {
      const config = parseConfig({ dataDir, databaseUrl: 'postgres://softphone@127.0.0.1:1/softphone' });
      const backends = await openClusterBackends(config, log, { storage });
      await backends?.close();
      expect(warnings()).toEqual([expect.stringMatching(/^DATABASE_URL without REDIS_URL: live state .* run one node only$/)]);
    } finally {
      await storage.close();
    }
  });
});
