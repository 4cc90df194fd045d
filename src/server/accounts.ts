/** Account administration shared by the CLI and demo seeding. */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DisplayName, Password, ProtocolError, Username } from '../shared/protocol/index.js';
import { hashPassword } from './auth/passwords.js';
import type { AccountStore, UserRow } from './store/types.js';

export async function addUser(
  accounts: AccountStore,
  username: string,
  displayName: string,
  password: string,
): Promise<UserRow> {
  const name = Username.safeParse(username);
  if (!name.success) throw new ProtocolError('bad_request', `invalid username: ${name.error.issues[0]?.message}`);
  const display = DisplayName.safeParse(displayName);
  if (!display.success) throw new ProtocolError('bad_request', 'invalid display name');
  if (!Password.safeParse(password).success || password.length < 8) {
    throw new ProtocolError('bad_request', 'the password must have at least 8 characters');
  }
  return accounts.createUser({
    id: randomUUID(),
    username: name.data,
    displayName: display.data,
    passwordHash: await hashPassword(password),
  });
}

export async function changePassword(accounts: AccountStore, username: string, password: string): Promise<void> {
  const user = await accounts.getUserByUsername(username);
  if (!user) throw new ProtocolError('not_found', `no user ${username}`);
  if (password.length < 8) throw new ProtocolError('bad_request', 'the password must have at least 8 characters');
  await accounts.setPassword(user.id, await hashPassword(password));
}

export const DEMO_USERS = [
  { username: 'alice', displayName: 'Alice Liddell' },
  { username: 'bob', displayName: 'Bob Marley' },
  { username: 'carol', displayName: 'Carol Danvers' },
] as const;

export type DemoCredentials = Record<(typeof DEMO_USERS)[number]['username'], string>;

/**
 * Creates the demo users once, with random passwords kept in
 * `<dataDir>/demo-credentials.json` so later starts print the same ones.
 */
export async function seedDemo(accounts: AccountStore, dataDir: string): Promise<DemoCredentials> {
  const file = path.join(dataDir, 'demo-credentials.json');
  const saved: Partial<DemoCredentials> = fs.existsSync(file)
    ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<DemoCredentials>)
    : {};
  const creds = {} as DemoCredentials;
  for (const u of DEMO_USERS) {
    const existing = await accounts.getUserByUsername(u.username);
    let password = saved[u.username];
    if (!existing || !password) {
      password = randomBytes(6).toString('base64url');
      if (existing) await changePassword(accounts, u.username, password);
      else await addUser(accounts, u.username, u.displayName, password);
    }
    creds[u.username] = password;
  }
  fs.writeFileSync(file, JSON.stringify(creds, null, 2), { mode: 0o600 });
  return creds;
}
