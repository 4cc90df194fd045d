#!/usr/bin/env node
/**
 * softphone-server
 *   (no command)                    run the server
 *   user add <name> --name "Full Name" --password-stdin
 *   user list | user remove <name> | user passwd <name> --password-stdin
 *   user role <name> agent,supervisor | reason add|list|remove
 *   queue add|update|list|remove|members | queue member add|remove (queue-cli.ts)
 * Flags: --port, --host, --data-dir, --demo, --ring-timeout-ms, --log-level
 * (every setting also has an environment variable; see README.md).
 */
import { parseArgs } from 'node:util';
import { addUser, changePassword, seedDemo } from './accounts.js';
import { addReason, parseRoleList, setUserRoles } from './agent-admin.js';
import { startServer } from './app.js';
import { configFromEnv, parseConfig, type ConfigInput } from './config.js';
import { QUEUE_OPTIONS, QUEUE_USAGE, queueCommand } from './queue-cli.js';
import { openStorage } from './store/open.js';
import { ProtocolError } from '../shared/protocol/index.js';

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
  demo: { type: 'boolean' },
  'ring-timeout-ms': { type: 'string' },
  'log-level': { type: 'string' },
  // --name is in QUEUE_OPTIONS (user add uses it too).
  'password-stdin': { type: 'boolean' },
  role: { type: 'string' },
  label: { type: 'string' },
  ...QUEUE_OPTIONS,
  help: { type: 'boolean', short: 'h' },
} as const;

function parseCommandLine() {
  try {
    return parseArgs({ allowPositionals: true, options: OPTIONS });
  } catch (err) {
    // An unknown or incomplete flag: its message and the usage, not a stack trace.
    console.error(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    process.exit(2);
  }
}

const USAGE = `usage:
  npm run server -- [--port 4000] [--host 127.0.0.1] [--data-dir ./data] [--demo]
  npm run server -- user add <username> --name "Display Name" --password-stdin
  npm run server -- user list
  npm run server -- user remove <username>
  npm run server -- user passwd <username> --password-stdin
  npm run server -- user add <username> … --role agent,supervisor
  npm run server -- user role <username> agent,supervisor|none
  npm run server -- reason add <code> --label "Label" | reason list | reason remove <code>
${QUEUE_USAGE}`;

const { values, positionals } = parseCommandLine();

function config(): ConfigInput {
  const flags: Record<string, unknown> = {};
  if (values.port !== undefined) flags.port = values.port;
  if (values.host !== undefined) flags.host = values.host;
  if (values['data-dir'] !== undefined) flags.dataDir = values['data-dir'];
  if (values.demo) flags.demo = true;
  if (values['ring-timeout-ms'] !== undefined) flags.ringTimeoutMs = values['ring-timeout-ms'];
  if (values['log-level'] !== undefined) flags.logLevel = values['log-level'];
  return { ...configFromEnv(process.env), ...flags };
}

async function readPassword(): Promise<string> {
  if (!values['password-stdin']) throw new ProtocolError('bad_request', 'pass the password on standard input with --password-stdin');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function userCommand(args: string[]): Promise<void> {
  const cfg = parseConfig(config());
  // The same store the server uses: PostgreSQL with DATABASE_URL, else SQLite in the data dir.
  const storage = await openStorage(cfg);
  try {
    const [sub, username] = args;
    switch (sub) {
      case 'add': {
        if (!username) throw new ProtocolError('bad_request', 'user add needs a username');
        const roles = parseRoleList(values.role);
        const u = await addUser(storage.accounts, username, values.name ?? username, await readPassword());
        if (roles.length > 0) await storage.agents.setRoles(u.id, roles);
        console.log(`added ${u.username} (${u.displayName})${roles.length > 0 ? ` with roles ${roles.join(',')}` : ''}`);
        break;
      }
      case 'list':
        for (const u of await storage.accounts.listUsers()) {
          console.log(`${u.username}\t${u.displayName}\t${u.status}${u.roles.length > 0 ? `\t${u.roles.join(',')}` : ''}`);
        }
        break;
      case 'remove': {
        const u = username ? await storage.accounts.getUserByUsername(username) : undefined;
        if (!u) throw new ProtocolError('not_found', `no user ${username ?? ''}`);
        await storage.accounts.removeUser(u.id);
        console.log(`removed ${u.username}`);
        break;
      }
      case 'passwd':
        if (!username) throw new ProtocolError('bad_request', 'user passwd needs a username');
        await changePassword(storage.accounts, username, await readPassword());
        console.log(`password changed for ${username}; their sessions were signed out`);
        break;
      case 'role': {
        if (!username) throw new ProtocolError('bad_request', 'user role needs a username');
        const u = await setUserRoles(storage.accounts, storage.agents, username, parseRoleList(args[2]));
        console.log(`${u.username}: roles ${u.roles.join(',') || 'none'}`);
        break;
      }
      default:
        throw new ProtocolError('bad_request', USAGE);
    }
  } finally {
    await storage.close();
  }
}

async function adminCommand(kind: string, args: string[]): Promise<void> {
  const storage = await openStorage(parseConfig(config()));
  try {
    const [sub, a] = args;
    const { agents } = storage;
    if (kind === 'queue') return console.log(await queueCommand(storage, args, values));
    if (kind === 'reason' && sub === 'add') console.log(`added ${(await addReason(agents, a, values.label)).code}`);
    else if (kind === 'reason' && sub === 'list') {
      for (const r of await agents.listReasons()) console.log(`${r.code}\t${r.label}${r.system ? '\t(system)' : ''}`);
    } else if (kind === 'reason' && sub === 'remove') {
      if (!a) throw new ProtocolError('bad_request', 'reason remove needs a code');
      console.log((await agents.removeReason(a)) ? `removed ${a}` : `no reason ${a}`);
    } else throw new ProtocolError('bad_request', USAGE);
  } finally {
    await storage.close();
  }
}

async function serve(): Promise<void> {
  // Signal handlers go in before the server starts: a supervisor (or a test) that sends SIGTERM
  // as soon as it reads "server listening" must get a graceful stop, not the default kill.
  const run: { server?: Awaited<ReturnType<typeof startServer>>; requested?: string; stopping: boolean } = { stopping: false };
  const stop = (signal: string) => {
    run.requested ??= signal;
    const { server } = run;
    if (!server || run.stopping) return; // still starting: it stops as soon as it is up
    run.stopping = true;
    server
      .shutdown(`received ${signal}`)
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        server.log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  const server = await startServer(config());
  run.server = server;
  if (run.requested) return stop(run.requested);
  if (server.config.demo) {
    const creds = await seedDemo(server.storage.accounts, server.config.dataDir);
    const lines = Object.entries(creds).map(([user, password]) => `  ${user.padEnd(6)} password: ${password}`);
    // One write, so nothing else interleaves with the credentials.
    console.log([`\nDemo mode. Web softphone: ${server.url}/`, ...lines, ''].join('\n'));
  }
}

async function main(): Promise<void> {
  if (values.help) return void console.log(USAGE);
  if (positionals[0] === 'user') return userCommand(positionals.slice(1));
  if (positionals[0] === 'reason' || positionals[0] === 'queue') return adminCommand(positionals[0], positionals.slice(1));
  if (positionals.length > 0) throw new ProtocolError('bad_request', USAGE);
  return serve();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(err instanceof ProtocolError ? 2 : 1);
});
