/** Small PostgreSQL helpers of postgres.ts: case folding like SQLite, BIGINT parsing, error codes, URL redaction. */
import pg from 'pg';

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
/** ASCII-only case folding, exactly like SQLite's NOCASE collation and LIKE. */
export const fold = (expr: string) => `translate(${expr}, '${UPPER}', '${LOWER}')`;

/** PostgreSQL's type oid of BIGINT (int8). */
const INT8_OID = 20;
/** BIGINT (ms timestamps, counts) as JS numbers; every value we store is far below 2^53. */
export const TYPES = {
  getTypeParser: (oid: number, format?: 'text' | 'binary'): unknown =>
    oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? 'text'),
};

/** The URL without its password, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

export function pgCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? ((err as { code?: unknown }).code as string | undefined) : undefined;
}
