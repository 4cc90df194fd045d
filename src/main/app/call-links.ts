/**
 * `tel:` and `softphone:` links. The OS hands them to the app through
 * `open-url` (macOS) or the command line of a second instance (Windows,
 * Linux); both end up here. Anything that is not a clean target is
 * rejected: a link is untrusted input from any web page.
 */
import { normalizeUsername } from '../../shared/contract.js';
import { Username } from '../../shared/protocol/index.js';
import { CALL_LINK_SCHEMES } from './constants.js';

export type CallTarget =
  /** A user of this service: dialled directly. */
  | { kind: 'username'; target: string }
  /** A phone number (E.164 `+…` or a local number with * and #): handed to the UI. */
  | { kind: 'number'; target: string };

const MAX_LINK = 512;
/** RFC 3966 visual separators. */
const VISUAL_SEPARATORS = /[-.()\s]/g;
const NUMBER = /^\+?[0-9*#]{1,32}$/;

function decode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

function classify(raw: string, allowUsername: boolean): CallTarget | null {
  const value = raw.trim();
  if (!value) return null;
  const digits = value.replace(VISUAL_SEPARATORS, '');
  // A username made only of digits is still a number on a tel: link; a
  // softphone: link prefers the username when both readings are possible.
  if (allowUsername) {
    const username = normalizeUsername(value);
    if (Username.safeParse(username).success) return { kind: 'username', target: username };
  }
  if (NUMBER.test(digits) && /[0-9]/.test(digits)) return { kind: 'number', target: digits };
  return null;
}

/** Parses one link; null when it is not a call link or carries nothing dialable. */
export function parseCallLink(link: string): CallTarget | null {
  if (typeof link !== 'string' || link.length > MAX_LINK) return null;
  const m = /^([a-z][a-z0-9+.-]*):(.*)$/is.exec(link.trim());
  if (!m) return null;
  const scheme = m[1]!.toLowerCase();
  let rest = m[2]!;
  if (!(CALL_LINK_SCHEMES as readonly string[]).includes(scheme)) return null;

  if (scheme === 'tel') {
    // tel:+1-201-555-0123;ext=1 — parameters after ';' are not part of the number.
    const number = decode(rest.split(';')[0]!.replace(/^\/\//, ''));
    if (number === null) return null;
    const target = classify(number, false);
    // Tolerate tel:bob from address books that store usernames as numbers.
    return target ?? classify(number, true);
  }

  // softphone:bob, softphone://bob, softphone://call/bob, softphone:call?to=bob
  let query = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  rest = rest.split('#')[0]!.replace(/^\/\//, '').replace(/\/+$/, '');
  const to = new URLSearchParams(query).get('to');
  if (to !== null) return classify(to, true);
  if (rest.toLowerCase().startsWith('call/')) rest = rest.slice(5);
  if (rest.includes('/')) return null;
  const target = decode(rest);
  return target === null ? null : classify(target, true);
}

/** The first call link on a command line (second instance, cold start on Windows/Linux). */
export function findCallLink(argv: readonly string[]): CallTarget | null {
  for (const arg of argv) {
    if (typeof arg !== 'string' || arg.startsWith('-')) continue;
    const scheme = /^([a-z]+):/i.exec(arg)?.[1]?.toLowerCase();
    if (scheme && (CALL_LINK_SCHEMES as readonly string[]).includes(scheme)) return parseCallLink(arg);
  }
  return null;
}
