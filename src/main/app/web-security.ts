/**
 * Security decisions for the windows, as pure functions: which IPC sender
 * is ours, which permission is granted, which link may leave the app, and
 * the Content-Security-Policy served with every page. platform/ wires them
 * into Electron's handlers; tests call them directly.
 */
import { APP_HOST, APP_SCHEME, EXTERNAL_LINK_ALLOWLIST } from './constants.js';

function parse(url: string | undefined | null): URL | null {
  if (typeof url !== 'string' || url.length === 0 || url.length > 8192) return null;
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * True for URLs of the app's own pages (`app://softphone/…`). Compared by
 * scheme and host: WHATWG URL gives custom schemes an opaque origin ("null")
 * outside Chromium, so `origin` cannot be compared.
 */
export function isAppUrl(url: string | undefined | null): boolean {
  const u = parse(url);
  return !!u && u.protocol === `${APP_SCHEME}:` && u.hostname === APP_HOST && !u.username && !u.password && !u.port;
}

export interface IpcSender {
  /** URL of the frame that sent the message (`event.senderFrame.url`); undefined when the frame is gone. */
  frameUrl: string | undefined;
  /** Only top-level frames of our pages talk to the host. */
  isMainFrame: boolean;
  /** `event.sender.id` */
  webContentsId: number;
}

/**
 * The IPC handler serves only our own windows showing our own pages: a
 * navigated-away or foreign webContents (devtools extension, a future
 * embedded view) gets nothing.
 */
export function isTrustedSender(sender: IpcSender, ourWebContentsIds: ReadonlySet<number>): boolean {
  return ourWebContentsIds.has(sender.webContentsId) && sender.isMainFrame && isAppUrl(sender.frameUrl);
}

export interface PermissionRequestDetails {
  requestingUrl?: string;
  isMainFrame?: boolean;
  /** For 'media': 'audio' (microphone) and/or 'video' (camera). */
  mediaTypes?: string[];
}

/** Permission *requests*: the microphone and speaker selection, for our pages only. */
export function allowPermissionRequest(permission: string, details: PermissionRequestDetails): boolean {
  if (!isAppUrl(details.requestingUrl)) return false;
  if (details.isMainFrame === false) return false;
  if (permission === 'media') {
    const types = details.mediaTypes ?? [];
    // An audio softphone: the microphone yes, the camera no.
    return types.length > 0 && types.every((t) => t === 'audio');
  }
  return permission === 'speaker-selection';
}

/** Permission *checks* (enumerateDevices labels, setSinkId…): same rule, by origin. */
export function allowPermissionCheck(permission: string, requestingOrigin: string, mediaType?: string): boolean {
  if (!isAppUrl(requestingOrigin)) return false;
  if (permission === 'media') return mediaType !== 'video';
  return permission === 'speaker-selection';
}

/** https links to our documentation open in the user's browser; nothing else leaves the app. */
export function isAllowedExternalUrl(url: string): boolean {
  const u = parse(url);
  if (!u || u.protocol !== 'https:' || u.username || u.password) return false;
  return EXTERNAL_LINK_ALLOWLIST.some((allowed) => {
    const a = new URL(allowed);
    if (u.origin !== a.origin) return false;
    const base = a.pathname.replace(/\/$/, '');
    return base === '' || u.pathname === base || u.pathname.startsWith(`${base}/`);
  });
}

/** Navigation inside a window: only to our own pages (e.g. the hash routes). */
export function isAllowedNavigation(url: string): boolean {
  return isAppUrl(url);
}

/**
 * Served with every page of the app protocol. The renderer reaches the host
 * through IPC only (no network from the page); media elements play
 * MediaStreams and blob: ringtones; React sets style attributes.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** Headers for every response of the app protocol. */
export function appResponseHeaders(contentType: string): Record<string, string> {
  return {
    'content-type': contentType,
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'cross-origin-opener-policy': 'same-origin',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  };
}
