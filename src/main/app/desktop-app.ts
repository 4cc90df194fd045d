/**
 * The desktop app's behaviour around the softphone core — tray, ringing
 * surfaces, missed calls, power and network, start at login, global
 * shortcuts and call links — written against ports so all of it runs (and
 * is tested) in plain Node against a real server. platform/bootstrap.ts
 * gives it Electron-backed ports; nothing here imports Electron.
 */
import type { HostBridge } from '../../core/host-bridge.js';
import type { CoreLogger, KeyValueStore } from '../../core/ports.js';
import { silentLogger } from '../../core/ports.js';
import type { SettingsStore } from '../../core/settings.js';
import type { Softphone } from '../../core/softphone.js';
import { errorBody } from '../../core/softphone.js';
import type { DeviceSettings, SessionState } from '../../shared/contract.js';
import { findCallLink, parseCallLink, type CallTarget } from './call-links.js';
import { AutoAway } from './auto-away.js';
import { AUTO_AWAY_POLL_MS, HIDDEN_FLAG } from './constants.js';
import { IncomingCallAlerts } from './incoming-call-alerts.js';
import { MissedCallAlerts } from './missed-call-alerts.js';
import type {
  AppView,
  LoginItemPort,
  MainWindowPort,
  NetworkPort,
  NotifierPort,
  PowerPort,
  RingingWindowPort,
  ScreenLockPort,
  ShellPort,
  ShortcutsPort,
  TrayAction,
  TrayPort,
} from './ports.js';
import { CallSleepGuard, PowerWatch } from './power.js';
import { ShortcutBinder } from './shortcuts.js';
import { buildTrayModel } from './tray-model.js';

export interface DesktopPorts {
  mainWindow: MainWindowPort;
  ringingWindow: RingingWindowPort;
  tray: TrayPort;
  notifier: NotifierPort;
  power: PowerPort;
  network: NetworkPort;
  loginItem: LoginItemPort;
  shortcuts: ShortcutsPort;
  shell: ShellPort;
  /** Lock / idle for agents' auto-away (absent: no auto-away). */
  screenLock?: ScreenLockPort;
}

export interface DesktopAppOptions {
  phone: Softphone;
  bridge: HostBridge;
  settings: SettingsStore;
  /** Where the desktop keeps its own small state (missed-call watermark). */
  store: KeyValueStore;
  ports: DesktopPorts;
  log?: CoreLogger;
  missedGroupWindowMs?: number;
  now?: () => number;
  /** Agents: no input for this long is away (default 10 min; 0 = only the lock counts). */
  autoAwayIdleSec?: number;
  autoAwayPollMs?: number;
}

/** A call-back click that arrived before the session was connected waits this long. */
const PENDING_DIAL_TTL_MS = 60_000;

/** Someone the user clicked to call back (tray, missed-call notification). */
type DialTarget = { userId: string };

export class DesktopApp {
  readonly incoming: IncomingCallAlerts;
  readonly missed: MissedCallAlerts;
  readonly sleepGuard: CallSleepGuard;
  readonly shortcuts: ShortcutBinder;
  readonly autoAway: AutoAway | null;
  private readonly powerWatch: PowerWatch;
  private readonly phone: Softphone;
  private readonly ports: DesktopPorts;
  private readonly log: CoreLogger;
  private readonly now: () => number;
  private offs: (() => void)[] = [];
  private trayKey = '';
  private loginItemApplied: boolean | undefined;
  private pendingDial: { target: DialTarget; at: number } | null = null;
  private rendererIsReady = false;
  private readonly queuedCommands: Parameters<HostBridge['command']>[0][] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private quitting = false;

  constructor(private readonly opts: DesktopAppOptions) {
    this.phone = opts.phone;
    this.ports = opts.ports;
    this.log = opts.log ?? silentLogger;
    this.now = opts.now ?? Date.now;
    this.incoming = new IncomingCallAlerts({
      phone: opts.phone,
      notifier: opts.ports.notifier,
      ringingWindow: opts.ports.ringingWindow,
      mainWindow: opts.ports.mainWindow,
      answer: (id) => void this.track(this.answer(id)),
      decline: (id) => void this.track(this.decline(id)),
      open: () => this.showForCall(),
      log: this.log,
    });
    this.missed = new MissedCallAlerts({
      store: opts.store,
      notifier: opts.ports.notifier,
      shell: opts.ports.shell,
      openHistory: () => this.openView('history'),
      callBack: (userId) => void this.track(this.placeCall({ userId })),
      groupWindowMs: opts.missedGroupWindowMs,
      now: this.now,
      log: this.log,
    });
    this.sleepGuard = new CallSleepGuard(opts.ports.power);
    this.powerWatch = new PowerWatch(opts.phone, opts.ports.power, opts.ports.network, this.log);
    const lock = opts.ports.screenLock;
    this.autoAway = lock
      ? new AutoAway({
          phone: opts.phone,
          lock,
          idleAfterSec: opts.autoAwayIdleSec ?? opts.settings.get().autoAwayIdleMin * 60,
          pollMs: opts.autoAwayPollMs ?? AUTO_AWAY_POLL_MS,
          log: this.log,
        })
      : null;
    this.shortcuts = new ShortcutBinder(
      opts.ports.shortcuts,
      { answer: () => void this.track(this.answerRinging()), hangup: () => void this.track(this.hangupCurrent()) },
      this.log,
    );
  }

  async start(): Promise<void> {
    this.ports.tray.onAction((a) => this.onTrayAction(a));
    this.incoming.start();
    this.powerWatch.start();
    this.autoAway?.start();
    this.offs.push(
      this.phone.on('state', (s) => this.onState(s)),
      // Answered on a surface of this device (ringing window, shortcut, notification): show the call.
      this.phone.on('ring-stopped', (c) => {
        if (c.local === 'active') this.showForCall();
      }),
      this.opts.settings.on('changed', (s) => void this.track(this.applySettings(s))),
    );
    this.onState(this.phone.snapshot());
    await this.applySettings(this.opts.settings.get());
  }

  /** Stops every OS-facing effect (app quitting). Does not sign out. */
  async dispose(): Promise<void> {
    this.quitting = true;
    for (const off of this.offs) off();
    this.offs = [];
    this.incoming.stop();
    this.powerWatch.stop();
    this.autoAway?.stop();
    this.ports.screenLock?.dispose?.();
    this.sleepGuard.stop();
    this.shortcuts.clear();
    this.missed.dismiss();
    await this.settled();
  }

  /** Resolves when side effects started so far (settings, notifications, dialling) are done. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Closing the main window hides it to the tray once signed in (quit from the tray or menu). */
  shouldHideOnClose(): boolean {
    return !this.quitting && this.phone.snapshot().phase === 'signed-in';
  }

  /** The app is quitting for real: windows may close. */
  markQuitting(): void {
    this.quitting = true;
  }

  /** The main window's renderer is listening: deliver commands held back until now. */
  rendererReady(): void {
    this.rendererIsReady = true;
    for (const cmd of this.queuedCommands.splice(0)) this.opts.bridge.command(cmd);
  }

  rendererGone(): void {
    this.rendererIsReady = false;
  }

  openView(view: AppView): void {
    this.ports.mainWindow.show();
    this.command({ type: 'show', view });
  }

  /**
   * Brings the main window up for a call (answered from a notification or the
   * ringing window, placed from a link or the tray). Only a window that was
   * not up gets `show` → `call`: the renderer takes that as "opened for this
   * call" and hides the window again once the calls are over. A window the
   * user already had open just comes forward (the renderer switches to a call
   * placed or answered here by itself), and stays open after the call.
   */
  showForCall(): void {
    const wasUp = this.ports.mainWindow.isVisible();
    this.ports.mainWindow.show();
    if (!wasUp) this.command({ type: 'show', view: 'call' });
  }

  // ───────────────────────────── links & command line ─────────────────────────────

  /**
   * A `tel:` / `softphone:` link (macOS `open-url`, Windows/Linux command line).
   * A link is untrusted input from any web page, so it never dials: it fills in
   * the dial field of the main window and brings the window forward, and the
   * call starts only when the user clicks Dial.
   */
  async openLink(link: string): Promise<CallTarget | null> {
    const target = parseCallLink(link);
    if (!target) {
      this.log.warn('ignored a link that is not a call link', { link: link.slice(0, 80) });
      return null;
    }
    this.prefillDial(target);
    return target;
  }

  /**
   * The command line of this instance (cold start) or of a second instance
   * that the single-instance lock turned away: a call link fills in the dial
   * field (never dials), anything else from a second instance brings the
   * window forward.
   */
  async handleCommandLine(argv: readonly string[], from: 'startup' | 'second-instance'): Promise<void> {
    const target = findCallLink(argv);
    if (target) return this.prefillDial(target);
    if (from === 'second-instance') this.openView('main');
    else if (!argv.includes(HIDDEN_FLAG)) this.ports.mainWindow.show();
  }

  /** The main window comes forward on the dial field, filled in with the link's target. */
  private prefillDial(target: CallTarget): void {
    this.openView('main');
    // The renderer keeps it until the dial field is on screen (after sign-in on a cold start).
    this.command({ type: 'prefill', target: target.target });
  }

  /**
   * Calls back someone the user picked with a click on a surface of this app
   * (tray "Call back", the missed-call notification's "Call back" action);
   * never reached from a link. Dialled here, in the core, so the call does
   * not depend on the renderer being loaded; the window comes forward and
   * drives the media for it from the session state. Offline, the click is
   * kept for a short while and dialled once connected.
   */
  async placeCall(target: DialTarget): Promise<void> {
    this.showForCall();
    if (!this.phone.connected) {
      this.pendingDial = { target, at: this.now() };
      return;
    }
    await this.dialNow(target);
  }

  private async dialNow(target: DialTarget): Promise<void> {
    try {
      await this.phone.dial({ userId: target.userId });
    } catch (err) {
      this.log.warn('calling back failed', { error: errorBody(err) });
    }
  }

  // ───────────────────────────── calls from surfaces ─────────────────────────────

  async answer(callId: string): Promise<void> {
    // Forward first: the window's renderer sets up the media for the answered call.
    this.showForCall();
    try {
      await this.phone.answer(callId);
    } catch (err) {
      // Typically `gone`: answered elsewhere or cancelled a moment earlier.
      this.log.info('answer from a notification failed', { callId, error: errorBody(err) });
    }
  }

  async decline(callId: string): Promise<void> {
    try {
      await this.phone.decline(callId);
    } catch (err) {
      this.log.info('decline from a notification failed', { callId, error: errorBody(err) });
    }
  }

  /** Global shortcut: answer the call that has rung longest. */
  async answerRinging(): Promise<void> {
    const ringing = this.phone
      .snapshot()
      .calls.filter((c) => c.local === 'ringing-in')
      .sort((a, b) => a.createdAt - b.createdAt)[0];
    if (ringing) await this.answer(ringing.callId);
  }

  /** Global shortcut: hang up the active call, else cancel the outgoing one, else decline the ringing one. */
  async hangupCurrent(): Promise<void> {
    const calls = this.phone.snapshot().calls;
    const pick =
      calls.find((c) => c.local === 'active') ??
      calls.find((c) => c.local === 'ringing-out') ??
      calls.find((c) => c.local === 'ringing-in');
    if (!pick) return;
    try {
      if (pick.local === 'ringing-in') await this.phone.decline(pick.callId);
      else await this.phone.hangup(pick.callId);
    } catch (err) {
      this.log.info('hang up from the shortcut failed', { callId: pick.callId, error: errorBody(err) });
    }
  }

  // ───────────────────────────── internals ─────────────────────────────

  private command(cmd: Parameters<HostBridge['command']>[0]): void {
    if (this.rendererIsReady) {
      this.opts.bridge.command(cmd);
      return;
    }
    // Held until the renderer listens; only the latest of each kind still matters.
    const same = this.queuedCommands.findIndex((c) => c.type === cmd.type);
    if (same >= 0) this.queuedCommands.splice(same, 1);
    this.queuedCommands.push(cmd);
  }

  private onTrayAction(action: TrayAction): void {
    switch (action.type) {
      case 'open':
        this.openView(action.view ?? 'main');
        break;
      case 'status':
        void this.track(
          this.phone.setStatus(action.status).catch((err: unknown) => {
            this.log.warn('setting the status failed', { error: errorBody(err) });
          }),
        );
        break;
      case 'agent':
        // The same core method as the window's agent bar: the server decides (or keeps it as next).
        void this.track(
          this.phone.setAgentStatus(action.status).catch((err: unknown) => {
            this.log.warn('setting the agent state failed', { error: errorBody(err) });
          }),
        );
        break;
      case 'call-back':
        void this.track(this.placeCall({ userId: action.userId }));
        break;
      case 'quit':
        this.quitting = true;
        this.ports.shell.quit();
        break;
    }
  }

  private onState(s: SessionState): void {
    const model = buildTrayModel(s);
    const key = JSON.stringify(model);
    if (key !== this.trayKey) {
      this.trayKey = key;
      this.ports.tray.render(model);
    }
    this.sleepGuard.update(s);
    void this.track(this.missed.update(s));
    if (this.pendingDial && s.phase === 'signed-in' && s.connection === 'connected') {
      const pending = this.pendingDial;
      this.pendingDial = null;
      if (this.now() - pending.at <= PENDING_DIAL_TTL_MS) void this.track(this.dialNow(pending.target));
    }
    if (s.phase === 'signed-out') this.pendingDial = null;
  }

  private async applySettings(s: DeviceSettings): Promise<void> {
    this.shortcuts.apply(s);
    this.autoAway?.setIdleAfterSec(this.opts.autoAwayIdleSec ?? s.autoAwayIdleMin * 60);
    if (s.startAtLogin !== this.loginItemApplied) {
      this.loginItemApplied = s.startAtLogin;
      try {
        await this.ports.loginItem.setEnabled(s.startAtLogin);
      } catch (err) {
        this.loginItemApplied = undefined;
        this.log.warn('could not change start at login', { enabled: s.startAtLogin, error: String(err) });
      }
    }
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  }
}
