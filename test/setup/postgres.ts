/**
 * Vitest global setup: gives the store and API suites a PostgreSQL server to run against, beside PGlite.
 *
 * - SUANLI_TEST_DATABASE_URL set: use that server (CI starts Debian's PostgreSQL and sets it).
 * - Otherwise, if Debian's PostgreSQL binaries are installed, start a throwaway server in a temp folder on a free
 *   loopback port (as the `postgres` user when running as root, since postgres refuses to run as root).
 * - Otherwise the PostgreSQL variants are skipped with a warning; under CI=true that is an error instead.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import type {} from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

function findBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** postgres refuses to run as root: as root, run its programs as the `postgres` user (no wrapper, so signals reach it). */
function postgresIdentity(): { uid: number; gid: number } | Record<string, never> {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.SUANLI_TEST_DATABASE_URL;
  if (given) {
    project.provide('postgresUrl', given);
    return async () => {};
  }
  const bin = findBinDir();
  if (!bin) {
    const message =
      'PostgreSQL is not installed: the PostgreSQL variants of the store and API suites are skipped ' +
      '(apt-get install postgresql, or set SUANLI_TEST_DATABASE_URL).';
    if (process.env.CI === 'true') throw new Error(message);
    console.warn(`\n[suanli tests] ${message}\n`);
    project.provide('postgresUrl', '');
    return async () => {};
  }
  const identity = postgresIdentity();
  const dir = mkdtempSync(join(tmpdir(), 'suanli-pg-'));
  if ('uid' in identity) chownSync(dir, identity.uid, identity.gid);
  const data = join(dir, 'data');
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8'], {
    stdio: 'ignore',
    ...identity,
  });
  const port = await freePort();
  const server = spawn(
    join(bin, 'postgres'),
    [
      '-D',
      data,
      '-p',
      String(port),
      '-h',
      '127.0.0.1',
      '-k',
      dir,
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=200',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], ...identity },
  );
  let log = '';
  server.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const deadline = Date.now() + 30_000;
  while (!log.includes('ready to accept connections')) {
    if (server.exitCode !== null || Date.now() > deadline) throw new Error(`PostgreSQL did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  project.provide('postgresUrl', `postgres://postgres@127.0.0.1:${port}/postgres`);
  return async () => {
    // SIGINT is PostgreSQL's fast shutdown: it disconnects clients rather than waiting for them.
    if (server.exitCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGINT');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
}
