/**
 * The desktop's ringing surfaces for queue offers, driven by the real core on a fake signaling
 * link: an offer that ends closes its notification and the ringing window, and the same call
 * offered again shows a new notification with its own tag, which a notifier that replaces by
 * tag (freedesktop) must not let the previous one's late close take down.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IncomingCallAlerts } from '../../../src/main/app/incoming-call-alerts.js';
import type { Notice, NotificationHandle, NotifierPort } from '../../../src/main/app/ports.js';
import { offer, offerRig } from '../core/offer-rig.js';

/** Like freedesktop: a notice with a tag already shown replaces it, and closing closes by tag. */
class TagNotifier implements NotifierPort {
  readonly open = new Map<string, Notice>();
  readonly shown: Notice[] = [];
  async show(notice: Notice): Promise<NotificationHandle> {
    this.open.set(notice.tag, notice);
    this.shown.push(notice);
    return { close: async () => void this.open.delete(notice.tag) };
  }
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('incoming-call alerts for queue offers', () => {
  it('an ended offer closes its notification and window; the next offer shows its own', async () => {
    const r = await offerRig();
    const notifier = new TagNotifier();
    let windowShown = false;
    const alerts = new IncomingCallAlerts({
      phone: r.phone,
      notifier,
      ringingWindow: { show: () => (windowShown = true), hide: () => (windowShown = false), isVisible: () => windowShown },
      mainWindow: { show: () => undefined, hide: () => undefined, isVisible: () => false, isFocused: () => false },
      answer: () => undefined,
      decline: () => undefined,
      open: () => undefined,
    });
    alerts.start();
    offer(r, 'q1', 1);
    await vi.advanceTimersByTimeAsync(0);
    expect([...notifier.open.values()]).toMatchObject([{ title: 'Incoming call · Support', body: 'Bob · Support · via web · waited 00:42' }]);
    expect(windowShown).toBe(true);

    r.link().push('call:offer-ended', { callId: 'q1', seq: 1, result: 'missed' });
    await vi.advanceTimersByTimeAsync(0);
    expect(notifier.open.size).toBe(0);
    expect(windowShown).toBe(false);

    // Offered again at once: the close of offer 1's notice runs after offer 2's is shown.
    offer(r, 'q1', 2);
    r.link().push('call:offer-ended', { callId: 'q1', seq: 2, result: 'withdrawn' });
    offer(r, 'q1', 3);
    await vi.advanceTimersByTimeAsync(0);
    expect([...notifier.open.keys()]).toEqual(['call-q1-3']);
    expect(notifier.shown.map((n) => n.tag)).toEqual(['call-q1-1', 'call-q1-2', 'call-q1-3']);
    expect(windowShown).toBe(true);
    alerts.stop();
  });
});
