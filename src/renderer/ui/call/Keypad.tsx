/** The DTMF keypad. Keys are named by their digit; letters are decoration. */
import { useEffect, useRef } from 'react';

const KEYS: [string, string][] = [
  ['1', ''],
  ['2', 'ABC'],
  ['3', 'DEF'],
  ['4', 'GHI'],
  ['5', 'JKL'],
  ['6', 'MNO'],
  ['7', 'PQRS'],
  ['8', 'TUV'],
  ['9', 'WXYZ'],
  ['*', ''],
  ['0', '+'],
  ['#', ''],
];

export function Keypad({ id, onDigit, disabled }: { id: string; onDigit: (d: string) => void; disabled?: boolean }) {
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => first.current?.focus(), []);
  return (
    <div id={id} role="group" aria-label="Keypad" className="keypad">
      {KEYS.map(([digit, letters], i) => (
        <button key={digit} ref={i === 0 ? first : undefined} type="button" className="key" onClick={() => onDigit(digit)} disabled={disabled}>
          <span className="key-digit">{digit}</span>
          <span className="key-letters" aria-hidden="true">
            {letters}
          </span>
        </button>
      ))}
    </div>
  );
}
