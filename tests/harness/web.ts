/**
 * The web softphone: the renderer bundle served by the server at `/`, with
 * the core running inside the page. Each party gets its own Chromium process
 * with its own fake microphone tone.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.js';
import { TEST_PASSWORD } from '../helpers/server.js';
import { toneFile } from '../helpers/tones.js';
import { rendererUrl, type HarnessServer } from './urls.js';

export interface WebApp {
  username: string;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export interface WebOptions {
  toneHz?: number;
  /** Sign in through the login view (default true). */
  signIn?: boolean;
  width?: number;
  height?: number;
}

export async function openWeb(server: HarnessServer, username: string, opts: WebOptions = {}): Promise<WebApp> {
  const { toneHz = 660, signIn = true, width = 1000, height = 700 } = opts;
  await server.addUser(username);
  const browser = await launchChromium({ microphoneWav: toneFile(toneHz) });
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  await page.goto(rendererUrl(server));
  if (signIn) await signInThroughUi(page, username);
  return {
    username,
    browser,
    context,
    page,
    close: () => browser.close(),
  };
}

export async function signInThroughUi(page: Page, username: string, password = TEST_PASSWORD): Promise<void> {
  await page.getByRole('textbox', { name: 'Username' }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Contacts' }).waitFor({ timeout: 20_000 });
}
