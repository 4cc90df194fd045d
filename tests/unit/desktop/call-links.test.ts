import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { findCallLink, parseCallLink } from '../../../src/main/app/call-links.js';

describe('call links', () => {
  it.each([
    ['tel:+1-201-555-0123', { kind: 'number', target: '+12015550123' }],
    ['tel:+1 (201) 555.0123;ext=12', { kind: 'number', target: '+12015550123' }],
    ['TEL:7042', { kind: 'number', target: '7042' }],
    ['tel:%2B4930123456', { kind: 'number', target: '+4930123456' }],
    ['tel:*21#', { kind: 'number', target: '*21#' }],
    ['tel:bob', { kind: 'username', target: 'bob' }],
    ['softphone:bob', { kind: 'username', target: 'bob' }],
    ['softphone:Bob.Smith', { kind: 'username', target: 'bob.smith' }],
    ['softphone://bob', { kind: 'username', target: 'bob' }],
    ['softphone://call/bob/', { kind: 'username', target: 'bob' }],
    ['softphone:call?to=carol', { kind: 'username', target: 'carol' }],
    ['softphone://call?to=%2B15550100', { kind: 'number', target: '+15550100' }],
    ['softphone:4711', { kind: 'username', target: '4711' }],
  ])('%s', (link, expected) => {
    expect(parseCallLink(link)).toEqual(expected);
  });

  it.each([
    'https://example.com/',
    'mailto:bob@example.com',
    'javascript:alert(1)',
    'tel:',
    'tel:;ext=1',
    'tel:+',
    'tel:abc def',
    'softphone:',
    'softphone://call/a/b',
    'softphone:../../etc',
    'softphone:%E0%A4%A',
    'softphone:b',
    'softphone:<script>',
    `softphone:${'a'.repeat(600)}`,
    'no-scheme',
  ])('rejects %s', (link) => {
    expect(parseCallLink(link)).toBeNull();
  });

  it('never throws and only returns clean targets, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.constantFrom('tel:', 'softphone:', 'softphone://call/', ''), (s, prefix) => {
        const r = parseCallLink(prefix + s);
        if (r) expect(r.target).toMatch(r.kind === 'number' ? /^\+?[0-9*#]{1,32}$/ : /^[a-z0-9][a-z0-9._-]{1,31}$/);
      }),
    );
  });

  it('finds the link on a second instance command line and ignores flags', () => {
    expect(findCallLink(['/opt/Open Softphone/open-softphone', '--hidden', '--enable-features=X', 'softphone:bob'])).toEqual({
      kind: 'username',
      target: 'bob',
    });
    expect(findCallLink(['C:\\Program Files\\Open Softphone\\Open Softphone.exe', 'tel:+4930123'])).toEqual({ kind: 'number', target: '+4930123' });
    expect(findCallLink(['/usr/bin/electron', '/work/app', '--hidden'])).toBeNull();
    expect(findCallLink(['/usr/bin/electron', 'https://example.com'])).toBeNull();
  });
});
