/**
 * The click-to-call page on a company's website (docs/support-line.md "Put the page on a
 * website"), in real Chromium: the server sends the page with the CSP the guide documents
 * (frame-ancestors from CALL_PAGE_FRAME_ANCESTORS, 'none' and DENY by default, 404 for a
 * queue that takes no web calls); the guide's iframe snippet on another origin shows the
 * page, whose microphone works in the frame only with `allow="microphone"`, and its popup
 * snippet opens the page in a window of its own. The page
 * passes axe, runs under its CSP without a refusal, and its name field is bounded.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { toneFile } from '../helpers/tones.js';
import { axeSeriousViolations } from '../harness/index.js';

let server: TestServer;
let site: http.Server;
let siteOrigin: string;
let browser: Browser;

/** The company's site: the guide's iframe snippet, with and without the microphone grant. */
function sitePage(callUrl: string, allow: boolean): string {
  return `<!doctype html><html lang="en"><title>Example Ltd</title><h1>Example Ltd support</h1>
<iframe src="${callUrl}" title="Call support" ${allow ? 'allow="microphone; autoplay"' : ''} width="440" height="600" style="border: 0"></iframe></html>`;
}

/** The guide's popup snippet, as a site pastes it. */
function popupPage(callUrl: string): string {
  return `<!doctype html><html lang="en"><title>Example Ltd</title>
<button type="button" id="call-support">Call support</button>
<script>
  document.getElementById('call-support').addEventListener('click', function () {
    var url = '${callUrl}';
    var popup = window.open(url, 'support-call', 'popup,width=440,height=640');
    if (!popup) window.location.href = url;
  });
</script></html>`;
}

const callUrl = () => `http://localhost:${new URL(server.url).port}/call/support`;

beforeAll(async () => {
  site = http.createServer((req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(req.url === '/popup' ? popupPage(callUrl()) : sitePage(callUrl(), req.url !== '/no-allow'));
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteOrigin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  server = await startTestServer({ callPageFrameAncestors: siteOrigin });
  await server.storage.queues.add({ id: 'support', name: 'Support', public: true });
  await server.storage.queues.add({ id: 'internal', name: 'Internal', public: false });
  browser = await launchChromium({ microphoneWav: toneFile(660) });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise((resolve) => site?.close(resolve));
});

describe('the call page on a website', () => {
  it('is sent with the documented CSP; frame-ancestors lists only the configured sites', async () => {
    const res = await fetch(`${server.url}/call/support`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain(`frame-ancestors ${siteOrigin}`);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self' ws: wss:");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-frame-options')).toBeNull();
    // The web softphone itself stays unframeable.
    const app = await fetch(`${server.url}/`);
    expect(app.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(app.headers.get('x-frame-options')).toBe('DENY');
    // A private or unknown queue: the page (which says so), as a 404.
    expect((await fetch(`${server.url}/call/internal`)).status).toBe(404);
    expect((await fetch(`${server.url}/call/no-such-queue`)).status).toBe(404);
    expect((await fetch(`${server.url}/call/NOT..valid`)).status).toBe(404);
  });

  it('by default no site may frame it', async () => {
    const plain = await startTestServer();
    try {
      const res = await fetch(`${plain.url}/call/support`);
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    } finally {
      await plain.stop();
    }
  });

  it('the iframe snippet shows the page on another origin; the microphone needs allow="microphone"', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${siteOrigin}/`);
      const frame = page.frameLocator('iframe[title="Call support"]');
      await frame.getByRole('heading', { level: 1 }).waitFor({ timeout: 15_000 });
      await frame.getByRole('textbox', { name: 'Your name (optional)' }).waitFor();
      const mic = async () =>
        page.frames()[1]!.evaluate(() =>
          navigator.mediaDevices.getUserMedia({ audio: true }).then(
            (s) => (s.getTracks().forEach((t) => t.stop()), 'granted'),
            (err: unknown) => (err instanceof Error ? err.name : String(err)),
          ),
        );
      expect(await mic()).toBe('granted');

      await page.goto(`${siteOrigin}/no-allow`);
      await frame.getByRole('heading', { level: 1 }).waitFor({ timeout: 15_000 });
      expect(await mic()).toBe('NotAllowedError');
    } finally {
      await context.close();
    }
  });

  it('the popup snippet opens the page in its own window, which keeps no handle on the site', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${siteOrigin}/popup`);
      const [popup] = await Promise.all([context.waitForEvent('page'), page.getByRole('button', { name: 'Call support' }).click()]);
      await popup.getByRole('textbox', { name: 'Your name (optional)' }).waitFor({ timeout: 15_000 });
      expect(popup.url()).toBe(callUrl());
      expect(await popup.evaluate(() => window.opener)).toBeNull();
    } finally {
      await context.close();
    }
  });

  it('passes axe, and the name field is labelled and bounded', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const refused: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) refused.push(m.text());
      });
      await page.goto(callUrl());
      const name = page.getByRole('textbox', { name: 'Your name (optional)' });
      await name.waitFor({ timeout: 15_000 });
      expect(await name.getAttribute('maxlength')).toBe('60');
      await page.getByTestId('queue-state').filter({ hasNotText: 'Checking the line…' }).waitFor({ timeout: 10_000 });
      // Everything the page needs is allowed by its strict CSP (before axe, which is injected).
      expect(refused).toEqual([]);
      const violations = await axeSeriousViolations(page);
      expect(violations, JSON.stringify(violations, null, 2)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
