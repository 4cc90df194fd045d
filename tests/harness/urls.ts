import type { TestServer } from '../helpers/server.js';

/**
 * What the harness needs of a server: its URL and a way to create accounts.
 * An in-process `TestServer` has both; so does a server run as a child process
 * (tests/chaos), which a test can SIGKILL.
 */
export type HarnessServer = Pick<TestServer, 'url' | 'addUser'>;

/**
 * The renderer as the test server serves it. `localhost` (not 127.0.0.1) is
 * what users type and is a secure context, so getUserMedia works.
 */
export function rendererUrl(server: HarnessServer, { rawAudio = true }: { rawAudio?: boolean } = {}): string {
  const port = new URL(server.url).port;
  return `http://localhost:${port}/${rawAudio ? '?rawAudio=1' : ''}`;
}
