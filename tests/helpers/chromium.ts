/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser),
 * with a fake microphone playing a given WAV and WebRTC kept on loopback.
 */
import fs from 'node:fs';
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';

export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
    (p): p is string => !!p,
  );
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error('Chromium not found: run `npm run setup:test` (installs Debian chromium) or set CHROMIUM_PATH');
  return found;
}

export const BASE_CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
];

export interface LaunchChromiumOptions extends LaunchOptions {
  /** Absolute path of a 16-bit mono WAV played as the microphone. */
  microphoneWav?: string;
  extraArgs?: string[];
}

export async function launchChromium(opts: LaunchChromiumOptions = {}): Promise<Browser> {
  const { microphoneWav, extraArgs = [], ...rest } = opts;
  const args = [...BASE_CHROMIUM_ARGS, ...extraArgs];
  if (microphoneWav) args.push(`--use-file-for-fake-audio-capture=${microphoneWav}`);
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args, ...rest });
}
