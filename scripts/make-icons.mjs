#!/usr/bin/env node
// Draws the app icon and every tray icon state into assets/ as PNG, in pure
// JavaScript (signed-distance shapes, 4×4 supersampling, zlib for PNG) —
// no image tools or extra dependencies. Re-run after changing a shape:
//   node scripts/make-icons.mjs
//
// Tray states (src/main/app/tray-model.ts → trayIconFile):
//   tray-<state>[-missed]-light.png / -dark.png (+ @2x)   Windows, Linux
//   tray-<state>[-missed]Template.png (+ @2x)              macOS (monochrome; the menu bar tints it)
// state ∈ available busy dnd away reconnecting offline; "-missed" adds the missed-call dot.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const OUT = path.resolve(process.argv[2] ?? 'assets');

// ───────────────────────────── PNG ─────────────────────────────
const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
export function encodePng(width, height, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    rgba.copy(raw, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ───────────────────────────── shapes (unit square, y down) ─────────────────────────────
const circle = (cx, cy, r) => (x, y) => Math.hypot(x - cx, y - cy) - r;
const ring = (cx, cy, r, half) => (x, y) => Math.abs(Math.hypot(x - cx, y - cy) - r) - half;
function capsule(ax, ay, bx, by, r) {
  return (x, y) => {
    const px = x - ax, py = y - ay, dx = bx - ax, dy = by - ay;
    const t = Math.max(0, Math.min(1, (px * dx + py * dy) / (dx * dx + dy * dy)));
    return Math.hypot(px - dx * t, py - dy * t) - r;
  };
}
/** Arc band around (cx, cy) between angles a0..a1 (radians, screen coords). */
function arcBand(cx, cy, r, half, a0, a1) {
  return (x, y) => {
    let a = Math.atan2(y - cy, x - cx);
    while (a < a0) a += 2 * Math.PI;
    if (a <= a1) return Math.abs(Math.hypot(x - cx, y - cy) - r) - half;
    // Outside the span: distance to the nearer end cap.
    const e0 = [cx + r * Math.cos(a0), cy + r * Math.sin(a0)];
    const e1 = [cx + r * Math.cos(a1), cy + r * Math.sin(a1)];
    return Math.min(Math.hypot(x - e0[0], y - e0[1]), Math.hypot(x - e1[0], y - e1[1])) - half;
  }
}
const union = (...fs) => (x, y) => Math.min(...fs.map((f) => f(x, y)));
const deg = (d) => (d * Math.PI) / 180;

/**
 * A telephone handset: earpiece top-left, mouthpiece bottom-right, joined
 * by a thick arc that bulges to the bottom-left; both pieces point inwards.
 */
function handset(scale = 1, ox = 0, oy = 0) {
  const cx = 0.8, cy = 0.2, r = 0.58, half = 0.085;
  const a0 = deg(94), a1 = deg(176); // from "down" (mouthpiece) to "left" (earpiece)
  const piece = (a) => {
    const ux = Math.cos(a), uy = Math.sin(a);
    return capsule(cx + ux * (r - 0.01), cy + uy * (r - 0.01), cx + ux * (r - 0.19), cy + uy * (r - 0.19), 0.115);
  };
  const shape = union(arcBand(cx, cy, r, half, a0, a1), piece(a0), piece(a1));
  return (x, y) => shape((x - ox) / scale, (y - oy) / scale) * scale;
}

// ───────────────────────────── rasteriser ─────────────────────────────
/** layers: [{ sdf, color: [r,g,b,a], erase?: boolean }], painted in order. */
function render(size, layers) {
  const ss = 4;
  const rgba = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0; // premultiplied accumulation over subsamples
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const x = (px + (sx + 0.5) / ss) / size, y = (py + (sy + 0.5) / ss) / size;
          let cr = 0, cg = 0, cb = 0, ca = 0;
          for (const l of layers) {
            if (l.sdf(x, y) > 0) continue;
            if (l.erase) { cr = cg = cb = ca = 0; continue; }
            const [lr, lg, lb, la] = l.color;
            cr = lr * la + cr * (1 - la); cg = lg * la + cg * (1 - la); cb = lb * la + cb * (1 - la); ca = la + ca * (1 - la);
          }
          r += cr; g += cg; b += cb; a += ca;
        }
      }
      const n = ss * ss, i = (py * size + px) * 4;
      a /= n;
      rgba[i] = a ? Math.round(r / n / a) : 0;
      rgba[i + 1] = a ? Math.round(g / n / a) : 0;
      rgba[i + 2] = a ? Math.round(b / n / a) : 0;
      rgba[i + 3] = Math.round(a * 255);
    }
  }
  return encodePng(size, size, rgba);
}

const hex = (h, a = 1) => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16), a];
const COLORS = { available: '#2fb344', busy: '#e5484d', dnd: '#e5484d', away: '#f5a524', reconnecting: '#f5a524', offline: '#8b8d98', missed: '#e5484d' };
const STATES = ['available', 'busy', 'dnd', 'away', 'reconnecting', 'offline'];
const BADGE = { cx: 0.79, cy: 0.79, r: 0.2 };
const DOT = { cx: 0.84, cy: 0.16, r: 0.15 };
const GAP = 0.06;
const WHITE = [255, 255, 255, 1];

function badgeLayers(state, template) {
  const { cx, cy, r } = BADGE;
  const cut = { sdf: circle(cx, cy, r + GAP), erase: true };
  const ink = template ? [0, 0, 0, 1] : hex(COLORS[state]);
  switch (state) {
    case 'available':
      return template ? [] : [cut, { sdf: circle(cx, cy, r), color: ink }];
    case 'busy':
      return [cut, { sdf: circle(cx, cy, r), color: ink }];
    case 'dnd':
      return [
        cut,
        { sdf: circle(cx, cy, r), color: ink },
        template ? { sdf: capsule(cx - r * 0.55, cy, cx + r * 0.55, cy, r * 0.2), erase: true } : { sdf: capsule(cx - r * 0.55, cy, cx + r * 0.55, cy, r * 0.2), color: WHITE },
      ];
    case 'away':
      // A clock: ring plus hands.
      return [cut, { sdf: ring(cx, cy, r * 0.8, r * 0.2), color: ink }, { sdf: union(capsule(cx, cy, cx, cy - r * 0.45, r * 0.14), capsule(cx, cy, cx + r * 0.35, cy, r * 0.14)), color: ink }];
    case 'reconnecting':
      // A spinner: three quarters of a ring.
      return [cut, { sdf: arcBand(cx, cy, r * 0.8, r * 0.2, deg(-90), deg(180)), color: ink }];
    case 'offline':
      return [cut, { sdf: ring(cx, cy, r * 0.8, r * 0.2), color: ink }, { sdf: capsule(cx - r * 0.5, cy + r * 0.5, cx + r * 0.5, cy - r * 0.5, r * 0.14), color: ink }];
  }
  return [];
}

function trayIcon(size, state, missed, variant) {
  const template = variant === 'template';
  const glyphColor = template ? [0, 0, 0, state === 'offline' ? 0.45 : 1] : variant === 'dark' ? hex('#f2f2f2', state === 'offline' ? 0.55 : 1) : hex('#202124', state === 'offline' ? 0.55 : 1);
  const layers = [{ sdf: handset(0.9, -0.02, 0.06), color: glyphColor }, ...badgeLayers(state, template)];
  if (missed) {
    layers.push({ sdf: circle(DOT.cx, DOT.cy, DOT.r + GAP), erase: true });
    layers.push({ sdf: circle(DOT.cx, DOT.cy, DOT.r), color: template ? [0, 0, 0, 1] : hex(COLORS.missed) });
  }
  return render(size, layers);
}

function roundedSquare(inset, radius) {
  return (x, y) => {
    const qx = Math.abs(x - 0.5) - (0.5 - inset - radius), qy = Math.abs(y - 0.5) - (0.5 - inset - radius);
    return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - radius;
  };
}

function appIcon(size) {
  return render(size, [
    { sdf: roundedSquare(0.06, 0.18), color: hex('#2563eb') },
    { sdf: handset(0.6, 0.16, 0.2), color: WHITE },
  ]);
}

function write(rel, png) {
  const file = path.join(OUT, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, png);
}

let count = 0;
for (const state of STATES) {
  for (const missed of [false, true]) {
    const stem = `tray/tray-${state}${missed ? '-missed' : ''}`;
    for (const variant of ['light', 'dark']) {
      write(`${stem}-${variant}.png`, trayIcon(16, state, missed, variant));
      write(`${stem}-${variant}@2x.png`, trayIcon(32, state, missed, variant));
      count += 2;
    }
    write(`${stem}Template.png`, trayIcon(16, state, missed, 'template'));
    write(`${stem}Template@2x.png`, trayIcon(32, state, missed, 'template'));
    count += 2;
  }
}
write('icon.png', appIcon(512));
count += 1;
if (process.env.MAKE_ICONS_PREVIEW) {
  // A large rendering of every state for eyeballing shapes: MAKE_ICONS_PREVIEW=/tmp/p node scripts/make-icons.mjs
  for (const state of STATES) {
    for (const variant of ['dark', 'light', 'template']) {
      const file = path.join(process.env.MAKE_ICONS_PREVIEW, `${state}-${variant}.png`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, trayIcon(96, state, state === 'busy', variant));
    }
  }
}
console.log(`make-icons: wrote ${count} PNG files to ${path.relative(process.cwd(), OUT) || '.'}`);
