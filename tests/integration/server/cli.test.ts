import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ApiClient } from '../../../src/core/api-client.js';
import { Signaling } from '../../../src/core/signaling.js';
import { tempDir } from '../../helpers/server.js';

const TSX = ['node_modules/.bin/tsx', 'src/server/cli.ts'];

function cli(args: string[], input?: string) {
  return spawnSync(TSX[0]!, [TSX[1]!, ...args], { input, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'silent' } });
}

describe('server command line', () => {
  it('manages users, serves, and on SIGTERM tells clients to reconnect and exits 0', { timeout: 180_000 }, async () => {
    const dataDir = tempDir();
    const add = cli(['user', 'add', 'alice', '--name', 'Alice Liddell', '--password-stdin', '--data-dir', dataDir], 'wonderland-1865\n');
    expect(add.status, add.stderr).toBe(0);
    expect(add.stdout).toMatch(/added alice/);
    expect(cli(['user', 'add', 'alice', '--password-stdin', '--data-dir', dataDir], 'x'.repeat(12)).status).not.toBe(0);
    expect(cli(['user', 'list', '--data-dir', dataDir]).stdout).toMatch(/^alice\tAlice Liddell\tavailable$/m);

    const server = spawn(TSX[0]!, [TSX[1]!, '--port', '0', '--data-dir', dataDir, '--log-level', 'info'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      server.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
        if (m) resolve(m[1]!);
      });
      server.once('exit', () => reject(new Error(`server exited: ${out}`)));
    });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);

    const tokens = await new ApiClient(url).login({ username: 'alice', password: 'wonderland-1865' });
    const s = new Signaling({
      serverUrl: url,
      auth: () => ({ token: tokens.accessToken, deviceId: 'cli-test', deviceKind: 'desktop', deviceName: 'x', appVersion: 't' }),
    });
    const shutdown = new Promise((resolve) => s.on('session:shutdown', resolve));
    await new Promise<void>((resolve, reject) => {
      s.socket.once('connect', resolve);
      s.socket.once('connect_error', reject);
      s.connect();
    });
    server.kill('SIGTERM');
    expect(await shutdown).toMatchObject({ reconnectAfterMs: expect.any(Number) });
    const [code] = (await once(server, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(out).toMatch(/"msg":"stopped"/);
    s.disconnect();

    const passwd = cli(['user', 'passwd', 'alice', '--password-stdin', '--data-dir', dataDir], 'through-the-looking-glass');
    expect(passwd.status, passwd.stderr).toBe(0);
    expect(cli(['user', 'remove', 'alice', '--data-dir', dataDir]).status).toBe(0);
    expect(cli(['user', 'list', '--data-dir', dataDir]).stdout.trim()).toBe('');
  });
  it('a SIGTERM sent the moment it says "server listening" still stops it gracefully (exit 0)', { timeout: 120_000 }, async () => {
    // Supervisors and tests act on that line at once; the signal handlers must already be there.
    // Plain node with the tsx loader: the tsx CLI wrapper relays signals with a quirk of its own.
    for (let i = 0; i < 5; i++) {
      const server = spawn(process.execPath, ['--import', 'tsx', TSX[1]!, '--port', '0', '--data-dir', tempDir(), '--log-level', 'info'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      await new Promise<void>((resolve, reject) => {
        server.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('"msg":"server listening"')) {
            server.kill('SIGTERM');
            resolve();
          }
        });
        server.once('exit', () => reject(new Error(`server exited before listening: ${out}`)));
      });
      await once(server, 'exit');
      expect({ code: server.exitCode, signal: server.signalCode }, out).toEqual({ code: 0, signal: null });
      expect(out).toMatch(/"msg":"stopped"/);
    }
  });
});
