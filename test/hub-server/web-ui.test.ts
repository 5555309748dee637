/**
 * The dashboard's files as the hub serves them: the fixed list only, each
 * with its content type and the strict CSP; uPlot straight from the `uplot`
 * package; every script the page loads is on the list.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { WEB_ROOT, WEB_UI_CSP, WEB_UI_PATHS } from '../../src/hub-server/routes/web-ui.js';
import { startHub, type TestHub } from './helpers.js';

const require = createRequire(import.meta.url);

void describe('web UI', () => {
  let hub: TestHub;

  before(async () => {
    hub = await startHub({ anonymous: true });
  });

  after(async () => {
    await hub.close();
  });

  void it('serves every listed file with its type, the CSP and nosniff', async () => {
    const types: Record<string, RegExp> = {
      html: /^text\/html; charset=utf-8$/,
      js: /^text\/javascript; charset=utf-8$/,
      css: /^text\/css; charset=utf-8$/,
      svg: /^image\/svg\+xml$/,
    };
    for (const path of WEB_UI_PATHS) {
      const res = await fetch(`${hub.base}${path}`);
      assert.equal(res.status, 200, path);
      const extension = path === '/' ? 'html' : (path.split('.').pop() ?? '');
      assert.match(res.headers.get('content-type') ?? '', types[extension] ?? /^$/, path);
      assert.equal(res.headers.get('content-security-policy'), WEB_UI_CSP, path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
      assert.ok((await res.arrayBuffer()).byteLength > 0, path);
    }
  });

  void it('the CSP allows nothing inline and nothing from elsewhere', () => {
    assert.doesNotMatch(WEB_UI_CSP, /unsafe-inline|unsafe-eval|\*|https?:/);
    assert.match(WEB_UI_CSP, /default-src 'none'/);
    assert.match(WEB_UI_CSP, /script-src 'self';/);
    assert.match(WEB_UI_CSP, /style-src 'self';/);
    assert.match(WEB_UI_CSP, /connect-src 'self';/);
    assert.match(WEB_UI_CSP, /frame-ancestors 'none'/);
  });

  void it('serves uPlot from the installed package, byte for byte', async () => {
    for (const [path, file] of [
      ['/vendor/uPlot.iife.min.js', 'uplot/dist/uPlot.iife.min.js'],
      ['/vendor/uPlot.min.css', 'uplot/dist/uPlot.min.css'],
    ] as const) {
      const res = await fetch(`${hub.base}${path}`);
      assert.equal(res.status, 200);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), readFileSync(require.resolve(file)));
    }
  });

  void it('HEAD answers the headers without a body', async () => {
    const res = await fetch(`${hub.base}/style.css`, { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.ok(Number(res.headers.get('content-length')) > 0);
    assert.equal(await res.text(), '');
  });

  void it('nothing outside the list is served', async () => {
    for (const path of [
      '/web-ui.ts',
      '/vendor/',
      '/vendor/uPlot.esm.js',
      '/vendor/../package.json',
      '/%2e%2e/package.json',
      '/__proto__',
      '/constructor',
      '/toString',
      '/APP.JS',
    ]) {
      const res = await fetch(`${hub.base}${path}`);
      assert.equal(res.status, 404, path);
      await res.arrayBuffer();
    }
  });

  void it('every file the page and its modules load is on the list', () => {
    const served = new Set(WEB_UI_PATHS);
    const html = readFileSync(new URL('index.html', WEB_ROOT), 'utf8');
    const referenced = [...html.matchAll(/(?:src|href)="([^"#:]+)"/g)].map((m) => m[1] ?? '');
    for (const file of readdirSync(WEB_ROOT).filter((name) => name.endsWith('.js'))) {
      const text = readFileSync(new URL(file, WEB_ROOT), 'utf8');
      referenced.push(...[...text.matchAll(/from '\.\/([^']+)'/g)].map((m) => m[1] ?? ''));
      assert.ok(served.has(`/${file}`), `web/${file} is served`);
    }
    // Relative links of the page that are not hub routes.
    const routes = new Set(['metrics', 'healthz', 'dev-tokens.json']);
    for (const reference of referenced.filter((r) => !routes.has(r))) {
      assert.ok(served.has(`/${reference.replace(/^\.\//, '')}`), `${reference} is served`);
    }
  });

  void it('the page writes network values with textContent, never as HTML', () => {
    for (const file of readdirSync(WEB_ROOT).filter((name) => name.endsWith('.js'))) {
      const text = readFileSync(new URL(file, WEB_ROOT), 'utf8');
      assert.doesNotMatch(
        text,
        /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/,
        file,
      );
    }
  });
});
