import fs from 'node:fs';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { TrayIconState } from '../../../src/main/app/ports.js';
import { trayIconFile } from '../../../src/main/app/tray-model.js';

const STATES: TrayIconState[] = ['available', 'busy', 'dnd', 'away', 'reconnecting', 'offline'];

function png(file: string): { width: number; height: number; alphaSum: number; colours: Set<string> } {
  const buf = fs.readFileSync(file);
  expect(buf.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const width = buf.readUInt32BE(16);
  const height = buf.readUInt32BE(20);
  expect([buf[24], buf[25]]).toEqual([8, 6]); // 8-bit RGBA
  const idat: Buffer[] = [];
  for (let o = 8; o < buf.length; ) {
    const len = buf.readUInt32BE(o);
    if (buf.toString('ascii', o + 4, o + 8) === 'IDAT') idat.push(buf.subarray(o + 8, o + 8 + len));
    o += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  let alphaSum = 0;
  const colours = new Set<string>();
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * (width * 4 + 1) + 1 + x * 4;
      alphaSum += raw[i + 3]!;
      if (raw[i + 3]! > 200) colours.add(raw.subarray(i, i + 3).toString('hex'));
    }
  }
  return { width, height, alphaSum, colours };
}

describe('icons (scripts/make-icons.mjs)', () => {
  it('every tray state exists for every platform, at 1x and 2x, and states look different', () => {
    for (const platform of ['darwin', 'win32', 'linux']) {
      for (const dark of [false, true]) {
        const seen = new Set<string>();
        for (const icon of STATES) {
          for (const missed of [false, true]) {
            const file = `assets/tray/${trayIconFile({ icon, missed }, platform, dark)}`;
            const one = png(file);
            expect([one.width, one.height]).toEqual([16, 16]);
            expect(png(file.replace(/\.png$/, '@2x.png')).width).toBe(32);
            expect(one.alphaSum).toBeGreaterThan(0);
            seen.add(fs.readFileSync(file).toString('base64'));
          }
        }
        expect(seen.size).toBe(STATES.length * 2);
      }
    }
  });

  it('template images are black with alpha only (macOS tints them)', () => {
    const t = png('assets/tray/tray-busy-missedTemplate@2x.png');
    expect([...t.colours]).toEqual(['000000']);
  });

  it('the app icon is 512 px', () => {
    expect(png('assets/icon.png').width).toBe(512);
  });
});
