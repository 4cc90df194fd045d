/**
 * Files served by the `app://softphone/` protocol: only files inside the
 * built renderer folder, never outside it (no `..`, no encoded traversal,
 * no symlink escape), with a content type from a fixed table.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.opus': 'audio/ogg',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** Maps a URL path (`/assets/x.js`, `/` = index.html) to a file inside root, or null. */
export function resolveAssetPath(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const rel = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '');
  const base = path.resolve(root);
  const file = path.resolve(base, rel);
  if (file !== base && !file.startsWith(base + path.sep)) return null;
  return file;
}

export interface AssetResponse {
  status: number;
  body: Buffer | string;
  contentType: string;
}

/** Reads an asset for the protocol handler; symlinks pointing outside root are refused. */
export async function readAsset(root: string, urlPath: string): Promise<AssetResponse> {
  const notFound: AssetResponse = { status: 404, body: 'not found', contentType: 'text/plain; charset=utf-8' };
  const file = resolveAssetPath(root, urlPath);
  if (!file) return notFound;
  try {
    const [real, realRoot] = await Promise.all([fs.realpath(file), fs.realpath(root)]);
    if (!real.startsWith(realRoot + path.sep)) return notFound;
    const stat = await fs.stat(real);
    if (!stat.isFile()) return notFound;
    return { status: 200, body: await fs.readFile(real), contentType: contentTypeOf(real) };
  } catch {
    return notFound;
  }
}
