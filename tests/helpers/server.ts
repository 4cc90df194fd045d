/** Starts a real server on a free loopback port with a throw-away data dir. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { addUser } from '../../src/server/accounts.js';
import { startServer, type ServerOverrides, type SoftphoneServer } from '../../src/server/app.js';
import type { ConfigInput } from '../../src/server/config.js';
import { ApiClient } from '../../src/core/api-client.js';
import type { TokenResponse } from '../../src/shared/protocol/index.js';

export const TEST_PASSWORD = 'correct horse battery staple';

export interface TestServer extends SoftphoneServer {
  dataDir: string;
  api: ApiClient;
  addUser(username: string, displayName?: string): Promise<string>;
  login(username: string): Promise<TokenResponse>;
  /** Stops the server (graceful) and removes nothing (so it can be restarted). */
  stop(): Promise<void>;
}

export function tempDir(prefix = 'softphone-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startTestServer(
  config: Partial<ConfigInput> = {},
  overrides: ServerOverrides = {},
): Promise<TestServer> {
  const dataDir = (config.dataDir) ?? tempDir();
  const server = await startServer(
    {
      host: '127.0.0.1',
      port: 0,
      dataDir,
      logLevel: (process.env.TEST_LOG_LEVEL as ConfigInput['logLevel']) ?? 'silent',
      // Tests open many connections from one address quickly.
      loginRatePerMinute: 10_000,
      inviteRatePerMinute: 10_000,
      socketEventsPerSecond: 10_000,
      shutdownGraceMs: 2_000,
      ...config,
    },
    overrides,
  );
  const api = new ApiClient(server.url);
  let stopped = false;
  return Object.assign(server, {
    dataDir,
    api,
    async addUser(username: string, displayName = username[0]!.toUpperCase() + username.slice(1)) {
      const existing = await server.storage.accounts.getUserByUsername(username);
      if (existing) return existing.id;
      try {
        return (await addUser(server.storage.accounts, username, displayName, TEST_PASSWORD)).id;
      } catch (err) {
        // Another test device of the same user created it meanwhile.
        const raced = await server.storage.accounts.getUserByUsername(username);
        if (raced) return raced.id;
        throw err;
      }
    },
    login: (username: string) => api.login({ username, password: TEST_PASSWORD }),
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.shutdown('test finished');
    },
  });
}
