#!/usr/bin/env node
// Runs a command inside a fresh network namespace that has only loopback
// (`unshare --net`, then `ip link set lo up`), so WebRTC, the server, Redis,
// PostgreSQL and coturn under test can only talk over 127.0.0.1.
// Needs root (or unprivileged user namespaces); otherwise runs the command
// as is and says so. Already inside one (SOFTPHONE_TEST_NETNS=1): runs as is.
//   node scripts/netns.mjs <command> [args...]
import { spawnSync } from 'node:child_process';

const [cmd, ...args] = process.argv.slice(2);
if (!cmd) {
  console.error('usage: node scripts/netns.mjs <command> [args...]');
  process.exit(2);
}

function has(bin) {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
}

const quote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
let result;
if (process.env.SOFTPHONE_TEST_NETNS === '1' || process.env.SOFTPHONE_TEST_NO_NETNS === '1') {
  result = spawnSync(cmd, args, { stdio: 'inherit' });
} else if (process.getuid?.() === 0 && has('unshare') && has('ip')) {
  const inner = `ip link set lo up && exec ${[cmd, ...args].map(quote).join(' ')}`;
  result = spawnSync('unshare', ['--net', '--', 'sh', '-c', inner], {
    stdio: 'inherit',
    env: { ...process.env, SOFTPHONE_TEST_NETNS: '1' },
  });
} else {
  console.warn('netns: cannot create a loopback-only network namespace (needs root, unshare and ip); running without one.');
  result = spawnSync(cmd, args, { stdio: 'inherit' });
}
process.exit(result.status ?? 1);
