/**
 * Call-progress tones and the ringtone.
 *
 * - Ringback, busy and call-waiting tones are synthesised with WebAudio and
 *   play on the call's output device (what the caller hears in the earpiece).
 * - The ringtone is an <audio> element (so it can be routed to a separate
 *   "ringtone" device, e.g. the laptop speaker while calls go to a headset).
 * - The zip tone (agent auto-answer) is one short beep, synthesised the same
 *   way and played through its own <audio> element routed to the call's
 *   output device, beside the remote party's audio. It is never mixed into
 *   the microphone, so the caller does not hear it.
 *
 * Cadences are scheduled on the audio clock far ahead, so hidden windows
 * (whose timers are throttled) still play them evenly.
 */
import { routeOutput } from './audio-devices.js';
import { log } from '../log.js';

export type ProgressTone = 'ringback' | 'busy' | 'waiting';

interface Cadence {
  frequencies: number[];
  /** On/off durations in seconds, repeated. */
  pattern: number[];
  gain: number;
}

// ETSI/ITU-T E.180 tones (425 Hz), the most widely used progress tones.
const CADENCES: Record<ProgressTone, Cadence> = {
  ringback: { frequencies: [425], pattern: [1, 4], gain: 0.12 },
  busy: { frequencies: [425], pattern: [0.5, 0.5], gain: 0.12 },
  waiting: { frequencies: [425], pattern: [0.2, 0.2, 0.2, 3.4], gain: 0.08 },
};

/** How far ahead cadences are scheduled, and how often the schedule is topped up. */
const SCHEDULE_AHEAD_S = 60;
const REFILL_MS = 20_000;

export class ToneGenerator {
  private ctx: AudioContext | null = null;
  private current: { tone: ProgressTone; stop: () => void } | null = null;
  private sinkId = '';

  get playing(): ProgressTone | null {
    return this.current?.tone ?? null;
  }

  async setOutput(deviceId: string): Promise<void> {
    this.sinkId = deviceId;
    const ctx = this.ctx;
    if (ctx?.setSinkId) await ctx.setSinkId(deviceId).catch(() => ctx.setSinkId?.('').catch(() => undefined));
  }

  play(tone: ProgressTone): void {
    if (this.current?.tone === tone) return;
    this.stop();
    const ctx = this.context();
    if (ctx.state !== 'running') void ctx.resume().catch(() => undefined);
    const cadence = CADENCES[tone];
    const gain = ctx.createGain();
    gain.gain.value = 0;
    gain.connect(ctx.destination);
    const oscillators = cadence.frequencies.map((f) => {
      const o = ctx.createOscillator();
      o.frequency.value = f;
      o.connect(gain);
      o.start();
      return o;
    });
    let scheduledUntil = ctx.currentTime + 0.02;
    const schedule = () => {
      const horizon = ctx.currentTime + SCHEDULE_AHEAD_S;
      while (scheduledUntil < horizon) {
        let on = true;
        for (const d of cadence.pattern) {
          // Short ramps avoid clicks at each edge.
          gain.gain.setTargetAtTime(on ? cadence.gain : 0, scheduledUntil, 0.005);
          scheduledUntil += d;
          on = !on;
        }
      }
    };
    schedule();
    const timer = setInterval(schedule, REFILL_MS);
    this.current = {
      tone,
      stop: () => {
        clearInterval(timer);
        gain.gain.cancelScheduledValues(0);
        gain.gain.value = 0;
        for (const o of oscillators) {
          o.stop();
          o.disconnect();
        }
        gain.disconnect();
      },
    };
  }

  stop(): void {
    this.current?.stop();
    this.current = null;
  }

  private context(): AudioContext {
    if (!this.ctx) {
      this.ctx = new AudioContext({ latencyHint: 'interactive' });
      if (this.sinkId) void this.setOutput(this.sinkId);
    }
    return this.ctx;
  }
}

/** The zip tone: one ~440 Hz beep of 200 ms, so an agent knows a caller is on the line. */
export const ZIP_TONE = { frequency: 440, seconds: 0.2, gain: 0.3 } as const;

/** Plays the zip tone into the call's output device (the same sink as the remote audio). */
export class ZipTone {
  readonly element: HTMLAudioElement;
  private readonly ctx: AudioContext;
  private readonly out: MediaStreamAudioDestinationNode;
  private deviceId = '';
  private count = 0;

  constructor(container: HTMLElement) {
    this.ctx = new AudioContext({ latencyHint: 'interactive' });
    this.out = this.ctx.createMediaStreamDestination();
    this.element = document.createElement('audio');
    this.element.dataset.testid = 'zip-tone';
    this.element.autoplay = true;
    this.element.srcObject = this.out.stream;
    container.append(this.element);
  }

  /** How many zip tones played (diagnostics and tests). */
  get played(): number {
    return this.count;
  }

  async setDevice(deviceId: string): Promise<void> {
    this.deviceId = deviceId;
    await routeOutput(this.element, deviceId);
  }

  play(): void {
    this.count++;
    const ctx = this.ctx;
    const start = (): void => {
      const t = ctx.currentTime + 0.01;
      const { frequency, seconds, gain: level } = ZIP_TONE;
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = frequency;
      gain.gain.setValueAtTime(0, t);
      // 5 ms ramps: a clean beep, no click at either edge.
      gain.gain.linearRampToValueAtTime(level, t + 0.005);
      gain.gain.setValueAtTime(level, t + seconds - 0.005);
      gain.gain.linearRampToValueAtTime(0, t + seconds);
      osc.connect(gain).connect(this.out);
      osc.onended = () => {
        osc.disconnect();
        gain.disconnect();
      };
      osc.start(t);
      osc.stop(t + seconds + 0.01);
    };
    void routeOutput(this.element, this.deviceId)
      .then(() => (ctx.state === 'running' ? undefined : ctx.resume()))
      .then(() => this.element.play())
      .catch((err: unknown) => log.warn('zip tone output could not start', err))
      .finally(start);
  }

  dispose(): void {
    this.element.remove();
    void this.ctx.close().catch(() => undefined);
  }
}

/** A short two-note ring, 0.4 s + 0.4 s then a pause, as a 16-bit mono WAV. */
export function ringtoneWav(sampleRate = 24_000): Blob {
  const seconds = 3;
  const n = sampleRate * seconds;
  const data = new DataView(new ArrayBuffer(44 + n * 2));
  const bursts: [number, number][] = [
    [0, 0.4],
    [0.6, 1.0],
  ];
  for (let i = 0; i < n; i++) {
    const t = i / sampleRate;
    const burst = bursts.find(([a, b]) => t >= a && t < b);
    let v = 0;
    if (burst) {
      // Soft attack and release so the ring is pleasant, not a square click.
      const edge = Math.min(t - burst[0], burst[1] - t);
      const env = Math.min(1, edge / 0.02);
      v = env * 0.35 * (Math.sin(2 * Math.PI * 523.25 * t) + Math.sin(2 * Math.PI * 659.25 * t));
    }
    data.setInt16(44 + i * 2, Math.max(-1, Math.min(1, v)) * 32767, true);
  }
  const ascii = (offset: number, s: string) => [...s].forEach((c, i) => data.setUint8(offset + i, c.charCodeAt(0)));
  ascii(0, 'RIFF');
  data.setUint32(4, 36 + n * 2, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  data.setUint32(16, 16, true);
  data.setUint16(20, 1, true);
  data.setUint16(22, 1, true);
  data.setUint32(24, sampleRate, true);
  data.setUint32(28, sampleRate * 2, true);
  data.setUint16(32, 2, true);
  data.setUint16(34, 16, true);
  ascii(36, 'data');
  data.setUint32(40, n * 2, true);
  return new Blob([data.buffer], { type: 'audio/wav' });
}

/** The incoming-call ringtone, on its own output device. */
export class Ringtone {
  readonly element: HTMLAudioElement;
  private deviceId = '';
  private wanted = false;

  constructor(container: HTMLElement) {
    this.element = document.createElement('audio');
    this.element.dataset.testid = 'ringtone';
    this.element.loop = true;
    this.element.preload = 'auto';
    this.element.src = URL.createObjectURL(ringtoneWav());
    container.append(this.element);
  }

  get playing(): boolean {
    return this.wanted;
  }

  async setDevice(deviceId: string): Promise<void> {
    this.deviceId = deviceId;
    await routeOutput(this.element, deviceId);
  }

  start(): void {
    if (this.wanted) return;
    this.wanted = true;
    this.element.currentTime = 0;
    void routeOutput(this.element, this.deviceId).finally(() => {
      if (!this.wanted) return;
      this.element.play().catch((err: unknown) => log.warn('ringtone could not play', err));
    });
  }

  /** Stops at once: called the moment the call leaves `ringing-in`. */
  stop(): void {
    this.wanted = false;
    this.element.pause();
    this.element.currentTime = 0;
  }
}
