/**
 * Admin HTTP API (docs/protocol.md "HTTP", docs/support-line.md "Create a queue"): queues and
 * their members, for a user with the `admin` role. Every request is authorised before its body
 * is read: a bearer access token (401 without a valid one), then the admin role read from the
 * store at that moment (403 without it), so taking the role away applies at the next request,
 * not when the token expires. Bodies are parsed with the protocol's schemas (queue-admin.ts,
 * the same checks as the CLI); errors are the usual `{"error": {"code", "message"}}`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import {
  Id,
  MemberUpsert,
  ProtocolError,
  type MemberListResponse,
  type QueueListResponse,
  type QueueResponse,
} from '../../shared/protocol/index.js';
import { createQueue, getQueue, listMembers, parseWith, removeMember, removeQueue, setMember, updateQueue } from '../queue-admin.js';
import type { HttpDeps } from './routes.js';

type QueueBody = z.infer<typeof QueueResponse>;
type QueuesBody = z.infer<typeof QueueListResponse>;
type MembersBody = z.infer<typeof MemberListResponse>;
type IdParams = { id: string };
type MemberParams = { id: string; userId: string };

export const ADMIN_PREFIX = '/api/admin';

export function registerAdminRoutes(app: FastifyInstance, d: Pick<HttpDeps, 'storage' | 'tokens' | 'queueChanged'>): void {
  const s = d.storage;
  // Waiting callers need not wait for the next event: a new ready member takes a call at once,
  // a removed queue's callers are told at once.
  const changed = (queueId: string) => d.queueChanged?.(queueId);
  const requireAdmin = async (req: FastifyRequest) => {
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!match) throw new ProtocolError('unauthorized', 'missing bearer token');
    const { user } = await d.tokens.verifyAccess(match[1]!);
    // verifyAccess read the user from the store just now: these are the current roles.
    if (!user.roles.includes('admin')) throw new ProtocolError('forbidden', 'this needs the admin role');
  };
  const userId = (raw: string) => parseWith(Id, raw, (f) => f, 'userId');

  void app.register(
    async (admin) => {
      // onRequest: before the body is parsed, so a stranger learns nothing from validation errors.
      admin.addHook('onRequest', requireAdmin);

      admin.get('/queues', async (): Promise<QueuesBody> => ({ queues: await s.queues.list() }));
      admin.post('/queues', async (req, reply): Promise<QueueBody> => {
        const queue = await createQueue(s, req.body ?? {});
        void reply.status(201);
        return { queue };
      });
      admin.get<{ Params: IdParams }>('/queues/:id', async (req): Promise<QueueBody> => ({ queue: await getQueue(s, req.params.id) }));
      admin.patch<{ Params: IdParams }>('/queues/:id', async (req): Promise<QueueBody> => {
        const queue = await updateQueue(s, req.params.id, req.body ?? {});
        changed(queue.id);
        return { queue };
      });
      admin.delete<{ Params: IdParams }>('/queues/:id', async (req): Promise<QueueBody> => {
        const queue = await removeQueue(s, req.params.id);
        changed(queue.id);
        return { queue };
      });

      admin.get<{ Params: IdParams }>('/queues/:id/members', async (req): Promise<MembersBody> => ({ members: await listMembers(s, req.params.id) }));
      admin.put<{ Params: MemberParams }>('/queues/:id/members/:userId', async (req): Promise<MembersBody> => {
        const body = parseWith(MemberUpsert, req.body ?? {});
        const member = await setMember(s, req.params.id, { userId: userId(req.params.userId) }, body.level);
        changed(member.queueId);
        return { members: await listMembers(s, member.queueId) };
      });
      admin.delete<{ Params: MemberParams }>('/queues/:id/members/:userId', async (req): Promise<MembersBody> => {
        await removeMember(s, req.params.id, { userId: userId(req.params.userId) });
        changed(req.params.id);
        return { members: await listMembers(s, req.params.id) };
      });
    },
    { prefix: ADMIN_PREFIX },
  );
}
