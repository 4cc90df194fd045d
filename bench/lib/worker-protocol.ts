/**
 * IPC between the runner and a worker process: numbered commands with one
 * reply each, plus unsolicited events (progress, timings).
 */
export interface WorkerCommand {
  id: number;
  cmd: string;
  args: unknown;
}

export type WorkerReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string }
  | { event: string; data: unknown };

type Handler = (args: never) => unknown;

/**
 * Worker side: dispatches commands to handlers. `exit` is built in: it runs
 * the `exit` handler if there is one (to close sockets), then ends the process.
 */
export function serveCommands(handlers: Record<string, Handler>): void {
  const send = (msg: WorkerReply) => {
    if (process.connected) process.send!(msg);
  };
  process.on('message', (raw) => {
    const msg = raw as WorkerCommand;
    void (async () => {
      try {
        const handler = handlers[msg.cmd];
        if (!handler && msg.cmd !== 'exit') throw new Error(`unknown command ${msg.cmd}`);
        const result = handler ? await handler(msg.args as never) : undefined;
        send({ id: msg.id, ok: true, result: result ?? null });
      } catch (err) {
        send({ id: msg.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      }
      if (msg.cmd === 'exit') setImmediate(() => process.exit(0));
    })();
  });
  // The runner went away: do not linger as an orphan holding thousands of sockets.
  process.on('disconnect', () => process.exit(0));
}

export function emitEvent(event: string, data: unknown): void {
  if (process.connected) process.send!({ event, data } satisfies WorkerReply);
}
