/**
 * Bench setup (not measured): creates users and mints their tokens directly
 * in a server's data dir through the server's own storage and TokenService
 * classes, before the server starts. Signing in through /api/login would
 * cost one scrypt per user (tens of milliseconds of CPU each), which would
 * dominate setup at thousands of devices; every user shares one real scrypt
 * hash, so a login would still work.
 */
import { randomUUID } from 'node:crypto';
import { hashPassword } from '../../src/server/auth/passwords.js';
import { loadOrCreateSecrets } from '../../src/server/auth/secrets.js';
import { TokenService } from '../../src/server/auth/tokens.js';
import { SqliteStorage } from '../../src/server/store/sqlite.js';
import type { AccountStore } from '../../src/server/store/types.js';

export const BENCH_PASSWORD = 'bench password, not secret';

export interface SeededDevice {
  userId: string;
  username: string;
  displayName: string;
  deviceId: string;
  accessToken: string;
  refreshToken: string;
}

/** Access tokens minted here outlive the longest run (tokens are checked at the handshake). */
const SETUP_ACCESS_TTL_SEC = 4 * 3600;

/** Creates `count` users (`<prefix>00001`…) with one device id and fresh tokens each. */
export async function seedUsers(dataDir: string, count: number, prefix = 'u'): Promise<SeededDevice[]> {
  const secrets = loadOrCreateSecrets(dataDir);
  const storage = SqliteStorage.open(dataDir);
  try {
    return await seedUsersInto(storage.accounts, secrets.jwtSecret, count, prefix);
  } finally {
    await storage.close();
  }
}

/**
 * The same into any account store, with tokens signed by `jwtSecret` (a cluster's shared
 * secret in PostgreSQL: `storage.sharedSecrets()`).
 */
export async function seedUsersInto(accounts: AccountStore, jwtSecret: string, count: number, prefix = 'u'): Promise<SeededDevice[]> {
  const tokens = new TokenService(jwtSecret, accounts, SETUP_ACCESS_TTL_SEC, 30 * 86_400_000);
  const passwordHash = await hashPassword(BENCH_PASSWORD);
  const out: SeededDevice[] = [];
  const width = Math.max(5, String(count).length);
  // Batches: writes issued in one tick share one transaction (the storage's group commit).
  for (let start = 0; start < count; start += 1_000) {
    const batch = Array.from({ length: Math.min(1_000, count - start) }, (_, i) => start + i + 1);
    const users = await Promise.all(
      batch.map((n) => {
        const username = `${prefix}${String(n).padStart(width, '0')}`;
        return accounts.createUser({ id: randomUUID(), username, displayName: `Bench ${username}`, passwordHash });
      }),
    );
    const issued = await Promise.all(users.map((u) => tokens.issue(u)));
    users.forEach((u, i) => {
      out.push({
        userId: u.id,
        username: u.username,
        displayName: u.displayName,
        deviceId: `${u.username}-desk`,
        accessToken: issued[i]!.accessToken,
        refreshToken: issued[i]!.refreshToken,
      });
    });
  }
  return out;
}
