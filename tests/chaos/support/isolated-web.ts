/**
 * The web softphone (renderer bundle with the core in the page) in a Chromium
 * that runs inside an isolated network namespace (tests/helpers/isolated-network.ts).
 * It reaches the server across the veth link at `http://<hostAddress>:<port>`;
 * that origin is not `localhost`, so Chromium is told to treat it as a secure
 * context (getUserMedia needs one), as it would treat an https deployment.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { signInThroughUi, type WebApp } from '../../harness/index.js';
import { chromiumPath, launchChromium } from '../../helpers/chromium.js';
import type { IsolatedNetwork } from '../../helpers/isolated-network.js';
import { toneFile } from '../../helpers/tones.js';

export interface IsolatedWebApp extends WebApp {
  origin: string;
  /** Console lines of the page (media recovery steps log there), for failure messages. */
  consoleLines: string[];
}

export async function openIsolatedWeb(
  network: IsolatedNetwork,
  server: { port: number },
  username: string,
  { toneHz = 660, beforeLoad }: { toneHz?: number; beforeLoad?: (context: BrowserContext) => Promise<void> } = {},
): Promise<IsolatedWebApp> {
  const origin = `http://${network.hostAddress}:${server.port}`;
  const browser: Browser = await launchChromium({
    microphoneWav: toneFile(toneHz),
    executablePath: network.wrap(chromiumPath()),
    extraArgs: [`--unsafely-treat-insecure-origin-as-secure=${origin}`],
  });
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  await beforeLoad?.(context);
  const page: Page = await context.newPage();
  const consoleLines: string[] = [];
  page.on('console', (m) => consoleLines.push(`${new Date().toISOString()} ${m.type()}: ${m.text()}`));
  await page.goto(`${origin}/?rawAudio=1`);
  await signInThroughUi(page, username);
  return {
    username,
    browser,
    context,
    page,
    origin,
    consoleLines,
    close: () => browser.close(),
  };
}
