import fc from 'fast-check';
import { hostileValue, guided, jsonSchemaOf } from './arbitraries.js';
import { clientEvents, CLIENT_EVENT_NAMES } from '../../src/shared/protocol/index.js';
const hostile = hostileValue({ maxHugeString: 120_000, maxDepth: 1000 });
const ctx = { pools: { ids: ['a', 'b'], usernames: ['alice'] }, hostile, validWeight: 10 };
let t = performance.now();
fc.sample(hostile, { numRuns: 1000, seed: 1 });
console.log('hostile x1000', performance.now() - t);
for (const e of CLIENT_EVENT_NAMES) {
  const arb = guided(jsonSchemaOf(clientEvents[e].request), ctx);
  t = performance.now();
  fc.sample(arb, { numRuns: 300, seed: 1 });
  console.log(e, (performance.now() - t).toFixed(0));
}
