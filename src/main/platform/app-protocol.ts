/**
 * `app://softphone/` — the origin the renderer is served from.
 *
 * Why a custom protocol rather than file://: every file:// page shares one
 * origin, so neither the IPC sender check nor the permission handlers
 * could tell our page from any other local HTML; file:// responses cannot
 * carry a Content-Security-Policy header; and a file:// page can read other
 * local files. A privileged *standard* + *secure* scheme gives the page a
 * real origin (`app://softphone`), a secure context (getUserMedia works),
 * CSP on every response, and a handler that serves only the built renderer
 * folder. It is the layout Electron's security checklist recommends.
 */
import { protocol } from 'electron';
import { APP_HOST, APP_SCHEME } from '../app/constants.js';
import { appResponseHeaders } from '../app/web-security.js';
import { readAsset } from '../node/app-assets.js';

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true, stream: true },
    },
  ]);
}

/** Serves the renderer build folder; everything else is 404. */
export function serveAppProtocol(rendererRoot: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.hostname !== APP_HOST) return new Response('not found', { status: 404 });
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('method not allowed', { status: 405 });
    const asset = await readAsset(rendererRoot, url.pathname);
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(asset.body as Buffer), {
      status: asset.status,
      headers: appResponseHeaders(asset.contentType),
    });
  });
}
