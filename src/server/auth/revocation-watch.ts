/**
 * Watches the durable revocation marker that `user passwd` and `user remove` write (the CLI
 * runs in another process, so an in-process event would never reach the server). Every
 * `intervalMs` it asks the store for revocations newer than the last one seen: on SQLite that
 * is one `PRAGMA data_version` read while nothing changed, on PostgreSQL one primary-key
 * probe. Each new revocation names a user whose open sockets must go (docs/security.md).
 */
import type { Logger } from '../logger.js';
import type { AccountStore } from '../store/types.js';

export const REVOCATION_POLL_MS = 250;

export class RevocationWatch {
  private lastId = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private stopped = false;

  constructor(
    private readonly accounts: Pick<AccountStore, 'revocationsSince' | 'latestRevocationId'>,
    private readonly onRevoked: (userId: string) => void,
    private readonly log: Logger,
    private readonly intervalMs = REVOCATION_POLL_MS,
  ) {}

  /** Starts after the newest revocation already recorded (those sockets never opened here). */
  async start(): Promise<void> {
    this.lastId = await this.accounts.latestRevocationId();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** One poll (tests and `start`'s timer). */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const rows = await this.accounts.revocationsSince(this.lastId);
      for (const row of rows) {
        this.lastId = Math.max(this.lastId, row.id);
        this.log.info({ userId: row.userId }, 'sessions revoked; closing the user\'s sockets');
        this.onRevoked(row.userId);
      }
    } catch (err) {
      this.log.warn({ err }, 'revocation poll failed');
    } finally {
      this.polling = false;
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.poll().finally(() => this.schedule());
    }, this.intervalMs);
    this.timer.unref();
  }
}
