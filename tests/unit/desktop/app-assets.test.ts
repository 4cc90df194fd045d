import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentTypeOf, readAsset, resolveAssetPath } from '../../../src/main/node/app-assets.js';

let base: string;
let root: string;
beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'assets-'));
  root = path.join(base, 'renderer');
  fs.mkdirSync(path.join(root, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html>');
  fs.writeFileSync(path.join(root, 'assets', 'app-1.js'), 'console.log(1)');
  fs.writeFileSync(path.join(base, 'secret.txt'), 'secret');
  fs.symlinkSync(path.join(base, 'secret.txt'), path.join(root, 'assets', 'link.txt'));
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

describe('app:// assets', () => {
  it('serves files of the renderer build with their content type', async () => {
    expect(await readAsset(root, '/')).toMatchObject({ status: 200, contentType: 'text/html; charset=utf-8' });
    const js = await readAsset(root, '/assets/app-1.js');
    expect(js.status).toBe(200);
    expect(js.body.toString()).toBe('console.log(1)');
    expect(js.contentType).toBe('text/javascript; charset=utf-8');
    expect(contentTypeOf('x.unknown')).toBe('application/octet-stream');
  });

  it.each(['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/assets%2f..%2f..%2fsecret.txt', '/..%5csecret.txt', '/a%00b', '/%E0%A4%A'])(
    'refuses %s',
    async (p) => {
      expect((await readAsset(root, p)).status).toBe(404);
    },
  );

  it('refuses symlinks that leave the folder, directories and missing files', async () => {
    expect((await readAsset(root, '/assets/link.txt')).status).toBe(404);
    expect((await readAsset(root, '/assets')).status).toBe(404);
    expect((await readAsset(root, '/nope.js')).status).toBe(404);
    expect(resolveAssetPath(root, '/assets/app-1.js')).toBe(path.join(root, 'assets', 'app-1.js'));
  });
});
