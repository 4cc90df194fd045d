import { describe, expect, it } from 'vitest';
import { DEFAULT_GUEST_NAME, GUEST_NAME_MAX, sanitiseGuestName } from '../../../src/server/auth/guest-name.js';

describe('sanitiseGuestName', () => {
  it.each([
    ['Ann', 'Ann'],
    ['  Ann   Lee  ', 'Ann Lee'],
    ['Ann\u0000\u0007\u001B[31mLee', 'Ann [31mLee'],
    ['Ann\u202Eeel', 'Anneel'],
    ['A\u200Bn\u2060n\uFEFF', 'Ann'],
    ['<img src=x onerror=alert(1)>', 'img src=x onerror=alert(1)'],
    ['Tom & "Jerry" `x` \\ {y}', 'Tom Jerry x y'],
    ["O'Brien", 'O’Brien'],
    ['\uFF1Cb\uFF1E', 'b'],
    ['line\nbreak\r\ttab\u2028sep', 'line break tab sep'],
    ['\uE000private', 'private'],
  ])('%j → %j', (raw, clean) => {
    expect(sanitiseGuestName(raw)).toBe(clean);
  });

  it.each([undefined, '', '   ', '\u200B\u202E', '<>&"'])('%j → "Web caller"', (raw) => {
    expect(sanitiseGuestName(raw)).toBe(DEFAULT_GUEST_NAME);
  });

  it('caps at 60 UTF-16 units without splitting a character', () => {
    expect(sanitiseGuestName('x'.repeat(59) + '😀')).toBe('x'.repeat(59));
    expect(sanitiseGuestName('😀'.repeat(40))).toBe('😀'.repeat(30));
    const expanded = sanitiseGuestName('\uFDFA'.repeat(5));
    expect(expanded.length).toBeLessThanOrEqual(GUEST_NAME_MAX);
    expect(expanded).toBe(expanded.trim());
  });
});
