/**
 * A network namespace of its own for one party of a test call, joined to the
 * test's namespace by a veth pair, so that party's network can be cut while
 * everything else keeps running:
 *
 *   test namespace (loopback-only, scripts/netns.mjs)      isolated namespace
 *   server, other party, 127.0.0.1  ── hostIf 10.99.0.1 ═══ peerIf 10.99.0.2 ── this party's Chromium
 *
 * Media between two Chromiums on one namespace always flows over loopback,
 * which cannot be cut selectively; across the veth pair it flows over
 * 10.99.0.x candidates, and `cut()` takes the isolated party's interface down
 * (its Wi-Fi dropped), `restore()` brings it back.
 *
 * The namespace is held by an `unshare --net sleep` process; programs are run
 * inside it with `nsenter --target <pid> --net` (see `wrap`). Needs root and
 * refuses to run outside the test namespace, so it never touches the
 * machine's own interfaces.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface IsolatedNetwork {
  /** The test namespace's end: how the isolated party reaches the server. */
  readonly hostAddress: string;
  /** The isolated party's own address (changes with `restore({ newAddress })`). */
  readonly peerAddress: string;
  /** PID of the process holding the isolated namespace. */
  readonly pid: number;
  /** An executable that runs `binary` (with its arguments) inside the isolated namespace. */
  wrap(binary: string): string;
  /** Runs a command inside the isolated namespace. */
  exec(cmd: string, args: string[]): Promise<string>;
  /** The isolated party's link goes down: nothing in or out. */
  cut(): Promise<void>;
  /**
   * The link comes back up; with `newAddress` (e.g. '10.99.0.3') the party
   * comes back with another address, as after roaming to another network, so
   * nothing of the old connections can resume.
   */
  restore(opts?: { newAddress?: string }): Promise<void>;
  /** Removes the link and the namespace. */
  close(): Promise<void>;
}

const holders = new Set<ChildProcess>();
process.once('exit', () => {
  for (const h of holders) h.kill('SIGKILL');
});

async function sh(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(cmd, args);
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(e.stderr ?? '').trim() || e.message}`);
  }
}

async function netnsOf(pid: number | 'self'): Promise<string> {
  return fs.promises.readlink(`/proc/${pid}/ns/net`);
}

export async function createIsolatedNetwork({ subnet = '10.99.0' }: { subnet?: string } = {}): Promise<IsolatedNetwork> {
  if (process.env.SOFTPHONE_TEST_NETNS !== '1') {
    throw new Error(
      'createIsolatedNetwork creates network interfaces: run the test inside the loopback-only test namespace ' +
        '(node scripts/netns.mjs npx vitest run …), never in the machine’s own namespace',
    );
  }
  if (process.getuid?.() !== 0) throw new Error('createIsolatedNetwork needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN for unshare/nsenter)');

  const holder = spawn('unshare', ['--net', '--', 'sleep', 'infinity'], { stdio: 'ignore' });
  holders.add(holder);
  holder.once('exit', () => holders.delete(holder));
  const pid = holder.pid;
  if (pid === undefined) throw new Error('unshare could not be started (util-linux missing?)');
  // unshare(2) runs before exec: wait until the holder really lives in a namespace of its own.
  const self = await netnsOf('self');
  const deadline = Date.now() + 5_000;
  for (;;) {
    if (holder.exitCode !== null) throw new Error(`unshare --net exited (${holder.exitCode}): no permission to create a network namespace?`);
    const ns = await netnsOf(pid).catch(() => self);
    if (ns !== self) break;
    if (Date.now() > deadline) throw new Error('unshare --net did not create a namespace within 5 s');
    await new Promise((r) => setTimeout(r, 10));
  }

  const tag = randomBytes(3).toString('hex');
  // Interface names: at most 15 characters, unique per run.
  const hostIf = `vch${tag}h`;
  const peerIf = `vch${tag}p`;
  const hostAddress = `${subnet}.1`;
  let peerAddress = `${subnet}.2`;
  const inside = (cmd: string, args: string[]) => sh('nsenter', ['--target', String(pid), '--net', '--', cmd, ...args]);

  const scripts = fs.mkdtempSync(path.join(os.tmpdir(), 'softphone-netns-'));
  try {
    await sh('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', peerIf]);
    await sh('ip', ['link', 'set', peerIf, 'netns', String(pid)]);
    await sh('ip', ['addr', 'add', `${hostAddress}/24`, 'dev', hostIf]);
    await sh('ip', ['link', 'set', hostIf, 'up']);
    await inside('ip', ['link', 'set', 'lo', 'up']);
    await inside('ip', ['addr', 'add', `${peerAddress}/24`, 'dev', peerIf]);
    await inside('ip', ['link', 'set', peerIf, 'up']);
  } catch (err) {
    await sh('ip', ['link', 'del', hostIf]).catch(() => undefined);
    holder.kill('SIGKILL');
    throw err;
  }

  let closed = false;
  return {
    hostAddress,
    get peerAddress() {
      return peerAddress;
    },
    pid,
    wrap(binary) {
      const file = path.join(scripts, `${path.basename(binary)}-in-netns.sh`);
      // exec keeps every file descriptor, so Playwright's --remote-debugging-pipe (fds 3 and 4) still works.
      fs.writeFileSync(file, `#!/bin/sh\nexec nsenter --target ${pid} --net -- '${binary.replace(/'/g, `'\\''`)}' "$@"\n`, { mode: 0o755 });
      return file;
    },
    exec: inside,
    async cut() {
      await inside('ip', ['link', 'set', peerIf, 'down']);
    },
    async restore({ newAddress }: { newAddress?: string } = {}) {
      if (newAddress && newAddress !== peerAddress) {
        await inside('ip', ['addr', 'del', `${peerAddress}/24`, 'dev', peerIf]);
        await inside('ip', ['addr', 'add', `${newAddress}/24`, 'dev', peerIf]);
        peerAddress = newAddress;
      }
      await inside('ip', ['link', 'set', peerIf, 'up']);
    },
    async close() {
      if (closed) return;
      closed = true;
      await sh('ip', ['link', 'del', hostIf]).catch(() => undefined);
      const exited = new Promise<void>((resolve) => (holder.exitCode !== null || holder.signalCode !== null ? resolve() : holder.once('exit', () => resolve())));
      holder.kill('SIGKILL');
      await exited;
      fs.rmSync(scripts, { recursive: true, force: true });
    },
  };
}
