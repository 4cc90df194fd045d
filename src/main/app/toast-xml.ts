/**
 * Windows toast XML for our notices. Electron's `actions` option is macOS
 * only; on Windows buttons come from the toast's own XML, and a press is
 * reported through `Notification.handleActivation` with the button's
 * `arguments` string — which also works after the Notification object was
 * garbage collected or when the toast is clicked in the Action Center.
 * The incoming-call toast uses the `incomingCall` scenario: it stays on
 * screen, in front, until answered, declined or closed by the app.
 */
import type { Notice } from './ports.js';

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** The activation arguments we put on a toast and read back. */
export function toastArguments(tag: string, action: string): string {
  return new URLSearchParams({ tag, action }).toString();
}

export function parseToastArguments(args: string): { tag: string; action: string } | null {
  const p = new URLSearchParams(args);
  const tag = p.get('tag');
  const action = p.get('action');
  if (!tag || !action || tag.length > 128 || action.length > 64) return null;
  return { tag, action };
}

export function toastXml(notice: Notice): string {
  const scenario = notice.kind === 'incoming-call' ? ' scenario="incomingCall"' : '';
  const actions = notice.actions
    .map(
      (a) =>
        `<action content="${escapeXml(a.label)}" arguments="${escapeXml(toastArguments(notice.tag, a.key))}" activationType="foreground"/>`,
    )
    .join('');
  return (
    `<toast launch="${escapeXml(toastArguments(notice.tag, 'default'))}" activationType="foreground"${scenario}>` +
    `<visual><binding template="ToastGeneric"><text>${escapeXml(notice.title)}</text><text>${escapeXml(notice.body)}</text></binding></visual>` +
    (actions ? `<actions>${actions}</actions>` : '') +
    // The renderer plays the ringtone (chosen device, stops with the call): the toast stays silent.
    `<audio silent="true"/>` +
    `</toast>`
  );
}
