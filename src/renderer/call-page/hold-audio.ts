/**
 * Hold audio for a caller waiting in line: a gentle, repeating four-note phrase
 * synthesised with WebAudio in the page (no file to download, nothing from the server).
 * It plays through its own <audio> element (`data-testid="hold-audio"`), beside the
 * agent's audio and never into the microphone, and stops the moment the call is answered
 * or over. Notes are scheduled on the audio clock well ahead, so a background tab whose
 * timers are throttled still plays them evenly.
 */

/** G4, C5, D5, G5: soft sines, away from the frequencies the e2e tests use for voices. */
export const HOLD_NOTES_HZ = [392, 523.25, 587.33, 783.99] as const;
const NOTE_S = 0.55;
const PHRASE_GAP_S = 1.6;
const PHRASE_S = HOLD_NOTES_HZ.length * NOTE_S + PHRASE_GAP_S;
const GAIN = 0.08;
const SCHEDULE_AHEAD_S = 30;
const REFILL_MS = 10_000;

export class HoldAudio {
  private ctx: AudioContext | null = null;
  private out: MediaStreamAudioDestinationNode | null = null;
  private refill: ReturnType<typeof setInterval> | undefined;
  /** Audio-clock time up to which phrases are scheduled. */
  private scheduledUntil = 0;
  private readonly el: HTMLAudioElement;

  constructor(container: HTMLElement) {
    this.el = document.createElement('audio');
    this.el.dataset.testid = 'hold-audio';
    this.el.autoplay = true;
    container.append(this.el);
  }

  get playing(): boolean {
    return this.refill !== undefined;
  }

  /**
   * Creates the audio context inside the user's click (browsers let a page start audio only
   * after a gesture), so the hold audio can start later, when the call joins the line.
   */
  prime(): void {
    this.context();
  }

  start(): void {
    if (this.playing) return;
    const ctx = this.context();
    if (ctx.state !== 'running') void ctx.resume().catch(() => undefined);
    this.out = ctx.createMediaStreamDestination();
    this.el.srcObject = this.out.stream;
    void this.el.play().catch(() => undefined);
    this.scheduledUntil = ctx.currentTime + 0.1;
    this.schedule();
    this.refill = setInterval(() => this.schedule(), REFILL_MS);
    document.documentElement.dataset.holdAudio = 'playing';
  }

  stop(): void {
    if (!this.playing) return;
    clearInterval(this.refill);
    this.refill = undefined;
    this.out?.disconnect();
    this.out = null;
    this.el.srcObject = null;
    // Closing the context drops every scheduled note at once.
    void this.ctx?.close().catch(() => undefined);
    this.ctx = null;
    document.documentElement.dataset.holdAudio = 'stopped';
  }

  private context(): AudioContext {
    this.ctx ??= new AudioContext();
    return this.ctx;
  }

  private schedule(): void {
    const ctx = this.ctx;
    const out = this.out;
    if (!ctx || !out) return;
    while (this.scheduledUntil < ctx.currentTime + SCHEDULE_AHEAD_S) {
      const start = Math.max(this.scheduledUntil, ctx.currentTime);
      HOLD_NOTES_HZ.forEach((hz, i) => this.note(ctx, out, hz, start + i * NOTE_S));
      this.scheduledUntil = start + PHRASE_S;
    }
  }

  /** One soft note: quick fade in, long fade out (no clicks). */
  private note(ctx: AudioContext, out: AudioNode, hz: number, at: number): void {
    const osc = ctx.createOscillator();
    osc.type = 'sine';
    osc.frequency.value = hz;
    const gain = ctx.createGain();
    gain.gain.setValueAtTime(0, at);
    gain.gain.linearRampToValueAtTime(GAIN, at + 0.04);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + NOTE_S * 1.6);
    osc.connect(gain).connect(out);
    osc.start(at);
    osc.stop(at + NOTE_S * 1.7);
  }
}
