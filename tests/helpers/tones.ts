/**
 * Fake-microphone fixtures: 16-bit mono PCM WAV files holding a sine tone, so
 * each party of a test call can be recognised at the far end by frequency.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ToneOptions {
  frequency: number;
  seconds?: number;
  sampleRate?: number;
  amplitude?: number;
  /** Seconds of silence appended after the tone. */
  silenceAfter?: number;
}

export function toneWav({ frequency, seconds = 30, sampleRate = 48_000, amplitude = 0.5, silenceAfter = 0 }: ToneOptions): Buffer {
  const toneSamples = Math.round(seconds * sampleRate);
  const total = toneSamples + Math.round(silenceAfter * sampleRate);
  const data = Buffer.alloc(total * 2);
  for (let i = 0; i < toneSamples; i++) {
    const v = Math.round(Math.sin((2 * Math.PI * frequency * i) / sampleRate) * amplitude * 32767);
    data.writeInt16LE(v, i * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8);
  header.write('fmt ', 12);
  header.writeUInt32LE(16, 16); // PCM chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** Writes (once per process) a tone WAV into the temp dir and returns its absolute path. */
export function toneFile(frequency: number, opts: Omit<ToneOptions, 'frequency'> = {}): string {
  const dir = path.join(os.tmpdir(), 'softphone-tones');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `tone-${frequency}-${opts.seconds ?? 30}-${opts.silenceAfter ?? 0}.wav`);
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, toneWav({ frequency, ...opts }));
    fs.renameSync(tmp, file);
  }
  return file;
}
