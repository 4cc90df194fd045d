/**
 * The directory's queues (a support line): who can take a call now, how many callers wait, and
 * Call, which dials the queue through the same path as calling a person.
 */
import { useId } from 'react';
import type { DirectoryQueue } from '../../../shared/protocol/index.js';
import { queueAvailability } from '../../state/labels.js';
import { Avatar } from '../components/Avatar.js';
import { Icon } from '../components/Icon.js';

export function QueueList({ queues, onCall }: { queues: readonly DirectoryQueue[]; onCall: (queue: DirectoryQueue) => void }) {
  const titleId = useId();
  if (queues.length === 0) return null;
  return (
    <section className="queue-section" aria-labelledby={titleId}>
      <h2 id={titleId} className="list-heading">
        Queues
      </h2>
      <ul className="contact-list" aria-labelledby={titleId}>
        {queues.map((q) => (
          <li key={q.id} className="contact" data-queue={q.id}>
            <Avatar name={q.name} />
            <div className="contact-text">
              <span className="contact-name">{q.name}</span>
              <span className="contact-sub muted">{queueAvailability(q)}</span>
            </div>
            <button type="button" className="btn btn-call-soft btn-icon-text" aria-label={`Call ${q.name}`} onClick={() => onCall(q)}>
              <Icon name="phone" />
              <span aria-hidden="true">Call</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
