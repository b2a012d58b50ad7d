/**
 * The README's path with real processes: `suanli server --demo` and the `suanli` CLI, as a new user runs them; then
 * two server processes on one PostgreSQL, one of them killed mid-way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freshPostgresDatabase, postgresUrl } from '../helpers/databases.ts';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'suanli.js');
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts `suanli server` and resolves with its URL once the banner is printed. */
async function startServer(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [bin, 'server', '--port', '0', ...args], {
    cwd: root,
    env: { ...process.env, SUANLI_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /suanli API listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolvePromise({ url: match[1], child });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
}

function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill(signal);
  return exited;
}

describe('a new user’s first five minutes', () => {
  it('starts the demo, runs the example job to succeeded and shows its usage', async () => {
    const data = mkdtempSync(join(tmpdir(), 'suanli-e2e-'));
    const { url, child } = await startServer(['--demo', '--data', data]);
    const tokens = JSON.parse(readFileSync(join(data, 'demo-tokens.json'), 'utf8')) as Record<string, string>;
    expect(Object.keys(tokens).sort()).toEqual(['operator', 'provider-admin', 'tenant-admin', 'tenant-member']);
    const env = { SUANLI_URL: url, SUANLI_TOKEN: tokens['tenant-admin'] };

    // The same process serves the web console (built by the test setup) at / and for the console's own paths.
    for (const path of ['/', '/jobs/some-id']) {
      const page = await fetch(`${url}${path}`);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).toContain('<div id="root">');
    }

    const submitted = await cli(['submit', '-f', 'examples/hello-job.yaml', '--wait', '--json'], env);
    expect(submitted.stderr).toBe('');
    expect(submitted.code).toBe(0);
    const job = JSON.parse(submitted.stdout) as { id: string; state: string };
    expect(job.state).toBe('succeeded');

    const usage = await cli(['usage', '--json', '--job', job.id], env);
    expect(usage.code).toBe(0);
    const records = (JSON.parse(usage.stdout) as { items: Array<{ acceleratorSeconds: number; ph: string }> }).items;
    expect(records).toHaveLength(1);
    expect(records[0]!.acceleratorSeconds).toBeGreaterThanOrEqual(2);
    expect(Number(records[0]!.ph)).toBeGreaterThan(0);

    const table = await cli(['usage'], env);
    expect(table.stdout).toContain('H100-SXM');

    // A file of several jobs goes as one batch, queued in the file's order.
    const sweep = await cli(['submit', '-f', 'examples/sweep-jobs.yaml', '--wait', '--json'], env);
    expect(sweep.code, sweep.stderr).toBe(0);
    const swept = JSON.parse(sweep.stdout) as Array<{ name: string; state: string }>;
    expect(swept.map((j) => [j.name, j.state])).toEqual([
      ['sweep-lr-1e-4', 'succeeded'],
      ['sweep-lr-3e-4', 'succeeded'],
      ['sweep-lr-1e-3', 'succeeded'],
    ]);
    expect(await stop(child)).toBe(0);
    rmSync(data, { recursive: true, force: true });
  }, 60_000);
});

(postgresUrl() ? describe : describe.skip)('two server processes on one PostgreSQL', () => {
  it('run every job exactly once when the lease holder is killed', async () => {
    const databaseUrl = await freshPostgresDatabase(postgresUrl());
    const data = mkdtempSync(join(tmpdir(), 'suanli-e2e-two-'));
    const config = join(data, 'suanli.yaml');
    writeFileSync(config, 'loop:\n  intervalMs: 100\n  leaseTtlMs: 1000\n');
    const env = { SUANLI_DATABASE_URL: databaseUrl };
    const a = await startServer(['--demo', '--data', data, '--config', config], env);
    const b = await startServer(['--data', data, '--config', config], env);
    const token = (JSON.parse(readFileSync(join(data, 'demo-tokens.json'), 'utf8')) as Record<string, string>)[
      'tenant-admin'
    ];
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/yaml' };
    const spec = readFileSync(join(root, 'examples', 'hello-job.yaml'), 'utf8').replace('sleep 2', 'sleep 1');
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const response = await fetch(`${i % 2 ? b.url : a.url}/api/v1/jobs`, {
        method: 'POST',
        headers: { ...headers, 'idempotency-key': `e2e-${i}` },
        body: spec,
      });
      expect(response.status).toBe(201);
      ids.push(((await response.json()) as { id: string }).id);
    }
    const states = async () => {
      const response = await fetch(`${b.url}/api/v1/jobs?limit=100`, { headers });
      const body = (await response.json()) as { items: Array<{ id: string; state: string }> };
      return new Map(body.items.map((j) => [j.id, j.state]));
    };
    // Let some work start, then kill whichever process it is mid-flight; the other must finish everything.
    const deadline = Date.now() + 60_000;
    while ([...(await states()).values()].filter((s) => s !== 'pending').length < 4) {
      if (Date.now() > deadline) throw new Error('nothing started');
      await new Promise((r) => setTimeout(r, 50));
    }
    // A started first, so it holds the control lease: killing it takes the acting control loop away.
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    expect(metrics).toMatch(/suanli_control_loop_ticks_total\{leader="true"\} [1-9]/);
    await stop(a.child, 'SIGKILL');
    while ([...(await states()).values()].some((s) => s !== 'succeeded')) {
      if (Date.now() > deadline) throw new Error(`not all jobs succeeded: ${JSON.stringify([...(await states())])}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    // Each job reached an engine exactly once.
    const submitted: string[] = [];
    for (const cluster of readdirSync(join(data, 'engines'))) {
      const jobs = join(data, 'engines', cluster, 'jobs');
      for (const dir of readdirSync(jobs)) {
        // A folder without its request is a submit the killed process began and never finished: the engine ignores
        // it (its runner starts only after the request is written), so nothing ran there.
        const request = join(jobs, dir, 'request.json');
        if (!existsSync(request)) continue;
        submitted.push((JSON.parse(readFileSync(request, 'utf8')) as { jobId: string }).jobId);
      }
    }
    expect(submitted.sort()).toEqual([...ids].sort());
    expect(await stop(b.child)).toBe(0);
    rmSync(data, { recursive: true, force: true });
  }, 90_000);
});
