/**
 * The small page the hub serves at `/` (`web/index.html` and `web/app.js`):
 * subscribe and watch updates; publish in development mode.
 *
 * Only the listed files are served (no path from the request ever reaches
 * the file system). They are read once and kept in memory.
 */
import { readFile } from 'node:fs/promises';
import type { OutgoingHttpHeaders } from 'node:http';
import type { NodeSseResponse } from '../server/index.js';
import { sendBody } from './http-error.js';

/** The `web/` folder of the package (next to `src/` and `dist/`). */
export const WEB_ROOT = new URL('../../web/', import.meta.url);

const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
};

/** The page's own scripts and the hub only; inline styles for the one stylesheet. */
const SECURITY_HEADERS: OutgoingHttpHeaders = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** Serves the page's files; `false` when `path` is not one of them. */
export function createWebUi(): (path: string, res: NodeSseResponse, head: boolean) => boolean {
  const cache = new Map<string, Promise<Buffer>>();
  return (path, res, head) => {
    const entry = FILES[path];
    if (entry === undefined) return false;
    let content = cache.get(entry.file);
    if (content === undefined) {
      content = readFile(new URL(entry.file, WEB_ROOT));
      cache.set(entry.file, content);
    }
    content.then(
      (body) => {
        sendBody(res, 200, entry.type, body, SECURITY_HEADERS, head);
      },
      () => {
        cache.delete(entry.file);
        sendBody(res, 404, 'text/plain; charset=utf-8', 'web UI files not found\n');
      },
    );
    return true;
  };
}
