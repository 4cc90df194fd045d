/**
 * Ringing surfaces outside the main window: a native notification with
 * Answer / Decline per ringing call, and the small always-on-top ringing
 * window. They appear when the core emits `ring` while the user is not
 * looking at the app, and every one of them goes away the moment the core
 * emits `ring-stopped` (answered here or on another device, declined,
 * cancelled, timed out) — a device that keeps ringing after the call was
 * taken elsewhere is the failure this module exists to prevent.
 */
import type { Softphone } from '../../core/softphone.js';
import type { CoreLogger } from '../../core/ports.js';
import { silentLogger } from '../../core/ports.js';
import { incomingCallText } from '../../shared/call-words.js';
import type { CallInfo } from '../../shared/contract.js';
import type { MainWindowPort, NotificationHandle, NotifierPort, RingingWindowPort } from './ports.js';

export interface IncomingCallAlertsDeps {
  phone: Softphone;
  notifier: NotifierPort;
  ringingWindow: RingingWindowPort;
  mainWindow: MainWindowPort;
  /** The user chose Answer / Decline on a surface, or clicked the notification. */
  answer(callId: string): void;
  decline(callId: string): void;
  open(callId: string): void;
  log?: CoreLogger;
}

export const INCOMING_ACTIONS = [
  { key: 'answer', label: 'Answer' },
  { key: 'decline', label: 'Decline' },
] as const;

/**
 * The words are the renderer's too (src/shared/call-words.ts): queue, caller, "via web", waited.
 * Each offer of a queue call has its own tag: a notifier that replaces by tag (freedesktop) must
 * not let the closing of the previous offer's notification close the next one's.
 */
export function incomingCallNotice(call: CallInfo) {
  return {
    tag: call.offer ? `call-${call.callId}-${call.offer.seq}` : `call-${call.callId}`,
    kind: 'incoming-call' as const,
    ...incomingCallText(call),
    actions: INCOMING_ACTIONS.map((a) => ({ ...a })),
    urgency: 'critical' as const,
    persistent: true,
  };
}

export class IncomingCallAlerts {
  /** Pending or shown notification per ringing call (show is async: close must wait for it). */
  private readonly notices = new Map<string, Promise<NotificationHandle | null>>();
  private readonly log: CoreLogger;
  private offs: (() => void)[] = [];

  constructor(private readonly deps: IncomingCallAlertsDeps) {
    this.log = deps.log ?? silentLogger;
  }

  start(): void {
    const { phone } = this.deps;
    this.offs.push(
      phone.on('ring', (call) => this.onRing(call)),
      phone.on('ring-stopped', (call) => this.onRingStopped(call.callId)),
      // Signed out or stopped: nothing may keep ringing.
      phone.on('state', (s) => {
        if (s.phase !== 'signed-in' && (this.notices.size > 0 || this.deps.ringingWindow.isVisible())) this.closeAll();
      }),
    );
  }

  stop(): void {
    for (const off of this.offs) off();
    this.offs = [];
    this.closeAll();
  }

  /** Calls whose notification is up (or being shown). */
  get activeCallIds(): string[] {
    return [...this.notices.keys()];
  }

  private userIsLooking(): boolean {
    const w = this.deps.mainWindow;
    return w.isVisible() && w.isFocused();
  }

  private onRing(call: CallInfo): void {
    // The main window, focused, shows the call itself (and rings).
    if (this.userIsLooking()) return;
    this.deps.ringingWindow.show();
    if (this.notices.has(call.callId)) return;
    const shown = this.deps.notifier
      .show(incomingCallNotice(call), {
        onAction: (key) => {
          if (key === 'answer') this.deps.answer(call.callId);
          else if (key === 'decline') this.deps.decline(call.callId);
          else this.deps.open(call.callId);
        },
        onClick: () => this.deps.open(call.callId),
        onClosed: () => {
          // Dismissing the notification does not decline: the ringing window stays.
          if (this.notices.get(call.callId) === shown) this.notices.delete(call.callId);
        },
      })
      .catch((err: unknown) => {
        this.log.warn('incoming-call notification failed', { callId: call.callId, error: String(err) });
        return null;
      });
    this.notices.set(call.callId, shown);
  }

  private onRingStopped(callId: string): void {
    this.closeNotice(callId);
    const stillRinging = this.deps.phone.snapshot().calls.some((c) => c.local === 'ringing-in');
    if (!stillRinging) this.deps.ringingWindow.hide();
  }

  private closeNotice(callId: string): void {
    const pending = this.notices.get(callId);
    if (!pending) return;
    this.notices.delete(callId);
    void pending.then((h) => h?.close()).catch((err: unknown) => {
      this.log.warn('closing the incoming-call notification failed', { callId, error: String(err) });
    });
  }

  private closeAll(): void {
    for (const id of [...this.notices.keys()]) this.closeNotice(id);
    this.deps.ringingWindow.hide();
  }
}
