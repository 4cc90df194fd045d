import { describe, expect, it } from 'vitest';
import { ShortcutBinder } from '../../../src/main/app/shortcuts.js';

function port(taken: string[] = [], invalid: string[] = []) {
  const registered = new Map<string, () => void>();
  return {
    registered,
    register(acc: string, h: () => void) {
      if (invalid.includes(acc)) throw new TypeError(`conversion failure for ${acc}`);
      if (taken.includes(acc)) return false;
      registered.set(acc, h);
      return true;
    },
    unregister(acc: string) {
      registered.delete(acc);
    },
  };
}

describe('global shortcuts', () => {
  it('registers, re-registers on change and clears', () => {
    const p = port();
    const pressed: string[] = [];
    const b = new ShortcutBinder(p, { answer: () => pressed.push('answer'), hangup: () => pressed.push('hangup') });
    expect(b.apply({ answerShortcut: 'F8', hangupShortcut: 'F9' })).toEqual({ answer: 'registered', hangup: 'registered' });
    p.registered.get('F8')!();
    p.registered.get('F9')!();
    expect(pressed).toEqual(['answer', 'hangup']);
    b.apply({ answerShortcut: 'F8', hangupShortcut: 'F9' }); // unchanged: nothing happens
    b.apply({ answerShortcut: 'Alt+A', hangupShortcut: '' });
    expect([...p.registered.keys()]).toEqual(['Alt+A']);
    b.clear();
    expect(p.registered.size).toBe(0);
  });

  it('reports taken, invalid and duplicate accelerators without failing', () => {
    const p = port(['F1'], ['Bogus+Key']);
    const b = new ShortcutBinder(p, { answer() {}, hangup() {} });
    expect(b.apply({ answerShortcut: 'F1', hangupShortcut: 'Bogus+Key' })).toEqual({ answer: 'failed', hangup: 'failed' });
    expect(b.apply({ answerShortcut: 'F2', hangupShortcut: 'F2' })).toEqual({ answer: 'registered', hangup: 'failed' });
    expect([...p.registered.keys()]).toEqual(['F2']);
  });
});
