/**
 * Decides which sound plays from the session snapshot: the ringtone for an
 * incoming call, a call-waiting tone when one rings during a call, ringback
 * while our call rings at the far end, and a busy tone when it is refused.
 * Every sound stops in the same tick as the snapshot that ends it. For agents,
 * `autoAnswered` plays the zip tone (the core answered a call by itself).
 */
import type { CallInfo, DeviceSettings, SessionState } from '../../shared/contract.js';
import { outputPresent } from './audio-devices.js';
import { Ringtone, ToneGenerator, ZipTone, type ProgressTone } from './tones.js';

/** How long the busy tone plays after an outgoing call is refused. */
const BUSY_TONE_MS = 3_000;

export class RingController {
  readonly ringtone: Ringtone;
  readonly tones = new ToneGenerator();
  /** Ended calls already accounted for (so a reloaded window does not replay a busy tone). */
  private readonly handled = new Set<string>();
  private primed = false;
  private busyUntil = 0;
  private busyCallId: string | null = null;
  private busyTimer: ReturnType<typeof setTimeout> | undefined;
  private settings: DeviceSettings | null = null;
  private last: SessionState | null = null;
  /** Created once the user shows up as an agent (only agents have auto-answer). */
  private zip: ZipTone | null = null;

  constructor(private readonly container: HTMLElement) {
    this.ringtone = new Ringtone(container);
    // A headset unplugged while ringing: ring on the default device instead of into nothing.
    navigator.mediaDevices?.addEventListener('devicechange', () => void this.applyDevices());
  }

  setSettings(s: DeviceSettings): void {
    const changed = s.ringtoneDeviceId !== this.settings?.ringtoneDeviceId || s.outputDeviceId !== this.settings?.outputDeviceId;
    this.settings = s;
    if (changed) void this.applyDevices();
  }

  update(state: SessionState | null): void {
    this.last = state;
    if (state?.agent && !this.zip) {
      this.zip = new ZipTone(this.container);
      void this.applyDevices();
    }
    const calls = state?.phase === 'signed-in' ? state.calls : [];
    const ringingIn = calls.some((c) => c.local === 'ringing-in');
    const active = calls.some((c) => c.local === 'active');
    const ringingOut = calls.some((c) => c.local === 'ringing-out');
    if (!this.primed && state?.phase === 'signed-in') {
      this.primed = true;
      for (const c of calls) if (c.local === 'ended') this.handled.add(c.callId);
    }
    this.noteRefused(calls);

    if (ringingIn && !active) this.ringtone.start();
    else this.ringtone.stop();

    let tone: ProgressTone | null = null;
    if (ringingIn && active) tone = 'waiting';
    else if (ringingOut && !active) tone = 'ringback';
    else if (!active && !ringingIn && Date.now() < this.busyUntil && calls.some((c) => c.callId === this.busyCallId)) tone = 'busy';
    if (tone) this.tones.play(tone);
    else this.tones.stop();
    // Exposed for diagnostics and tests: which progress tone is sounding now.
    this.container.dataset.progressTone = tone ?? '';
  }

  /** The core auto-answered a call here: the zip tone tells the agent a caller is on the line. */
  autoAnswered(): void {
    if (!this.zip) {
      this.zip = new ZipTone(this.container);
      void this.applyDevices();
    }
    this.zip.play();
    this.container.dataset.zipTones = String(this.zip.played);
  }

  dispose(): void {
    this.ringtone.stop();
    this.tones.stop();
    this.zip?.dispose();
    clearTimeout(this.busyTimer);
  }

  private noteRefused(calls: CallInfo[]): void {
    for (const c of calls) {
      // Only calls placed from this device that were refused (busy can come back at once, never ringing).
      if (c.local !== 'ended' || this.handled.has(c.callId)) continue;
      this.handled.add(c.callId);
      if (c.isOfferer && c.answeredAt === null && (c.outcome === 'busy' || c.outcome === 'declined')) {
        this.busyCallId = c.callId;
        this.busyUntil = Date.now() + BUSY_TONE_MS;
        clearTimeout(this.busyTimer);
        this.busyTimer = setTimeout(() => this.update(this.last), BUSY_TONE_MS + 10);
      }
    }
  }

  private async applyDevices(): Promise<void> {
    const s = this.settings;
    if (!s) return;
    const ringDevice = (await outputPresent(s.ringtoneDeviceId)) ? s.ringtoneDeviceId : '';
    const callDevice = (await outputPresent(s.outputDeviceId)) ? s.outputDeviceId : '';
    await Promise.all([this.ringtone.setDevice(ringDevice), this.tones.setOutput(callDevice), this.zip?.setDevice(callDevice)]);
  }
}
