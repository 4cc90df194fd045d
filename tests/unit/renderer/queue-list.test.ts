/**
 * The directory's queues in the renderer: each shows who can take a call now and how many
 * wait, and its Call button dials the queue (rendered to HTML with react-dom/server; the click
 * handler is called as React would).
 */
import { createElement, type ReactElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { queueAvailability } from '../../../src/renderer/state/labels.js';
import { QueueList } from '../../../src/renderer/ui/views/QueueList.js';
import type { DirectoryQueue } from '../../../src/shared/protocol/index.js';

const support: DirectoryQueue = { id: 'support', name: 'Support', agentsLoggedIn: 3, agentsReady: 2, waiting: 1 };
const sales: DirectoryQueue = { id: 'sales', name: 'Sales', agentsLoggedIn: 0, agentsReady: 0, waiting: 0 };

describe('queue availability words', () => {
  it('agents ready of logged in, and the callers waiting when there are any', () => {
    expect(queueAvailability(support)).toBe('2 of 3 agents ready · 1 waiting');
    expect(queueAvailability({ agentsLoggedIn: 1, agentsReady: 0, waiting: 0 })).toBe('0 of 1 agent ready');
    expect(queueAvailability(sales)).toBe('No agents logged in');
    expect(queueAvailability({ ...sales, waiting: 4 })).toBe('No agents logged in · 4 waiting');
  });
});

describe('QueueList', () => {
  it('lists each queue with its figures and a Call button named for it', () => {
    const html = renderToStaticMarkup(createElement(QueueList, { queues: [support, sales], onCall: () => undefined }));
    expect(html).toContain('>Queues</h2>');
    expect(html).toContain('<span class="contact-name">Support</span><span class="contact-sub muted">2 of 3 agents ready · 1 waiting</span>');
    expect(html).toContain('aria-label="Call Sales"');
  });

  it('shows nothing when no queue matches', () => {
    expect(renderToStaticMarkup(createElement(QueueList, { queues: [], onCall: () => undefined }))).toBe('');
  });

  it('Call dials that queue', () => {
    const called: string[] = [];
    // The list's element tree, walked down to the buttons (what a click on each would run).
    const section = QueueListTree([support, sales], (q) => called.push(q.id));
    for (const button of findAll(section, 'button')) (button.props as { onClick: () => void }).onClick();
    expect(called).toEqual(['support', 'sales']);
  });
});

function QueueListTree(queues: DirectoryQueue[], onCall: (q: DirectoryQueue) => void): ReactElement {
  // QueueList uses useId: render it inside a minimal hook-capable call via react-dom/server first.
  let tree: ReactElement | null = null;
  const Capture = () => {
    tree = QueueList({ queues, onCall }) as ReactElement;
    return null;
  };
  renderToStaticMarkup(createElement(Capture));
  return tree!;
}

function findAll(node: unknown, type: string): ReactElement[] {
  if (!node || typeof node !== 'object') return [];
  if (Array.isArray(node)) return node.flatMap((n) => findAll(n, type));
  const el = node as ReactElement<{ children?: unknown }>;
  const own = el.type === type ? [el] : [];
  return [...own, ...findAll(el.props?.children, type)];
}
