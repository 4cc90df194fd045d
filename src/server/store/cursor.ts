import { ProtocolError } from '../../shared/protocol/index.js';

/** Opaque history paging cursor: the last item's end time and id. */
export interface Cursor {
  endedAt: number;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(`${c.endedAt}:${c.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): Cursor {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const sep = text.indexOf(':');
  const endedAt = Number(text.slice(0, sep));
  const id = text.slice(sep + 1);
  if (sep < 1 || !Number.isSafeInteger(endedAt) || id.length === 0 || id.length > 64) {
    throw new ProtocolError('bad_request', 'invalid history cursor');
  }
  return { endedAt, id };
}

/** Where a page starts: after the cursor's item, or from the newest record. */
export function pageStart(cursor: string | undefined): Cursor {
  return cursor ? decodeCursor(cursor) : { endedAt: Number.MAX_SAFE_INTEGER, id: '\uffff' };
}
