#!/usr/bin/env node
// `npm start`: build, start the server in demo mode, then open the desktop
// app signed in as alice. Call her from the web softphone as bob.
//   PORT=4000 (default)   SOFTPHONE_START_NO_BUILD=1 skips the build
// Without an Electron binary (ELECTRON_PATH, or the one the electron package
// downloaded) the server and the web softphone keep running until Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const port = Number(process.env.PORT ?? 4000);
const dataDir = path.join(root, 'data');
const serverUrl = `http://127.0.0.1:${port}`;
const children = new Set();

function log(msg) {
  console.log(`start: ${msg}`);
}

function fail(msg) {
  console.error(`start: ${msg}`);
  shutdown(1);
}

let stopping = false;
function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  if (children.size === 0) process.exit(code);
  for (const child of children) child.kill('SIGTERM');
  const force = setTimeout(() => {
    for (const child of children) child.kill('SIGKILL');
  }, 10_000);
  force.unref();
  const check = () => {
    if ([...children].every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(code);
  };
  for (const child of children) child.once('exit', check);
  check();
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

/** The Electron executable, without triggering the electron package's download. */
function findElectron() {
  if (process.env.ELECTRON_PATH) {
    return fs.existsSync(process.env.ELECTRON_PATH) ? { path: process.env.ELECTRON_PATH } : { reason: `ELECTRON_PATH=${process.env.ELECTRON_PATH} does not exist` };
  }
  const pkg = path.join(root, 'node_modules', 'electron');
  const pathTxt = path.join(pkg, 'path.txt');
  if (!fs.existsSync(pathTxt)) return { reason: 'the electron package has no downloaded binary (node_modules/electron/path.txt is missing) and ELECTRON_PATH is not set' };
  const exe = path.join(pkg, 'dist', fs.readFileSync(pathTxt, 'utf8').trim());
  return fs.existsSync(exe) ? { path: exe } : { reason: `the Electron binary ${exe} is missing and ELECTRON_PATH is not set` };
}

async function waitForReady(server) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the server exited with code ${server.exitCode}`);
    try {
      const res = await fetch(`${serverUrl}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the server did not become ready at ${serverUrl}/readyz within 60 s`);
}

async function main() {
  if (process.env.SOFTPHONE_START_NO_BUILD !== '1') {
    log('building…');
    const b = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
    if (b.status !== 0) return fail('the build failed');
  }

  fs.mkdirSync(dataDir, { recursive: true });
  const server = spawn(process.execPath, ['dist/server/cli.mjs', '--demo', '--port', String(port), '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(server);
  // The server prints the demo passwords once it has seeded them (after it is ready).
  const seeded = new Promise((resolve) => {
    let out = '';
    server.stdout.on('data', (d) => {
      process.stdout.write(d);
      out += d.toString();
      if (/Demo mode\./.test(out) && /bob\s+password:/.test(out)) resolve();
    });
  });
  server.once('exit', (code) => {
    children.delete(server);
    if (!stopping) fail(`the server exited (code ${code})`);
  });

  await waitForReady(server);
  await seeded;
  const creds = JSON.parse(fs.readFileSync(path.join(dataDir, 'demo-credentials.json'), 'utf8'));
  if (!creds.alice || !creds.bob) return fail('data/demo-credentials.json has no alice/bob');

  console.log('');
  log(`web softphone: ${serverUrl}/  — sign in as bob / ${creds.bob} and call alice`);

  const electron = findElectron();
  if (!electron.path) {
    log(`no Electron binary: ${electron.reason}; the server and web softphone keep running (Ctrl-C to stop).`);
    return;
  }

  const args = ['.'];
  // Chromium refuses to run as root without this (containers, CI).
  if (process.platform === 'linux' && process.getuid?.() === 0) args.push('--no-sandbox');
  log(`desktop app: signed in as alice (${electron.path})`);
  const app = spawn(electron.path, args, {
    stdio: 'inherit',
    env: {
      ...process.env,
      SOFTPHONE_AUTOLOGIN_SERVER: serverUrl,
      SOFTPHONE_AUTOLOGIN_USERNAME: 'alice',
      SOFTPHONE_AUTOLOGIN_PASSWORD: creds.alice,
      // A profile of its own, so a dev run never touches an installed app's settings.
      SOFTPHONE_USER_DATA_DIR: path.join(dataDir, 'desktop-alice'),
    },
  });
  children.add(app);
  app.once('exit', (code) => {
    children.delete(app);
    log(`the desktop app exited (code ${code}); stopping the server`);
    shutdown(0);
  });
}

main().catch((err) => fail(err instanceof Error ? err.message : String(err)));
