/**
 * Renderer entry: pick the host, load the session and settings, start media
 * (main window only) and render.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { selectHost } from './host/select-host.js';
import { MediaEngine } from './media/media-engine.js';
import { RingController } from './media/ring-controller.js';
import { SessionStore } from './state/session-store.js';
import { SettingsCache } from './state/settings-store.js';
import { App } from './ui/App.js';
import { AppContext, type AppServices } from './ui/app-context.js';
import { RingingWindow } from './ui/RingingWindow.js';
import { log } from './log.js';

async function boot(root: HTMLElement): Promise<void> {
  const host = await selectHost();
  const session = new SessionStore(host.api);
  const settings = new SettingsCache(host.api);
  await Promise.all([session.load(), settings.load()]);

  const ringingWindow = location.hash === '#ringing';
  document.documentElement.dataset.window = ringingWindow ? 'ringing' : 'main';
  let media: MediaEngine | null = null;
  if (!ringingWindow) {
    const container = document.getElementById('media') ?? document.body;
    media = new MediaEngine(host.api, session, settings, container);
    media.start();
    const ring = new RingController(container);
    ring.setSettings(settings.current);
    settings.subscribe((s) => ring.setSettings(s));
    session.subscribe((s) => ring.update(s));
    host.api.on('call.auto-answered', () => ring.autoAnswered());
    ring.update(session.current);
  }

  const services: AppServices = { api: host.api, info: host.info, session, settings, media };
  document.documentElement.dataset.host = host.info.kind;
  createRoot(root).render(
    <StrictMode>
      <AppContext.Provider value={services}>{ringingWindow ? <RingingWindow /> : <App />}</AppContext.Provider>
    </StrictMode>,
  );
}

const root = document.getElementById('root')!;
boot(root).catch((err: unknown) => {
  log.error('the softphone could not start', err);
  const p = document.createElement('p');
  p.setAttribute('role', 'alert');
  p.className = 'fatal';
  p.textContent = `The softphone could not start: ${err instanceof Error ? err.message : String(err)}. Reload to try again.`;
  root.replaceChildren(p);
});
