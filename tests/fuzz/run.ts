/**
 * `npm run fuzz`: at least 100 000 hostile messages against a real server
 * (tests/fuzz/harness.ts), then a summary with the message count and the
 * seed. Exits non-zero on any property failure.
 *   npm run fuzz -- [--messages 100000] [--seed <n>] [--batch 100]
 * A failure prints the seed: rerun with `--seed <n>` to replay the same input.
 */
import { parseArgs } from 'node:util';
import { runFuzz } from './harness.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '100000' },
    seed: { type: 'string' },
    batch: { type: 'string', default: '100' },
  },
});

const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const messages = Number(values.messages);
const batchSize = Number(values.batch);
if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(messages) || messages < 1 || !Number.isSafeInteger(batchSize) || batchSize < 1) {
  console.error('usage: npm run fuzz -- [--messages 100000] [--seed <integer>] [--batch 100]');
  process.exit(2);
}

console.log(`fuzz: seed ${seed}, at least ${messages} messages in batches of ${batchSize}`);
try {
  const r = await runFuzz({ seed, messages, batchSize, progress: (line) => console.log(line) });
  console.log(`\nfuzz passed: ${r.messages} messages (seed ${r.seed}) in ${(r.durationMs / 1000).toFixed(1)} s`);
  console.log(`  by kind: ${JSON.stringify(r.byKind)}`);
  console.log(`  answers: ${JSON.stringify(r.ackCodes)}`);
  console.log(`  concurrent call: ${r.legitSignals} signals relayed, ended with one record per participant`);
  console.log(`  fuzz calls created and checked: ${r.createdCalls}`);
  console.log(`  server heap: ${r.heapBeforeMiB} MiB early in the run, ${r.heapAfterMiB} MiB at the end`);
  for (const s of r.slowest) console.log(`  slow: ${s.ms} ms ${s.what}`);
  process.exit(0);
} catch (err) {
  console.error(`\nfuzz FAILED (seed ${seed}; replay with: npm run fuzz -- --seed ${seed} --messages ${messages} --batch ${batchSize})`);
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
