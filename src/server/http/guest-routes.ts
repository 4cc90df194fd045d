/**
 * HTTP for guests of the public web page (docs/protocol.md "Guests"):
 * - `GET /api/queues/<id>/public`: what the page shows before calling;
 * - `POST /api/guest`: a guest token for one call to that queue, limited per IP.
 * A private queue answers exactly like a queue that does not exist (`not_found`), so the
 * page reveals nothing about private queues.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { GuestRequest, ProtocolError, QueueId, type GuestResponse, type PublicQueueInfo } from '../../shared/protocol/index.js';
import type { GuestTokens } from '../auth/guest-tokens.js';
import type { RateLimits } from '../ratelimit.js';
import type { QueueRow } from '../store/queue-types.js';
import type { Storage } from '../store/types.js';
import { parseBody } from './routes.js';

export interface GuestRouteDeps {
  storage: Storage;
  limits: RateLimits;
  guests: GuestTokens;
  /** The queue service's view of a public queue (queues/queue-service.ts publicInfo). */
  publicInfo: (queueId: string) => Promise<PublicQueueInfo | undefined>;
}

const QueueParams = z.object({ id: QueueId });

const noSuchQueue = () => new ProtocolError('not_found', 'no such public queue');

async function publicQueue(storage: Storage, id: string): Promise<QueueRow> {
  const queue = await storage.queues.get(id);
  if (!queue?.public) throw noSuchQueue();
  return queue;
}

export function registerGuestRoutes(app: FastifyInstance, d: GuestRouteDeps): void {
  app.get('/api/queues/:id/public', async (req, reply): Promise<PublicQueueInfo> => {
    const parsed = QueueParams.safeParse(req.params);
    if (!parsed.success) throw noSuchQueue();
    // Checked here too: whatever the view answers, a private queue stays unseen.
    const queue = await publicQueue(d.storage, parsed.data.id);
    const info = await d.publicInfo(queue.id);
    if (!info) throw noSuchQueue();
    void reply.header('cache-control', 'no-store');
    return info;
  });

  app.post('/api/guest', async (req, reply): Promise<GuestResponse> => {
    // Before anything else: the limit also holds for malformed bodies and unknown queues.
    await d.limits.consume('guestIp', req.ip);
    const body = parseBody(GuestRequest, req.body);
    const queue = await publicQueue(d.storage, body.queue);
    void reply.header('cache-control', 'no-store');
    return d.guests.issue(queue, body.name);
  });
}
