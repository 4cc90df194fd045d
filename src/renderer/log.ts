/**
 * The renderer's log. In a page the console is where logs go (devtools; the desktop
 * app's main process and the e2e harness collect the page's console messages), so
 * this is the one place in the renderer that writes to it; everything else logs
 * through `log`, which keeps `no-console` meaningful everywhere else.
 */
export interface RendererLog {
  warn(msg: string, err?: unknown): void;
  error(msg: string, err?: unknown): void;
}

/* eslint-disable no-console -- the sink itself */
export const log: RendererLog = {
  warn: (msg, err) => (err === undefined ? console.warn(msg) : console.warn(msg, err)),
  error: (msg, err) => (err === undefined ? console.error(msg) : console.error(msg, err)),
};
/* eslint-enable no-console */
