import { afterEach, describe, expect, it } from 'vitest';
import { api, detail, event, fakeApi, job, run, type FakeApi } from './helpers.ts';

let fake: FakeApi | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const LONG_REASON =
  'no pool can take it now: H100-SXM pools have 4 free accelerators, the job needs 16 on 2 nodes together';

describe('suanli jobs ls', () => {
  it('prints a table with full ids, relative times and truncated reasons', async () => {
    const items = [
      job({ id: 'job-01hzx8k2m4aaaa', reason: LONG_REASON }),
      job({
        id: 'job-01hzx8k2m4bbbb',
        name: 'gang-demo',
        state: 'running',
        clusterName: 'hefei-a',
        submittedAt: new Date(Date.now() - 2 * 3600_000).toISOString(),
      }),
    ];
    fake = await fakeApi(() => ({ json: { items } }));
    const r = await run(['jobs', 'ls', '--state', 'pending,running', '--limit', '10'], { env: api(fake) });

    expect(r.code).toBe(0);
    expect(fake.requests[0]?.path).toBe('/api/v1/jobs');
    expect(Object.fromEntries(fake.requests[0]?.query ?? [])).toEqual({ state: 'pending,running', limit: '10' });

    const [header, first, second] = r.stdout.trimEnd().split('\n');
    expect(header?.split(/\s{2,}/)).toEqual(['ID', 'NAME', 'PROJECT', 'STATE', 'CLUSTER', 'SUBMITTED', 'REASON']);
    expect(first?.split(/\s{2,}/).slice(0, 6)).toEqual([
      'job-01hzx8k2m4aaaa',
      'hello',
      'demo',
      'pending',
      '-',
      '3m ago',
    ]);
    const reason = first?.slice(header?.indexOf('REASON'));
    expect(reason?.length).toBe(40);
    expect(reason?.endsWith('…')).toBe(true);
    expect(LONG_REASON.startsWith(reason?.slice(0, -1) ?? '?')).toBe(true);
    expect(second?.split(/\s{2,}/)).toEqual([
      'job-01hzx8k2m4bbbb',
      'gang-demo',
      'demo',
      'running',
      'hefei-a',
      '2h ago',
    ]);
    // Columns line up: every row has its STATE where the header has it.
    expect(first?.indexOf('pending')).toBe(header?.indexOf('STATE'));
    expect(second?.indexOf('running')).toBe(header?.indexOf('STATE'));
  });

  it('prints the API response with --json', async () => {
    const body = { items: [job()] };
    fake = await fakeApi(() => ({ json: body }));
    const r = await run(['jobs', 'ls', '--json'], { env: api(fake) });
    expect(JSON.parse(r.stdout)).toEqual(body);
    expect(r.stdout).toBe(JSON.stringify(body, null, 2) + '\n');
  });

  it('rejects an unknown state as a usage error (exit 2) before calling the API', async () => {
    fake = await fakeApi(() => ({ json: { items: [] } }));
    const r = await run(['jobs', 'ls', '--state', 'runing'], { env: api(fake) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^suanli: .*unknown state "runing"/);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(fake.requests).toHaveLength(0);
  });

  it('takes the global options after the subcommand too', async () => {
    fake = await fakeApi(() => ({ json: { items: [] } }));
    const r = await run(['jobs', 'ls', '--url', fake.url, '--token', 'tok-x'], { env: {} });
    expect(r).toMatchObject({ code: 0, stdout: 'No jobs.\n' });
    expect(fake.requests[0]?.headers['authorization']).toBe('Bearer tok-x');
  });
});

describe('suanli jobs get / cancel / logs', () => {
  it('shows why a pending job waits, its resources and its history', async () => {
    const j = job({ reason: 'no H100-SXM pool has 1 free accelerator' });
    fake = await fakeApi(() => ({ json: detail(j, [event(null, 'pending', 'submitted')]) }));
    const r = await run(['jobs', 'get', j.id], { env: api(fake) });

    expect(r.code).toBe(0);
    expect(fake.requests[0]?.path).toBe(`/api/v1/jobs/${j.id}`);
    expect(r.stdout).toMatch(/^State: +pending$/m);
    expect(r.stdout).toMatch(/^Waiting: +no H100-SXM pool has 1 free accelerator$/m);
    expect(r.stdout).toMatch(/^ {2}Accelerators: +1 \(1 node × 1\)$/m);
    expect(r.stdout).toMatch(/^ {2}Model: +H100-SXM$/m);
    expect(r.stdout).toMatch(/^ {2}Time limit: +5m$/m);
    expect(r.stdout).toMatch(/^TIME +FROM +TO +REASON +ACTOR$/m);
    expect(r.stdout).toMatch(/ - +pending +submitted +scheduler$/m);
  });

  it('reports a job it cannot see as one line, exit 1', async () => {
    fake = await fakeApi(() => ({
      status: 404,
      json: { type: '/problems/not-found', title: 'Not found', status: 404, detail: 'job job-x not found' },
    }));
    const r = await run(['jobs', 'get', 'job-x'], { env: api(fake) });
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'suanli: Not found: job job-x not found\n' });
  });

  it('cancels', async () => {
    fake = await fakeApi(() => ({ status: 202, json: job({ state: 'running', cancelRequested: true }) }));
    const r = await run(['jobs', 'cancel', 'job-01hzx8k2m4'], { env: api(fake) });
    expect(fake.requests[0]).toMatchObject({ method: 'POST', path: '/api/v1/jobs/job-01hzx8k2m4/cancel' });
    expect(r.stdout).toBe('job job-01hzx8k2m4 cancellation requested (running)\n');
  });

  it('prints the tail of the logs', async () => {
    fake = await fakeApi(() => ({ text: 'done\n' }));
    const r = await run(['jobs', 'logs', 'job-1', '--tail', '5'], { env: api(fake) });
    expect(fake.requests[0]?.path).toBe('/api/v1/jobs/job-1/logs');
    expect(fake.requests[0]?.query.get('tailBytes')).toBe('5');
    expect(r).toEqual({ code: 0, stdout: 'done\n', stderr: '' });
  });

  it('--follow prints only the new output until the job ends', async () => {
    const logs = ['', 'line 1\n', 'line 1\nline 2\n', 'line 1\nline 2\n算力 done\n'];
    let poll = 0;
    fake = await fakeApi((req) => {
      if (req.path.endsWith('/logs')) return { text: logs[Math.min(poll, logs.length) - 1] ?? '' };
      poll++;
      return { json: detail(job({ state: poll >= logs.length ? 'succeeded' : 'running' }), []) };
    });
    const r = await run(['jobs', 'logs', 'job-1', '--follow'], { env: api(fake) });
    expect(r).toEqual({ code: 0, stdout: 'line 1\nline 2\n算力 done\n', stderr: '' });
  });
});
