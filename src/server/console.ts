/**
 * Serves the web console (console/dist, built by Vite) from the API server itself: no second server to run.
 * Files are read from disk on request; any other GET outside the API answers index.html, so the browser's router
 * owns paths like /jobs/abc. Paths under /api/ keep the API's problem+json 404.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ProblemError, sendProblem } from './problems.ts';

/** Where `npm run console:build` writes the console. */
export const DEFAULT_CONSOLE_DIR = resolve(import.meta.dirname, '..', '..', 'console', 'dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>suanli console not built</title>
<body style="font-family:sans-serif;max-width:40em;margin:3em auto"><h1>The console has not been built</h1>
<p>Run <code>npm run console:build</code> (or <code>npm run demo</code>, which builds it when needed), then reload.
The API is running: see <a href="/docs">/docs</a>.</p></body></html>`;

/** Paths the SPA fallback must leave alone: they belong to the API and its documents. */
const API_PREFIXES = ['/api/', '/docs', '/openapi.json', '/metrics', '/healthz', '/readyz'];

export function registerConsole(app: FastifyInstance, directory: string): void {
  const root = resolve(directory);
  const sendIndex = async (reply: FastifyReply) => {
    const index = join(root, 'index.html');
    if (!existsSync(index)) return reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT);
    // index.html names the hashed bundles: never cache it, or a rebuilt console loads stale scripts.
    return reply
      .type(TYPES['.html']!)
      .header('cache-control', 'no-cache')
      .send(await readFile(index));
  };

  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    let path: string;
    try {
      path = decodeURIComponent(request.url.split('?')[0] ?? '/');
    } catch {
      throw new ProblemError(400, 'invalid-request', 'the URL is not valid percent-encoding');
    }
    if (API_PREFIXES.some((prefix) => path.startsWith(prefix))) {
      return sendProblem(reply, request, new ProblemError(404, 'not-found', `no route GET ${request.url}`));
    }
    const file = normalize(join(root, path));
    if (file.startsWith(root + sep) && extname(file) !== '') {
      const info = await stat(file).catch(() => null);
      if (info?.isFile()) {
        const immutable = file.startsWith(join(root, 'assets') + sep);
        return reply
          .type(TYPES[extname(file)] ?? 'application/octet-stream')
          .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
          .send(await readFile(file));
      }
      // A missing asset is a 404, not the page: a browser would otherwise try to run HTML as a script.
      if (path.startsWith('/assets/')) {
        return sendProblem(reply, request, new ProblemError(404, 'not-found', `no file ${path}`));
      }
    }
    return sendIndex(reply);
  });
}
