#!/usr/bin/env node
// `npm test`: typecheck, lint, build, then the unit, integration, e2e and chaos
// test projects one after the other (so browser tests do not compete with
// server tests for the CPU), each inside a loopback-only network namespace
// (scripts/netns.mjs). Extra arguments run vitest with just those, e.g.
//   npm test -- tests/integration/server
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const vitestArgs = process.argv.slice(2);
const vitest = (...args) => ['node', ['scripts/netns.mjs', 'npx', 'vitest', 'run', ...args]];
const steps = [
  ['typecheck', 'node', ['scripts/typecheck.mjs']],
  ['lint', 'npx', ['eslint', '.']],
  ['build', 'node', ['scripts/build.mjs']],
];
if (fs.existsSync('scripts/security-scan.mjs')) steps.push(['security scan', 'node', ['scripts/security-scan.mjs']]);
if (vitestArgs.length > 0) steps.push(['tests', ...vitest(...vitestArgs)]);
else {
  for (const project of ['unit', 'integration', 'e2e', 'chaos']) steps.push([`${project} tests`, ...vitest('--project', project)]);
}

const started = Date.now();
for (const [name, cmd, args] of steps) {
  const t = Date.now();
  console.log(`\n▶ ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`\n✖ ${name} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
  console.log(`✔ ${name} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
}
console.log(`\nnpm test: all steps passed in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
