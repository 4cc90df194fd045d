import { startServer } from './src/server/app.ts';
const s = await startServer({ port: 4999, dataDir: '/tmp/tmp-srv-data', logLevel: 'silent', webRoot: '/tmp/nonexist' });
console.log('up', s.url);
