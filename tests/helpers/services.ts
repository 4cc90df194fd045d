/**
 * Real Redis, PostgreSQL and coturn for tests, from the Debian packages, each
 * on loopback ports of its own (free ports picked at random), started as
 * child processes of the test and stopped afterwards — also when the test
 * process dies, so nothing outlives a run.
 *
 * PostgreSQL refuses to run as root: initdb and postgres run as the
 * `postgres` user (spawn's uid/gid), in a temp dir that user owns.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';

export interface Service {
  /** Output of the process so far (for failure messages). */
  logs(): string;
  stop(): Promise<void>;
}

export interface RedisService extends Service {
  port: number;
  url: string;
}

export interface PostgresService extends Service {
  port: number;
  /** URL of the `postgres` database as the `postgres` superuser (trust auth on loopback). */
  url: string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
}

export interface CoturnService extends Service {
  port: number;
  secret: string;
  realm: string;
  /** TURN URL for browsers (UDP). */
  turnUrl: string;
}

// ───────────────────────────── processes ─────────────────────────────

const running = new Set<ChildProcess>();
process.once('exit', () => {
  // Last resort (a crashed or interrupted test): never leave servers behind.
  for (const child of running) child.kill('SIGKILL');
});

/** Debian packages of the service binaries, for the error a missing one gives. */
const PACKAGE_OF: Record<string, string> = { 'redis-server': 'redis-server', turnserver: 'coturn' };

function launch(command: string, args: string[], opts: { uid?: number; gid?: number; cwd?: string } = {}) {
  // A missing binary fails the test (never skips it), with the prerequisite and the fix named;
  // otherwise spawn's ENOENT would surface as an unhandled 'error' event.
  const onPath =
    path.isAbsolute(command) || (process.env.PATH ?? '').split(path.delimiter).some((d) => fs.existsSync(path.join(d, command)));
  if (!onPath) {
    const pkg = PACKAGE_OF[command] ?? command;
    throw new Error(`${command} not found on PATH: install the Debian package ${pkg} (run \`npm run setup:test\`)`);
  }
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  running.add(child);
  const output: string[] = [];
  const collect = (chunk: Buffer) => {
    output.push(chunk.toString('utf8'));
    if (output.length > 2_000) output.splice(0, 1_000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => running.delete(child));
  return {
    child,
    exited,
    logs: () => output.join(''),
    async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Polls `probe` until it resolves true; fails early if the process exits. */
async function waitUntil(what: string, probe: () => Promise<boolean>, proc: ReturnType<typeof launch>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let exitedWith: number | null | undefined;
  void proc.exited.then((code) => (exitedWith = code));
  for (;;) {
    if (exitedWith !== undefined) throw new Error(`${what} exited (code ${exitedWith}):\n${proc.logs().slice(-3_000)}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${timeoutMs} ms:\n${proc.logs().slice(-3_000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A port free for TCP and UDP on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const sock = dgram.createSocket('udp4');
      sock.once('error', () => resolve(false));
      sock.bind(port, '127.0.0.1', () => sock.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
}

// ───────────────────────────── Redis ─────────────────────────────

export async function startRedis(): Promise<RedisService> {
  const port = await freePort();
  const proc = launch('redis-server', [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--save', '',
    '--appendonly', 'no',
    '--daemonize', 'no',
    '--loglevel', 'warning',
  ]);
  const url = `redis://127.0.0.1:${port}`;
  await waitUntil(
    'redis-server',
    async () => {
      const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      r.on('error', () => {}); // refused until it listens: that is what we poll for
      try {
        await r.connect();
        return (await r.ping()) === 'PONG';
      } finally {
        r.disconnect();
      }
    },
    proc,
  );
  return { port, url, logs: proc.logs, stop: () => proc.stop('SIGTERM') };
}

// ───────────────────────────── PostgreSQL ─────────────────────────────

function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(a) - Number(b)) : [];
  const bin = versions.length > 0 ? path.join(root, versions[versions.length - 1]!, 'bin') : '';
  if (!bin || !fs.existsSync(path.join(bin, 'postgres'))) {
    throw new Error('PostgreSQL not found under /usr/lib/postgresql: install the Debian package postgresql (run `npm run setup:test`)');
  }
  return bin;
}

function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || uid <= 0) throw new Error('no `postgres` system user: install the Debian package postgresql (run `npm run setup:test`)');
  return { uid, gid };
}

export async function startPostgres(): Promise<PostgresService> {
  const bin = postgresBin();
  const user = postgresUser();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'softphone-pg-'));
  fs.chownSync(dir, user.uid, user.gid);
  const dataDir = path.join(dir, 'db');
  const init = spawnSync(
    path.join(bin, 'initdb'),
    ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale', 'C.UTF-8'],
    { uid: user.uid, gid: user.gid, encoding: 'utf8', cwd: dir },
  );
  if (init.status !== 0) throw new Error(`initdb failed:\n${init.stdout}\n${init.stderr}`);
  const port = await freePort();
  const proc = launch(
    path.join(bin, 'postgres'),
    ['-D', dataDir, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    { ...user, cwd: dir },
  );
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const query = async (sql: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await waitUntil('postgres', async () => (await query('SELECT 1'), true), proc);
  return {
    port,
    url,
    logs: proc.logs,
    async createDatabase(name: string) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      await query(`CREATE DATABASE ${name}`);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      // SIGINT = PostgreSQL's "fast" shutdown: disconnect clients, checkpoint, exit.
      await proc.stop('SIGINT', 10_000);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ───────────────────────────── coturn ─────────────────────────────

/** One STUN Binding request over UDP: true when a Binding success comes back. */
function stunBinding(port: number, timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const req = Buffer.alloc(20);
    req.writeUInt16BE(0x0001, 0); // Binding request
    req.writeUInt16BE(0, 2);
    req.writeUInt32BE(0x2112a442, 4); // magic cookie
    randomBytes(12).copy(req, 8);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.on('message', (msg) => done(msg.length >= 20 && msg.readUInt16BE(0) === 0x0101 && msg.subarray(8, 20).equals(req.subarray(8, 20))));
    sock.on('error', () => done(false));
    sock.send(req, port, '127.0.0.1');
  });
}

/**
 * coturn with the TURN REST API (`use-auth-secret`): it accepts usernames
 * "<unix expiry>:<user>" whose password is base64(HMAC-SHA1(secret, username))
 * and refuses them once the expiry has passed. Relays to loopback peers.
 */
export async function startCoturn(opts: { secret?: string; realm?: string } = {}): Promise<CoturnService> {
  const secret = opts.secret ?? randomBytes(24).toString('base64url');
  const realm = opts.realm ?? 'softphone.test';
  const port = await freePort();
  const proc = launch('turnserver', [
    '-n', // no configuration file
    '--listening-ip=127.0.0.1',
    '--relay-ip=127.0.0.1',
    `--listening-port=${port}`,
    '--use-auth-secret',
    `--static-auth-secret=${secret}`,
    `--realm=${realm}`,
    '--allow-loopback-peers',
    '--no-tls',
    '--no-dtls',
    '--no-cli',
    '--log-file=stdout',
    '--simple-log',
  ]);
  await waitUntil('turnserver', () => stunBinding(port), proc);
  return {
    port,
    secret,
    realm,
    turnUrl: `turn:127.0.0.1:${port}?transport=udp`,
    logs: proc.logs,
    stop: () => proc.stop('SIGTERM', 3_000),
  };
}
