import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/server/auth/passwords.js';
import { parseConfig, configFromEnv } from '../../src/server/config.js';
import { turnCredentials } from '../../src/server/http/routes.js';
import { derivePresence } from '../../src/server/presence.js';
import { decodeCursor, encodeCursor } from '../../src/server/store/cursor.js';

describe('presence derivation', () => {
  it('follows offline > dnd > in call > set status', () => {
    expect(derivePresence('available', 0, false)).toBe('offline');
    expect(derivePresence('dnd', 1, true)).toBe('dnd');
    expect(derivePresence('available', 2, true)).toBe('busy');
    expect(derivePresence('away', 1, false)).toBe('away');
  });
});

describe('passwords', () => {
  it('hash with scrypt and verify', async () => {
    const h = await hashPassword('s3cret pass');
    expect(h).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword('s3cret pass', h)).toBe(true);
    expect(await verifyPassword('wrong', h)).toBe(false);
    expect(await verifyPassword('x', 'garbage')).toBe(false);
  });
});

describe('config', () => {
  it('reads the environment and reports bad values by variable name', () => {
    const c = parseConfig(configFromEnv({ PORT: '5000', DEMO: 'true', TURN_URLS: 'turn:a:3478, turn:b:3478' }));
    expect(c).toMatchObject({ port: 5000, demo: true, turnUrls: ['turn:a:3478', 'turn:b:3478'], ringTimeoutMs: 45_000 });
    expect(() => parseConfig(configFromEnv({ PORT: 'eighty' }))).toThrow(/PORT/);
  });
});

describe('TURN REST credentials', () => {
  it('are "expiry:user" with an HMAC-SHA1 password', () => {
    const { username, credential } = turnCredentials('secret', 'u1', 600, 1_000_000);
    expect(username).toBe('1600:u1');
    expect(credential).toBe('BGV3cgCytxOEGrvlheuQaLP4114=');
  });
});

describe('history cursor', () => {
  it('round-trips and rejects garbage', () => {
    const c = { endedAt: 123, id: 'abc-def' };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    expect(() => decodeCursor('!!!')).toThrow();
  });
});
