import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobState } from '../../src/core/domain.ts';
import { api, detail, event, fakeApi, job, run, tempDir, type FakeApi } from './helpers.ts';

const HELLO = join(import.meta.dirname, '../../examples/hello-job.yaml');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let fake: FakeApi | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('suanli submit', () => {
  it('sends the YAML as application/yaml with an Idempotency-Key and the token', async () => {
    fake = await fakeApi(() => ({ status: 201, json: job() }));
    const r = await run(['submit', '-f', HELLO], { env: api(fake) });

    expect(r).toMatchObject({ code: 0, stderr: '', stdout: 'job job-01hzx8k2m4 submitted (pending)\n' });
    const [req] = fake.requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/api/v1/jobs');
    expect(req?.headers['content-type']).toBe('application/yaml');
    expect(req?.headers['authorization']).toBe('Bearer tok-1');
    expect(req?.headers['idempotency-key']).toMatch(UUID);
    expect(req?.body).toBe(readFileSync(HELLO, 'utf8'));
  });

  it('retries once after a dropped connection with the same Idempotency-Key', async () => {
    fake = await fakeApi((_req, i) => (i === 0 ? 'drop' : { status: 200, json: job() }));
    const r = await run(['submit', '-f', HELLO], { env: api(fake) });

    expect(r.code).toBe(0);
    expect(fake.requests).toHaveLength(2);
    const [first, second] = fake.requests;
    expect(first?.headers['idempotency-key']).toMatch(UUID);
    expect(second?.headers['idempotency-key']).toBe(first?.headers['idempotency-key']);
    expect(second?.body).toBe(first?.body);
  });

  it('gives up after one retry', async () => {
    fake = await fakeApi(() => 'drop');
    const r = await run(['submit', '-f', HELLO], { env: api(fake) });
    expect(r.code).toBe(1);
    expect(fake.requests).toHaveLength(2);
    expect(r.stderr).toMatch(/^suanli: cannot reach http:\/\/127\.0\.0\.1:\d+: .+\n$/);
  });

  it('uses a new key per invocation, or the one given', async () => {
    fake = await fakeApi(() => ({ status: 201, json: job() }));
    await run(['submit', '-f', HELLO], { env: api(fake) });
    await run(['submit', '-f', HELLO], { env: api(fake) });
    await run(['submit', '-f', HELLO, '--idempotency-key', 'nightly-2025-01-31'], { env: api(fake) });
    const keys = fake.requests.map((r) => r.headers['idempotency-key']);
    expect(keys[0]).not.toBe(keys[1]);
    expect(keys[2]).toBe('nightly-2025-01-31');
  });

  it('picks the content type by extension, and sniffs standard input', async () => {
    fake = await fakeApi(() => ({ status: 201, json: job() }));
    const dir = tempDir();
    const jsonFile = join(dir, 'job.json');
    writeFileSync(jsonFile, '{"apiVersion":"suanli.io/v1"}');
    await run(['submit', '-f', jsonFile], { env: api(fake) });
    await run(['submit', '-f', '-'], { env: api(fake), stdin: '{"kind":"Job"}' });
    await run(['submit', '-f', '-'], { env: api(fake), stdin: 'kind: Job\n' });
    expect(fake.requests.map((r) => [r.headers['content-type'], r.body])).toEqual([
      ['application/json', '{"apiVersion":"suanli.io/v1"}'],
      ['application/json', '{"kind":"Job"}'],
      ['application/yaml', 'kind: Job\n'],
    ]);
  });

  it('prints the created job as JSON with --json', async () => {
    fake = await fakeApi(() => ({ status: 201, json: job() }));
    const r = await run(['submit', '-f', HELLO, '--json'], { env: api(fake) });
    expect(JSON.parse(r.stdout)).toEqual(job({ submittedAt: JSON.parse(r.stdout).submittedAt }));
  });

  it('reports a missing file in one line', async () => {
    fake = await fakeApi(() => ({ status: 201, json: job() }));
    const r = await run(['submit', '-f', 'no/such.yaml'], { env: api(fake) });
    expect(r).toMatchObject({ code: 1, stderr: 'suanli: cannot read no/such.yaml: no such file\n' });
    expect(fake.requests).toHaveLength(0);
  });
});

/** A server whose job moves one state per poll through `states`. */
async function progressingApi(states: JobState[], final: { exitCode?: number; reason?: string } = {}) {
  const created = job();
  let polls = 0;
  return fakeApi((req) => {
    if (req.method === 'POST') return { status: 201, json: created };
    const i = Math.min(polls++, states.length - 1);
    // One event per change of state; a repeated state is a poll that saw nothing new.
    const seen = states.slice(0, i + 1).filter((s, k, all) => k === 0 || all[k - 1] !== s);
    const events = seen.map((s, k) => event(seen[k - 1] ?? null, s, `to ${s}`));
    const last = i === states.length - 1;
    const state = states[i] ?? 'pending';
    return {
      json: detail(
        job({ state, ...(last ? { exitCode: final.exitCode ?? 0, reason: final.reason ?? null } : {}) }),
        events,
      ),
    };
  });
}

describe('suanli submit --wait / --watch', () => {
  it('--wait --json prints only the final job and exits 0 when it succeeded', async () => {
    fake = await progressingApi(['pending', 'admitted', 'running', 'succeeded']);
    const r = await run(['submit', '-f', HELLO, '--wait', '--json'], { env: api(fake) });

    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const final = JSON.parse(r.stdout);
    expect(final.state).toBe('succeeded');
    expect(final.events).toHaveLength(4);
    expect(fake.requests).toHaveLength(5);
    expect(fake.requests.filter((q) => q.method === 'GET').every((q) => q.path === '/api/v1/jobs/job-01hzx8k2m4')).toBe(
      true,
    );
  });

  it('--wait exits 1 with a one-line reason when the job failed', async () => {
    fake = await progressingApi(['pending', 'running', 'failed'], { exitCode: 3, reason: 'process exited with 3' });
    const r = await run(['submit', '-f', HELLO, '--wait', '--json'], { env: api(fake) });

    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).state).toBe('failed');
    expect(r.stderr).toBe('suanli: job job-01hzx8k2m4 failed (exit code 3): process exited with 3\n');
  });

  it('--watch prints one line per state change', async () => {
    fake = await progressingApi(['pending', 'pending', 'running', 'succeeded']);
    const r = await run(['submit', '-f', HELLO, '--watch'], { env: api(fake) });

    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('job job-01hzx8k2m4 submitted (pending)');
    expect(lines.slice(1).map((l) => l.replace(/^\d\d:\d\d:\d\d /, ''))).toEqual([
      '- → pending  to pending',
      'pending → running  to running',
      'running → succeeded  to succeeded',
    ]);
  });

  it('submits a file of several jobs as one batch, in order, and --wait follows them all', async () => {
    const dir = tempDir();
    const file = join(dir, 'sweep.yaml');
    const one = readFileSync(HELLO, 'utf8');
    writeFileSync(file, `${one}\n---\n${one.replace(/name: \S+/, 'name: second')}`);
    const ids = ['job-a', 'job-b'];
    fake = await fakeApi((req) => {
      if (req.method === 'POST') return { status: 201, json: { items: ids.map((id) => job({ id })) } };
      const id = req.path.split('/').at(-1)!;
      return { status: 200, json: detail(job({ id, state: id === 'job-a' ? 'succeeded' : 'failed' }), []) };
    });
    const r = await run(['submit', '-f', file, '--wait', '--idempotency-key', 'sweep-1'], { env: api(fake) });
    const [post] = fake.requests;
    expect(post?.path).toBe('/api/v1/jobs/batch');
    expect(post?.headers['content-type']).toBe('application/json');
    expect(post?.headers['idempotency-key']).toBe('sweep-1');
    const sent = JSON.parse(post!.body) as { jobs: Array<{ metadata: { name: string } }> };
    expect(sent.jobs.map((j) => j.metadata.name)).toEqual([expect.any(String), 'second']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('job job-a submitted (pending)\njob job-b submitted (pending)\n');
    expect(r.stderr).toBe('suanli: 1 of 2 jobs did not succeed: job-b failed\n');
  });

  it('names the job and the problem in a file of several with broken YAML, and sends nothing', async () => {
    const dir = tempDir();
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, `${readFileSync(HELLO, 'utf8')}\n---\nmetadata: [unclosed\n`);
    fake = await fakeApi(() => ({ status: 201, json: { items: [] } }));
    const r = await run(['submit', '-f', file], { env: api(fake) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/broken\.yaml: job 2 of 2: /);
    expect(fake.requests).toHaveLength(0);
  });
});
