import { startTestServer } from '../tests/helpers/server.js';
import { openDesktop, openWeb, incomingDialog, waitForCallState } from '../tests/harness/index.js';
import { spectrumOf } from '../tests/helpers/audio.js';
const server = await startTestServer();
const [d, w] = await Promise.all([openDesktop(server, 'alice', { toneHz: 440 }), openWeb(server, 'bob', { toneHz: 660 })]);
for (const [n, p] of [['A', d.page], ['B', w.page]] as const) p.on('console', (m) => console.log(n, m.type(), m.text()));
await d.page.getByRole('button', { name: 'Call Bob' }).click();
await incomingDialog(w.page).getByRole('button', { name: 'Answer' }).click();
await waitForCallState(d.page, 'Bob', 'active');
const t0 = Date.now();
for (let i = 0; i < 12; i++) { try { console.log('poll', Date.now() - t0, JSON.stringify(await spectrumOf(d.page, [660]))); } catch (e) { console.log('poll err', (e as Error).message.slice(0, 100)); } }
for (const [n, p] of [['A', d.page], ['B', w.page]] as const) {
  console.log(n, await p.evaluate(() => { const el = document.querySelector('[data-testid="remote-audio"]') as HTMLAudioElement | null; const s = el?.srcObject as MediaStream | null; return { el: !!el, paused: el?.paused, muted: el?.muted, tracks: s?.getTracks().map(t => [t.kind, t.readyState, t.muted, t.enabled]) }; }));
  console.log(n, await p.locator('.call-status').textContent(), await p.locator('.quality').textContent());
  console.log(n, JSON.stringify(await spectrumOf(p, [440, 660])));
}
await d.close(); await w.close(); await server.stop();
