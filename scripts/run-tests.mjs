#!/usr/bin/env node
// `npm test`: typecheck, lint, build the renderer bundle, then every test
// project. Everything that opens peer connections must stay on loopback, so
// when we can (root + unshare) the whole run re-executes itself inside a new
// network namespace that has only `lo`: WebRTC then gathers 127.0.0.1 only.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const args = process.argv.slice(2);
const inNamespace = process.env.SOFTPHONE_TEST_NETNS === '1';

function which(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

if (!inNamespace && process.env.SOFTPHONE_TEST_NO_NETNS !== '1') {
  if (process.getuid?.() === 0 && which('unshare') && which('ip')) {
    const inner = `ip link set lo up && exec node ${JSON.stringify(new URL(import.meta.url).pathname)} ${args.map((a) => JSON.stringify(a)).join(' ')}`;
    const r = spawnSync('unshare', ['--net', '--', 'sh', '-c', inner], {
      stdio: 'inherit',
      env: { ...process.env, SOFTPHONE_TEST_NETNS: '1' },
    });
    process.exit(r.status ?? 1);
  }
  console.warn(
    'run-tests: not root or no unshare/ip: running without a loopback-only network namespace ' +
      '(WebRTC may use non-loopback addresses).',
  );
}

const steps = [
  ['typecheck', 'npx', ['tsc', '-p', '.']],
  ['lint', 'npx', ['eslint', '.']],
  ['build', 'node', ['scripts/build.mjs']],
  ['tests', 'npx', ['vitest', 'run', ...args]],
];
if (fs.existsSync('scripts/security-scan.mjs')) steps.splice(2, 0, ['security scan', 'node', ['scripts/security-scan.mjs']]);

const started = Date.now();
for (const [name, cmd, cmdArgs] of steps) {
  const t = Date.now();
  console.log(`\n▶ ${name}: ${cmd} ${cmdArgs.join(' ')}`);
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', env: process.env });
  if (r.status !== 0) {
    console.error(`\n✖ ${name} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
  console.log(`✔ ${name} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
}
console.log(`\nAll checks passed in ${((Date.now() - started) / 1000).toFixed(0)} s${inNamespace ? ' (loopback-only network namespace)' : ''}.`);
