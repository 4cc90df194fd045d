/**
 * Native notifications through Electron on macOS and Windows (and on Linux
 * only when the freedesktop service could not be reached directly).
 * macOS: `actions` buttons, reported by index. Windows: toast XML with
 * buttons; presses arrive through `Notification.handleActivation` with the
 * arguments we put on each button (app/toast-xml.ts).
 */
import { Notification } from 'electron';
import type { CoreLogger } from '../../core/ports.js';
import type { Notice, NoticeHandlers, NotificationHandle, NotifierPort } from '../app/ports.js';
import { parseToastArguments, toastXml } from '../app/toast-xml.js';

interface Shown {
  n: Notification;
  notice: Notice;
  handlers: NoticeHandlers;
}

export class ElectronNotifier implements NotifierPort {
  private readonly byTag = new Map<string, Shown>();
  private readonly windows = process.platform === 'win32';

  constructor(
    private readonly icon: string | undefined,
    private readonly log: CoreLogger,
  ) {
    if (this.windows) Notification.handleActivation((d) => this.onActivation(d.arguments));
  }

  async show(notice: Notice, handlers: NoticeHandlers): Promise<NotificationHandle> {
    this.byTag.get(notice.tag)?.n.close();
    const n = this.windows
      ? new Notification({ toastXml: toastXml(notice) })
      : new Notification({
          id: notice.tag,
          title: notice.title,
          body: notice.body,
          icon: this.icon,
          actions: notice.actions.map((a) => ({ type: 'button' as const, text: a.label })),
          urgency: notice.urgency,
          timeoutType: notice.persistent ? 'never' : 'default',
          // The renderer rings; a notification sound on top would be noise.
          silent: notice.kind === 'incoming-call',
        });
    const shown: Shown = { n, notice, handlers };
    if (!this.windows) {
      n.on('action', (details, legacyIndex) => {
        const index = typeof details?.actionIndex === 'number' ? details.actionIndex : legacyIndex;
        const key = notice.actions[index]?.key;
        if (key) handlers.onAction?.(key);
      });
      n.on('click', () => handlers.onClick?.());
    }
    n.on('close', () => {
      if (this.byTag.get(notice.tag) === shown) this.byTag.delete(notice.tag);
      handlers.onClosed?.('dismissed');
    });
    n.on('failed', (_e, error) => this.log.warn('notification failed', { error }));
    this.byTag.set(notice.tag, shown);
    n.show();
    return {
      close: async () => {
        if (this.byTag.get(notice.tag) === shown) this.byTag.delete(notice.tag);
        n.close();
      },
    };
  }

  private onActivation(args: string): void {
    const parsed = parseToastArguments(args);
    if (!parsed) return;
    const shown = this.byTag.get(parsed.tag);
    if (!shown) return;
    if (parsed.action === 'default') shown.handlers.onClick?.();
    else shown.handlers.onAction?.(parsed.action);
  }
}
