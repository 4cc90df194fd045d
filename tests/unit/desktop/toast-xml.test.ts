import { describe, expect, it } from 'vitest';
import { incomingCallNotice } from '../../../src/main/app/incoming-call-alerts.js';
import { escapeXml, parseToastArguments, toastArguments, toastXml } from '../../../src/main/app/toast-xml.js';
import type { CallInfo } from '../../../src/shared/contract.js';

const call = { callId: 'c-1', peer: { id: 'u-b', username: 'bob', displayName: 'Bob "The <Builder>" & Sons' } } as CallInfo;

describe('Windows toast XML', () => {
  it('an incoming call is an incomingCall-scenario toast with Answer and Decline buttons', () => {
    const xml = toastXml(incomingCallNotice(call));
    expect(xml).toMatch(/^<toast launch="tag=call-c-1&amp;action=default" activationType="foreground" scenario="incomingCall">/);
    expect(xml).toContain('<text>Incoming call</text>');
    expect(xml).toContain('<text>Bob &quot;The &lt;Builder&gt;&quot; &amp; Sons (bob)</text>');
    expect(xml).toContain('<action content="Answer" arguments="tag=call-c-1&amp;action=answer" activationType="foreground"/>');
    expect(xml).toContain('<action content="Decline" arguments="tag=call-c-1&amp;action=decline" activationType="foreground"/>');
    expect(xml).toContain('<audio silent="true"/>');
    expect(xml).not.toMatch(/<Builder>/);
  });

  it('activation arguments round-trip and junk is refused', () => {
    expect(parseToastArguments(toastArguments('call-c-1', 'answer'))).toEqual({ tag: 'call-c-1', action: 'answer' });
    expect(parseToastArguments('')).toBeNull();
    expect(parseToastArguments('tag=x')).toBeNull();
    expect(parseToastArguments(`tag=${'x'.repeat(200)}&action=a`)).toBeNull();
    expect(escapeXml(`<'&">`)).toBe('&lt;&apos;&amp;&quot;&gt;');
  });

  it('a missed-calls toast has no call scenario', () => {
    const xml = toastXml({ tag: 'missed-1', kind: 'missed-calls', title: '2 missed calls', body: 'Bob, Carol', actions: [], urgency: 'normal', persistent: false });
    expect(xml).not.toContain('scenario=');
    expect(xml).not.toContain('<actions>');
  });
});
