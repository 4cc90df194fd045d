// Preloaded into every server under test (`node --expose-gc --import mem-probe.mjs …`).
// Answers `{ cmd: 'mem', id }` on the IPC channel with process.memoryUsage() taken
// right after two full garbage collections, so heap figures count live objects only.
// It adds one listener and nothing else; the channel is unref'd so it never keeps
// the server alive.
import process from 'node:process';

if (typeof process.send === 'function') {
  process.on('message', (msg) => {
    if (!msg || typeof msg !== 'object' || msg.cmd !== 'mem') return;
    if (typeof globalThis.gc === 'function') {
      // Twice: the first pass can leave objects that finalizers only release on the next.
      globalThis.gc();
      globalThis.gc();
    }
    const m = process.memoryUsage();
    process.send({
      probe: 'mem',
      id: msg.id,
      gcRan: typeof globalThis.gc === 'function',
      rss: m.rss,
      heapUsed: m.heapUsed,
      heapTotal: m.heapTotal,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
    });
  });
  process.channel?.unref();
}
