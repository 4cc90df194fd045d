/**
 * A guest's name as agents see it (notification, incoming card, history). It comes from
 * anyone on the internet, so the server cleans it before it is signed into the token:
 * - invisible and control characters go (C0/C1 controls become spaces; bidi overrides,
 *   zero-width and other format characters, private-use and unassigned code points are
 *   dropped), so a name cannot reorder or hide the text around it;
 * - markup characters go (`< > & " \` \\ { }`); an apostrophe becomes a typographic one (’)
 *   so "O'Brien" survives without being a quote character;
 * - whitespace runs collapse to one space, the ends are trimmed;
 * - at most GUEST_NAME_MAX UTF-16 units (never splitting a character);
 * - nothing left: "Web caller".
 */

export const GUEST_NAME_MAX = 60;
export const DEFAULT_GUEST_NAME = 'Web caller';

const CONTROLS = /\p{Cc}/gu;
const INVISIBLE = /[\p{Cf}\p{Co}\p{Cn}\p{Cs}]/gu;
const MARKUP = /[<>&"`\\{}]/g;
const SPACES = /[\s\p{Zs}\p{Zl}\p{Zp}]+/gu;

export function sanitiseGuestName(raw: string | undefined): string {
  if (!raw) return DEFAULT_GUEST_NAME;
  const cleaned = raw
    .normalize('NFKC')
    .replace(CONTROLS, ' ')
    .replace(INVISIBLE, '')
    .replace(MARKUP, '')
    .replace(/'/g, '’')
    .replace(SPACES, ' ')
    .trim();
  let out = '';
  for (const ch of cleaned) {
    if (out.length + ch.length > GUEST_NAME_MAX) break;
    out += ch;
  }
  out = out.trim();
  return out === '' ? DEFAULT_GUEST_NAME : out;
}
