/** How the server serves the built console: files, the SPA fallback, and what it must not serve. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerConsole } from '../../src/server/console.ts';
import { errorHandler } from '../../src/server/problems.ts';

function appFor(directory: string): FastifyInstance {
  const app = Fastify();
  app.setErrorHandler(errorHandler);
  app.get('/api/v1/whoami', async () => ({ id: 'x' }));
  registerConsole(app, directory);
  return app;
}

describe('the console file handler', () => {
  const parent = mkdtempSync(join(tmpdir(), 'suanli-console-'));
  const dist = join(parent, 'dist');
  let app: FastifyInstance;

  beforeAll(() => {
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(dist, 'assets', 'app-1234.js'), 'console.log(1)');
    writeFileSync(join(parent, 'secret.txt'), 'not for the web');
    app = appFor(dist);
  });
  afterAll(async () => {
    await app.close();
    rmSync(parent, { recursive: true, force: true });
  });

  it('serves index.html at / and for the browser router’s paths, never cached', async () => {
    for (const url of ['/', '/jobs/01HZX', '/tenants?x=1']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['cache-control']).toBe('no-cache');
      expect(response.body).toContain('<title>console</title>');
    }
  });

  it('serves hashed assets with a long cache life and the right type', async () => {
    const response = await app.inject({ method: 'GET', url: '/assets/app-1234.js' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(response.headers['cache-control']).toContain('immutable');
    expect(response.body).toBe('console.log(1)');
  });

  it('answers 404 for a missing asset and for unknown API paths, and keeps API routes', async () => {
    const asset = await app.inject({ method: 'GET', url: '/assets/gone.js' });
    expect(asset.statusCode).toBe(404);
    const api = await app.inject({ method: 'GET', url: '/api/v1/nope' });
    expect(api.statusCode).toBe(404);
    expect(api.headers['content-type']).toContain('application/problem+json');
    expect((await app.inject({ method: 'GET', url: '/api/v1/whoami' })).json()).toEqual({ id: 'x' });
  });

  it('never serves a file outside its folder', async () => {
    for (const url of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.body, url).not.toContain('not for the web');
    }
    expect((await app.inject({ method: 'GET', url: '/%E0%A4%A' })).statusCode).toBe(400);
  });

  it('says how to build the console when it has not been built', async () => {
    const empty = appFor(join(parent, 'missing'));
    const response = await empty.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(503);
    expect(response.body).toContain('npm run console:build');
    await empty.close();
  });
});
