import { createReadStream, existsSync, statSync } from 'node:fs';
import type http from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The web client's build (`web/`, built by `npm start` and `npm test`). */
export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/** Paths that belong to the server, never to the web client. */
const SERVER_PATHS = new Set(['/graphql', '/health', '/ready']);

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

// The app loads nothing from elsewhere; the policy makes that a rule the browser enforces.
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

function fileAt(root: string, pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  const path = normalize(join(root, decoded));
  if (!path.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  try {
    return statSync(path).isFile() ? path : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Serves the single-page app from `root` at `/`: files as they are (hashed `/assets/*` cached for a
 * year, everything else revalidated), and index.html for client routes such as `/@alice` or
 * `/search`. GraphQL, `/health` and `/ready` go to `next`, as does everything when there is no build.
 */
export function serveStaticFiles(root: string, next: http.RequestListener): http.RequestListener {
  const index = join(root, 'index.html');
  return (request, response) => {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    if (SERVER_PATHS.has(pathname) || (method !== 'GET' && method !== 'HEAD') || !existsSync(index))
      return next(request, response);

    const file = pathname === '/' ? index : fileAt(root, pathname);
    // A path with an extension names a file: missing means 404, not the app.
    const target = file ?? (extname(pathname) === '' ? index : undefined);
    if (!target) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found');
      return;
    }
    const immutable = target !== index && pathname.startsWith('/assets/');
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(target)] ?? 'application/octet-stream',
      'content-length': statSync(target).size,
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
      ...(target === index ? { 'content-security-policy': CONTENT_SECURITY_POLICY } : {}),
    });
    if (method === 'HEAD') return void response.end();
    createReadStream(target)
      .on('error', () => response.destroy())
      .pipe(response);
  };
}
