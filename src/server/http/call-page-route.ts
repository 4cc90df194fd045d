/**
 * The click-to-call page, GET /call/:queue (docs/support-line.md "Put the page on a
 * website"): the built `call.html` (WEB_ROOT) with its scripts under /call/assets/, since
 * the page's relative asset paths resolve below /call/.
 *
 * Its CSP is the web softphone's, except `frame-ancestors`: the sites listed in
 * CALL_PAGE_FRAME_ANCESTORS may embed the page in an iframe (and X-Frame-Options is then
 * left out, as it cannot list sites); with none listed, no site may (`'none'`, DENY), and
 * a popup is the way to put it on a website. An unknown or private queue still gets the
 * page (it says so) with status 404.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { QueueId } from '../../shared/protocol/index.js';
import type { Config } from '../config.js';
import type { Storage } from '../store/types.js';

export interface CallPageDeps {
  config: Pick<Config, 'webRoot' | 'callPageFrameAncestors'>;
  storage: Pick<Storage, 'queues'>;
}

/** The call page's Content-Security-Policy for the configured embedding sites. */
export function callPageCsp(frameAncestors: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "media-src 'self' blob: mediastream:",
    "connect-src 'self' ws: wss:",
    `frame-ancestors ${frameAncestors.length > 0 ? frameAncestors.join(' ') : "'none'"}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

const NOT_BUILT =
  '<!doctype html><html lang="en"><title>Call us</title><p>The call page is not built. Run <code>npm run build</code>.</p></html>';

export async function registerCallPage(app: FastifyInstance, d: CallPageDeps): Promise<void> {
  const root = path.resolve(d.config.webRoot);
  const csp = callPageCsp(d.config.callPageFrameAncestors);
  const embeddable = d.config.callPageFrameAncestors.length > 0;
  await app.register(async (scope) => {
    // Runs after the server-wide onSend hook (a child scope's hooks come last): it replaces the CSP.
    scope.addHook('onSend', async (_req, reply, payload) => {
      if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
        reply.header('content-security-policy', csp);
        if (embeddable) reply.removeHeader('x-frame-options');
      }
      return payload;
    });

    scope.get<{ Params: { queue: string } }>('/call/:queue', async (req, reply) => {
      const id = QueueId.safeParse(req.params.queue);
      const queue = id.success ? await d.storage.queues.get(id.data) : undefined;
      const html = await readFile(path.join(root, 'call.html'), 'utf8').catch(() => NOT_BUILT);
      return reply
        .status(queue?.public ? 200 : 404)
        .header('cache-control', 'no-cache')
        .type('text/html; charset=utf-8')
        .send(html);
    });

    const assets = path.join(root, 'assets');
    if (!existsSync(assets)) return;
    await scope.register(fastifyStatic, {
      root: assets,
      prefix: '/call/assets/',
      decorateReply: false,
      index: false,
    });
  });
}
