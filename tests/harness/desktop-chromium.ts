/**
 * Chromium for the headless desktop harness.
 *
 * Playwright's own launch turns on focus emulation for every page, which
 * keeps the page "visible" whatever happens to its window. The desktop app's
 * window really gets hidden and minimised, and the renderer must keep working
 * then, so this launcher starts Debian's Chromium itself and attaches with
 * `connectOverCDP({ noDefaults: true })`: in the default context no focus
 * emulation is applied, and minimising the window makes
 * `document.visibilityState === 'hidden'`, as in the real app.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { BASE_CHROMIUM_ARGS, chromiumPath } from '../helpers/chromium.js';

export interface DesktopChromium {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  process: ChildProcess;
  /** Minimises the page's window (the app window hidden to the tray). */
  hide(page?: Page): Promise<void>;
  /** Restores the page's window. */
  show(page?: Page): Promise<void>;
  /** Opens a page in a window of its own (e.g. the compact ringing window). */
  newWindow(url: string): Promise<Page>;
  close(): Promise<void>;
}

const DEVTOOLS_RE = /DevTools listening on (ws:\/\/\S+)/;

export async function launchDesktopChromium(opts: { microphoneWav?: string; width?: number; height?: number } = {}): Promise<DesktopChromium> {
  const { width = 1000, height = 700 } = opts;
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'softphone-desktop-'));
  const args = [
    ...BASE_CHROMIUM_ARGS,
    '--headless',
    '--remote-debugging-port=0',
    `--user-data-dir=${userDataDir}`,
    `--window-size=${width},${height}`,
    '--hide-scrollbars',
  ];
  if (opts.microphoneWav) args.push(`--use-file-for-fake-audio-capture=${opts.microphoneWav}`);
  args.push('about:blank');
  const proc = spawn(chromiumPath(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderrTail = '';
  const wsUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Chromium did not start within 30 s:\n${stderrTail}`)), 30_000);
    proc.once('exit', (code) => reject(new Error(`Chromium exited (${code}) before it was ready:\n${stderrTail}`)));
    // Keep draining stderr for the whole life of the process, or Chromium blocks on a full pipe.
    proc.stderr.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString()).slice(-4_000);
      const m = DEVTOOLS_RE.exec(stderrTail);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
  const browser = await chromium.connectOverCDP(wsUrl, { noDefaults: true, isLocal: true });
  const context = browser.contexts()[0]!;
  const page = context.pages()[0] ?? (await context.newPage());

  async function windowState(p: Page, windowState: 'minimized' | 'normal') {
    const cdp: CDPSession = await context.newCDPSession(p);
    try {
      const { windowId } = await cdp.send('Browser.getWindowForTarget');
      await cdp.send('Browser.setWindowBounds', { windowId, bounds: { windowState } });
    } finally {
      await cdp.detach().catch(() => undefined);
    }
  }

  return {
    browser,
    context,
    page,
    process: proc,
    hide: (p = page) => windowState(p, 'minimized'),
    show: (p = page) => windowState(p, 'normal'),
    async newWindow(url) {
      const cdp = await browser.newBrowserCDPSession();
      try {
        const created = context.waitForEvent('page');
        await cdp.send('Target.createTarget', { url: 'about:blank', newWindow: true, width: 420, height: 260 });
        const p = await created;
        await p.goto(url);
        return p;
      } finally {
        await cdp.detach().catch(() => undefined);
      }
    },
    async close() {
      const exited = new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) resolve();
        else proc.once('exit', () => resolve());
      });
      await browser.close().catch(() => undefined);
      // Browser.close ends Chromium; if it lingers, stop it.
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      proc.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
      fs.rmSync(userDataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    },
  };
}
