/**
 * Gateway handlers of `wallboard:subscribe` / `wallboard:unsubscribe` (docs/protocol.md
 * "Queues", docs/support-line.md "Read the wallboard"), merged into the gateway's handler map.
 *
 * The supervisor role is checked on every event against the stored roles (not the token's
 * claims), as for `supervisor:agents`; taking the role away also closes the user's sockets
 * (auth/revocation-watch.ts), so a demoted supervisor stops getting `wallboard:update` at
 * once. `wallboard:unsubscribe` checks the role too: clients use it, side-effect free, to
 * learn whether to offer the wallboard at all.
 */
import type { Socket } from 'socket.io';
import { ProtocolError, type ClientResponse, type queueClientEvents } from '../../shared/protocol/index.js';
import type { z } from 'zod';
import type { WallboardService } from '../queues/wallboard.js';
import type { Storage } from '../store/types.js';

type WallboardEventName = 'wallboard:subscribe' | 'wallboard:unsubscribe';
type Req<E extends WallboardEventName> = z.infer<(typeof queueClientEvents)[E]['request']>;
type AnySocket = Pick<Socket, 'join' | 'leave'> & { data: { ctx: { userId: string } } };
type WallboardHandler<E extends WallboardEventName> = (socket: AnySocket, req: Req<E>) => Promise<ClientResponse<E>>;

/** socket.io room of this node's sockets that get `wallboard:update` (emitted node-locally). */
export const WALLBOARD_ROOM = 'wallboard';

export function wallboardHandlers(
  storage: Pick<Storage, 'accounts'>,
  wallboard: WallboardService | undefined,
): { [E in WallboardEventName]: WallboardHandler<E> } {
  const supervisor = async (socket: AnySocket): Promise<void> => {
    const u = await storage.accounts.getUserById(socket.data.ctx.userId);
    if (!u) throw new ProtocolError('unauthorized', 'the account was removed');
    if (!u.roles.includes('supervisor')) throw new ProtocolError('forbidden', 'this needs the supervisor role');
  };
  return {
    'wallboard:subscribe': async (socket) => {
      await supervisor(socket);
      if (!wallboard) throw new ProtocolError('not_found', 'the wallboard is not available on this server');
      await socket.join(WALLBOARD_ROOM);
      return { wallboard: await wallboard.subscribed() };
    },
    'wallboard:unsubscribe': async (socket) => {
      await supervisor(socket);
      await socket.leave(WALLBOARD_ROOM);
      wallboard?.unsubscribed();
      return {};
    },
  };
}
