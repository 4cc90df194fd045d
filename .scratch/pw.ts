import { startTestServer } from '../tests/helpers/server.js';
import { openWeb } from '../tests/harness/index.js';
const server = await startTestServer();
const w = await openWeb(server, 'bob', { signIn: false });
console.log('password textbox count', await w.page.getByRole('textbox', { name: 'Password' }).count());
console.log('server textbox', await w.page.getByRole('textbox', { name: 'Server address' }).inputValue());
await w.close(); await server.stop();
