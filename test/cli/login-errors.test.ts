import { readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { api, fakeApi, job, run, tempDir, type FakeApi } from './helpers.ts';

let fake: FakeApi | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const WHOAMI = { id: 'u-1', name: 'alice', role: 'tenant-admin', tenantId: 'tenant-hf', providerId: null };

describe('suanli login', () => {
  it('checks the token with whoami and saves url and token with mode 0600', async () => {
    fake = await fakeApi((req) => ({ json: req.path.endsWith('/whoami') ? WHOAMI : { items: [] } }));
    const xdg = join(tempDir(), 'cfg');
    const r = await run(['login', '--url', fake.url, '--token', 'tok-alice'], { env: { XDG_CONFIG_HOME: xdg } });

    expect(r).toEqual({ code: 0, stdout: `Logged in to ${fake.url} as alice (tenant-admin)\n`, stderr: '' });
    expect(fake.requests[0]).toMatchObject({ method: 'GET', path: '/api/v1/whoami' });
    expect(fake.requests[0]?.headers['authorization']).toBe('Bearer tok-alice');
    const file = join(xdg, 'suanli', 'config.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ url: fake.url, token: 'tok-alice' });
    expect(statSync(file).mode & 0o777).toBe(0o600);

    // Later commands use the saved login.
    const ls = await run(['jobs', 'ls'], { env: { XDG_CONFIG_HOME: xdg } });
    expect(ls.code).toBe(0);
    expect(fake.requests[1]?.headers['authorization']).toBe('Bearer tok-alice');
  });

  it('reads the token from stdin with --token-stdin and tightens an existing file', async () => {
    fake = await fakeApi(() => ({ json: WHOAMI }));
    const xdg = tempDir();
    mkdirSync(join(xdg, 'suanli'));
    writeFileSync(join(xdg, 'suanli', 'config.json'), '{}', { mode: 0o644 });
    const r = await run(['login', '--url', fake.url, '--token-stdin'], {
      env: { XDG_CONFIG_HOME: xdg },
      stdin: 'tok-from-stdin\n',
    });
    expect(r.code).toBe(0);
    expect(fake.requests[0]?.headers['authorization']).toBe('Bearer tok-from-stdin');
    expect(statSync(join(xdg, 'suanli', 'config.json')).mode & 0o777).toBe(0o600);
  });

  it('saves nothing when the server rejects the token', async () => {
    fake = await fakeApi(() => ({
      status: 401,
      json: { type: '/problems/unauthorized', title: 'Unauthorized', status: 401, detail: 'unknown token' },
    }));
    const xdg = tempDir();
    const r = await run(['login', '--url', fake.url, '--token', 'bad'], { env: { XDG_CONFIG_HOME: xdg } });
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'suanli: Unauthorized: unknown token\n' });
    expect(() => statSync(join(xdg, 'suanli', 'config.json'))).toThrow();
  });
});

describe('errors', () => {
  it('turns a problem+json with field errors into one line naming the fields, exit 1', async () => {
    fake = await fakeApi(() => ({
      status: 400,
      json: {
        type: '/problems/invalid-job-spec',
        title: 'Bad request',
        status: 400,
        detail: 'invalid job spec',
        errors: [
          { field: 'spec.resources.nodes', message: 'must be >= 1' },
          { field: 'spec.timeLimit', message: 'is required' },
        ],
      },
    }));
    const r = await run(['submit', '-f', join(import.meta.dirname, '../../examples/bad-job.yaml')], {
      env: api(fake),
    });
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'suanli: Bad request: invalid job spec (spec.resources.nodes: must be >= 1; spec.timeLimit: is required)\n',
    });
  });

  it('reports a key reused with another spec (409)', async () => {
    fake = await fakeApi(() => ({
      status: 409,
      json: { title: 'Conflict', status: 409, detail: 'Idempotency-Key k1 was used with a different spec' },
    }));
    const r = await run(['submit', '-f', '-', '--idempotency-key', 'k1'], { env: api(fake), stdin: 'kind: Job' });
    expect(r.stderr).toBe('suanli: Conflict: Idempotency-Key k1 was used with a different spec\n');
    expect(r.code).toBe(1);
  });

  it('falls back to the status line for an error that is not problem+json', async () => {
    fake = await fakeApi(() => ({ status: 502, text: '<html>bad gateway</html>', contentType: 'text/html' }));
    const r = await run(['clusters'], { env: api(fake) });
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'suanli: Bad Gateway\n' });
  });

  it('says how to log in when there is no token', async () => {
    fake = await fakeApi(() => ({ json: { items: [] } }));
    const r = await run(['jobs', 'ls'], { env: { SUANLI_URL: fake.url } });
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'suanli: not logged in: run suanli login or set SUANLI_TOKEN\n' });
    expect(fake.requests).toHaveLength(0);
  });

  it('says the server is not running when the connection is refused', async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));

    const url = `http://127.0.0.1:${port}`;
    const r = await run(['jobs', 'get', 'job-1'], { env: { SUANLI_URL: url, SUANLI_TOKEN: 't' } });
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `suanli: cannot reach ${url}: is the server running? (suanli server --demo)\n`,
    });
  });

  it('exits 2 on wrong usage with one line', async () => {
    const r = await run(['submit']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("suanli: required option '-f, --file <file>' not specified\n");
    const unknown = await run(['jbos']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^suanli: unknown command 'jbos' \(Did you mean jobs\?\)\n$/);
  });

  it('exits 0 for --help and --version', async () => {
    expect((await run(['--help'])).code).toBe(0);
    const v = await run(['--version']);
    expect(v).toMatchObject({ code: 0, stdout: '0.1.0\n' });
  });

  it('does not send a saved token to another server', async () => {
    fake = await fakeApi(() => ({ json: { items: [job()] } }));
    const xdg = tempDir();
    mkdirSync(join(xdg, 'suanli'));
    writeFileSync(
      join(xdg, 'suanli', 'config.json'),
      JSON.stringify({ url: 'http://elsewhere:8080', token: 'secret' }),
    );
    const r = await run(['jobs', 'ls', '--url', fake.url], { env: { XDG_CONFIG_HOME: xdg } });
    expect(r.stderr).toBe('suanli: not logged in: run suanli login or set SUANLI_TOKEN\n');
    expect(fake.requests).toHaveLength(0);
  });
});
