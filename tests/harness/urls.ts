import type { TestServer } from '../helpers/server.js';

/**
 * The renderer as the test server serves it. `localhost` (not 127.0.0.1) is
 * what users type and is a secure context, so getUserMedia works.
 */
export function rendererUrl(server: TestServer, { rawAudio = true }: { rawAudio?: boolean } = {}): string {
  const port = new URL(server.url).port;
  return `http://localhost:${port}/${rawAudio ? '?rawAudio=1' : ''}`;
}
