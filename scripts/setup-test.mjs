#!/usr/bin/env node
// Installs the Debian packages the test suite needs (when run as root),
// otherwise prints the command to run. Needs nothing from node_modules.
import { execFileSync, spawnSync } from 'node:child_process';

export const PACKAGES = [
  'chromium', // renderer + WebRTC tests (Playwright drives Debian's Chromium; no browser download)
  'xvfb', // a display for real OS notifications
  'dbus-x11', // dbus-launch: a session bus for notifications
  'dunst', // freedesktop notification daemon whose actions tests can invoke
  'libnotify-bin', // notify-send, for diagnosing the notification stack
  'redis-server', // multi-node live state
  'postgresql', // multi-node durable storage
  'coturn', // TURN relay
  'iproute2', // `ip link set lo up` inside the loopback-only test namespace
  'util-linux', // unshare
  'python3', 'make', 'g++', // node-gyp builds better-sqlite3 from source (no prebuilt download here)
];

function missing() {
  return PACKAGES.filter((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' });
    return r.status !== 0 || !r.stdout.includes('install ok installed');
  });
}

const todo = missing();
if (todo.length === 0) {
  console.log('setup:test: all Debian packages are installed');
  process.exit(0);
}
const cmd = `apt-get update && apt-get install -y --no-install-recommends ${todo.join(' ')}`;
if (process.getuid?.() !== 0) {
  console.log(`setup:test: missing Debian packages: ${todo.join(' ')}\nRun as root:\n  sudo sh -c '${cmd}'`);
  process.exit(0);
}
console.log(`setup:test: installing ${todo.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...todo], { stdio: 'inherit', env });
const still = missing();
if (still.length > 0) {
  console.error(`setup:test: still missing: ${still.join(' ')}`);
  process.exit(1);
}
console.log('setup:test: done');
