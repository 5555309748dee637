/**
 * The dashboard the hub serves at `/`: the page, its scripts and stylesheet
 * from `web/`, and uPlot (the charts) from the `uplot` package itself, never
 * a CDN.
 *
 * Only the listed files are served (no path from the request ever reaches
 * the file system). They are read once, on first request, and kept in
 * memory.
 *
 * Content Security Policy: scripts, styles, connections and images from the
 * hub's own origin only; no inline script or `style` attribute in markup.
 * uPlot sizes its elements through the CSSOM (`element.style.width = …`),
 * which CSP does not govern, so `style-src 'self'` is enough. The page
 * writes every value from the network with `textContent`.
 */
import { readFile } from 'node:fs/promises';
import type { OutgoingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { NodeSseResponse } from '../../response/index.js';
import { sendBody } from '../../mercure/node-reply.js';

/** The `web/` folder of the package (next to `src/` and `dist/`). */
export const WEB_ROOT = new URL('../../../web/', import.meta.url);

const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
const SVG = 'image/svg+xml';

/** Where a served file comes from: a file of `web/`, or one of a package. */
type Source = { web: string } | { module: string };

/** Every path served, and its source and content type. */
const FILES = new Map<string, { source: Source; type: string }>(
  Object.entries({
    '/': { source: { web: 'index.html' }, type: HTML },
    '/index.html': { source: { web: 'index.html' }, type: HTML },
    '/style.css': { source: { web: 'style.css' }, type: CSS },
    '/favicon.svg': { source: { web: 'favicon.svg' }, type: SVG },
    '/app.js': { source: { web: 'app.js' }, type: JS },
    '/connection.js': { source: { web: 'connection.js' }, type: JS },
    '/dom.js': { source: { web: 'dom.js' }, type: JS },
    '/charts.js': { source: { web: 'charts.js' }, type: JS },
    '/prices.js': { source: { web: 'prices.js' }, type: JS },
    '/monitor.js': { source: { web: 'monitor.js' }, type: JS },
    '/notifications.js': { source: { web: 'notifications.js' }, type: JS },
    '/console.js': { source: { web: 'console.js' }, type: JS },
    '/connected.js': { source: { web: 'connected.js' }, type: JS },
    '/publish.js': { source: { web: 'publish.js' }, type: JS },
    '/vendor/uPlot.iife.min.js': { source: { module: 'uplot/dist/uPlot.iife.min.js' }, type: JS },
    '/vendor/uPlot.min.css': { source: { module: 'uplot/dist/uPlot.min.css' }, type: CSS },
  }),
);

/** The paths the web UI serves (for tests and docs). */
export const WEB_UI_PATHS: readonly string[] = [...FILES.keys()];

/**
 * The dashboard's Content Security Policy: everything from the hub's own
 * origin, nothing inline, no framing, no form posts (the page publishes with
 * `fetch`).
 */
export const WEB_UI_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS: OutgoingHttpHeaders = {
  'content-security-policy': WEB_UI_CSP,
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

const require = createRequire(import.meta.url);

/** The file URL of a source; throws when a package file cannot be resolved. */
function locate(source: Source): URL {
  if ('web' in source) return new URL(source.web, WEB_ROOT);
  return pathToFileURL(require.resolve(source.module));
}

/** Serves the page's files; `false` when `path` is not one of them. */
export function createWebUi(): (path: string, res: NodeSseResponse, head: boolean) => boolean {
  const cache = new Map<string, Promise<Buffer>>();
  return (path, res, head) => {
    const entry = FILES.get(path);
    if (entry === undefined) return false;
    let content = cache.get(path);
    if (content === undefined) {
      // A missing file (an install without `uplot`) rejects and is retried
      // on the next request.
      content = Promise.resolve().then(() => readFile(locate(entry.source)));
      cache.set(path, content);
    }
    content.then(
      (body) => {
        sendBody(res, 200, entry.type, body, SECURITY_HEADERS, head);
      },
      () => {
        cache.delete(path);
        sendBody(res, 404, 'text/plain; charset=utf-8', `web UI file not found: ${path}\n`);
      },
    );
    return true;
  };
}
