/**
 * Notifications must not fail silently: if the preferred service (the
 * freedesktop daemon over D-Bus) errors or stops answering, the notice goes
 * through the fallback (Electron's Notification) instead.
 */
import type { CoreLogger } from '../../core/ports.js';
import { silentLogger } from '../../core/ports.js';
import type { Notice, NoticeHandlers, NotificationHandle, NotifierPort } from './ports.js';

export class FallbackNotifier implements NotifierPort {
  constructor(
    private readonly primary: NotifierPort,
    private readonly fallback: NotifierPort,
    private readonly log: CoreLogger = silentLogger,
  ) {}

  async show(notice: Notice, handlers: NoticeHandlers): Promise<NotificationHandle> {
    try {
      return await this.primary.show(notice, handlers);
    } catch (err) {
      this.log.warn('notification service failed; using the fallback', { tag: notice.tag, error: String(err) });
      return this.fallback.show(notice, handlers);
    }
  }
}
