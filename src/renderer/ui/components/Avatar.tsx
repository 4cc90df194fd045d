import type { PresenceStatus } from '../../../shared/protocol/index.js';
import { initials } from '../../state/labels.js';

/** Initials in a colour derived from the name; an optional presence dot (decorative: presence is also in text). */
export function Avatar({ name, presence, size = 'md' }: { name: string; presence?: PresenceStatus; size?: 'sm' | 'md' | 'lg' }) {
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return (
    <span className={`avatar avatar-${size}`} data-hue={hash % 8} aria-hidden="true">
      {initials(name)}
      {presence && <span className={`presence-dot presence-${presence}`} />}
    </span>
  );
}
