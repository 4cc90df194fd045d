/**
 * The desktop shell for the headless desktop harness: the REAL `DesktopApp`
 * (incoming-call notification and ringing window, missed calls, power and
 * links), composed by `createDesktopSession` exactly as the Electron main
 * process composes it, around the same core the harness page talks to.
 *
 * Only the OS edge is faked, and every fake is observable:
 * - notifications: the REAL `FreedesktopNotifier` on a test D-Bus session
 *   (tests/helpers/desktop-session.ts: Xvfb + dbus + dunst) when a bus
 *   address is given, else a recording fake;
 * - the main window: drives the harness's Chromium window, so when the shell
 *   shows or hides the app window the renderer really becomes visible or
 *   hidden (`document.visibilityState`), as in Electron;
 * - the ringing window: a recording fake (shown / hidden, with times);
 * - tray, power (`os.power.emit('resume')`), network, login item, shortcuts,
 *   shell: the fakes of tests/integration/desktop/fake-os.ts.
 * Every surface change is logged with a wall-clock time (`Date.now()`, the
 * clock the server and the pages share), so tests can measure how quickly
 * ringing starts and stops.
 */
import type { Page } from 'playwright-core';
import type { CoreLogger } from '../../src/core/ports.js';
import type { DesktopApp as ShellApp } from '../../src/main/app/desktop-app.js';
import type { MainWindowPort, Notice, NoticeHandlers, NotificationHandle, NotifierPort, RingingWindowPort } from '../../src/main/app/ports.js';
import { FakeOs } from '../integration/desktop/fake-os.js';
import type { DesktopChromium } from './desktop-chromium.js';

export type SurfaceEvent =
  | { surface: 'notification'; what: 'shown' | 'closed'; tag: string; kind: Notice['kind']; at: number }
  | { surface: 'ringing-window' | 'main-window'; what: 'shown' | 'hidden'; at: number };

export interface DesktopShellOptions {
  /**
   * A D-Bus session bus with a notification daemon (startDesktopSession().busAddress):
   * notifications go through the real FreedesktopNotifier.
   */
  busAddress?: string;
  /** Any other notifier (default without a bus: the recording fake of FakeOs). */
  notifier?: NotifierPort;
}

export interface DesktopShell {
  /** The real DesktopApp around the harness's core. */
  app: ShellApp;
  /** The fakes at the OS edge (tray, power, network, shortcuts, shell…). */
  os: FakeOs;
  mainWindow: ChromiumMainWindow;
  ringingWindow: RecordingRingingWindow;
  /** Every notification, main-window and ringing-window change, in order. */
  readonly events: readonly SurfaceEvent[];
  /** The first event after `since` (ms epoch) that matches, awaited up to `timeoutMs`. */
  waitForEvent(match: (e: SurfaceEvent) => boolean, what: string, opts?: { since?: number; timeoutMs?: number }): Promise<SurfaceEvent>;
}

/** Records what the shell does with the notifier; the notifier itself stays the real one. */
export class RecordingNotifier implements NotifierPort {
  constructor(
    private readonly inner: NotifierPort,
    private readonly record: (e: SurfaceEvent) => void,
  ) {}

  async show(notice: Notice, handlers: NoticeHandlers): Promise<NotificationHandle> {
    const base = { surface: 'notification' as const, tag: notice.tag, kind: notice.kind };
    let closed = false;
    const closedNow = () => {
      if (closed) return;
      closed = true;
      this.record({ ...base, what: 'closed', at: Date.now() });
    };
    const handle = await this.inner.show(notice, {
      ...handlers,
      onClosed: (reason) => {
        closedNow();
        handlers.onClosed?.(reason);
      },
    });
    this.record({ ...base, what: 'shown', at: Date.now() });
    return {
      close: async () => {
        // Recorded once the daemon has taken it away (CloseNotification answered).
        await handle.close();
        closedNow();
      },
    };
  }
}

/**
 * The main window port over the harness's Chromium window: show = restore
 * (visible), hide = minimise (hidden), applied in order. `hides` counts the
 * app's own hide requests (the renderer's `window.hide`), not the test's.
 */
export class ChromiumMainWindow implements MainWindowPort {
  visible = true;
  focused = true;
  shows = 0;
  hides = 0;
  private applied: Promise<void> = Promise.resolve();

  constructor(
    private readonly chrome: DesktopChromium,
    private readonly page: Page,
    private readonly record: (e: SurfaceEvent) => void,
    private readonly log?: CoreLogger,
  ) {}

  show(): void {
    this.shows++;
    this.set(true);
  }

  hide(): void {
    this.hides++;
    this.set(false);
  }

  isVisible(): boolean {
    return this.visible;
  }

  isFocused(): boolean {
    return this.focused;
  }

  /** The user (the test) minimises or restores the window; resolves once Chromium did it. */
  async userSets(visible: boolean): Promise<void> {
    this.set(visible);
    await this.settled();
  }

  /** Resolves when the Chromium window reflects the last show / hide. */
  settled(): Promise<void> {
    return this.applied;
  }

  private set(visible: boolean): void {
    const changed = visible !== this.visible;
    this.visible = visible;
    this.focused = visible;
    if (changed) this.record({ surface: 'main-window', what: visible ? 'shown' : 'hidden', at: Date.now() });
    this.applied = this.applied.then(() =>
      (visible ? this.chrome.show(this.page) : this.chrome.hide(this.page)).catch((err: unknown) => {
        // The page is closing at the end of a test.
        this.log?.debug('window state not applied', { error: String(err) });
      }),
    );
  }
}

/** The small always-on-top ringing window: only whether it shows, with when. */
export class RecordingRingingWindow implements RingingWindowPort {
  visible = false;
  shows = 0;

  constructor(private readonly record: (e: SurfaceEvent) => void) {}

  show(): void {
    this.shows++;
    if (this.visible) return;
    this.visible = true;
    this.record({ surface: 'ringing-window', what: 'shown', at: Date.now() });
  }

  hide(): void {
    if (!this.visible) return;
    this.visible = false;
    this.record({ surface: 'ringing-window', what: 'hidden', at: Date.now() });
  }

  isVisible(): boolean {
    return this.visible;
  }
}

/** Builds the OS edge for a shell; the caller composes the session with `ports`. */
export function shellPorts(chrome: DesktopChromium, notifier: NotifierPort | undefined) {
  const os = new FakeOs();
  const events: SurfaceEvent[] = [];
  const record = (e: SurfaceEvent) => {
    events.push(e);
    os.poke();
  };
  const mainWindow = new ChromiumMainWindow(chrome, chrome.page, record);
  const ringingWindow = new RecordingRingingWindow(record);
  const ports = {
    ...os.ports,
    mainWindow,
    ringingWindow,
    notifier: new RecordingNotifier(notifier ?? os.notifier, record),
  };
  const waitForEvent: DesktopShell['waitForEvent'] = (match, what, { since = 0, timeoutMs = 5_000 } = {}) =>
    os.until(() => events.find((e) => e.at >= since && match(e)), what, timeoutMs);
  return { os, events, mainWindow, ringingWindow, ports, waitForEvent };
}
