/**
 * The job routes end to end: idempotent submission, spec validation (problem+json naming the field, nothing
 * stored), YAML bodies, the event history of a job that really runs, pending reasons, and cancellation.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { ALL, type Store } from '../../src/store/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { HELLO_JOB, startPlatform, tickUntil, type TestPlatform } from '../helpers/platform.ts';

interface JobBody {
  id: string;
  name: string;
  project: string;
  state: string;
  reason: string | null;
  tenantId: string;
  exitCode: number | null;
  clusterName: string | null;
  spec: { metadata: { name: string; project: string }; spec: Record<string, unknown> };
  events?: Array<{ at: string; from: string | null; to: string; reason: string; actor: string }>;
}
interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: Array<{ field: string; message: string }>;
}

type Json = Record<string, unknown>;

/** HELLO_JOB with `spec` fields replaced (undefined deletes) and optional metadata overrides. */
function jobWith(spec: Json, metadata: Json = {}): Json {
  const merged: Json = { ...HELLO_JOB.spec, ...spec };
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  return { ...HELLO_JOB, metadata: { ...HELLO_JOB.metadata, ...metadata }, spec: merged };
}

const HELLO_YAML = `apiVersion: suanli.io/v1
kind: Job
metadata:
  name: hello-yaml
  project: research
spec:
  resources:
    accelerator:
      model: Ascend-910B
    acceleratorsPerNode: 2
  timeLimit: 10m
  command: ["sh", "-c", "echo from yaml"]
  env:
    EPOCHS: "3"
`;

describeEachDatabase('API: jobs', (db) => {
  let store: Store;
  let p: TestPlatform;

  const auth = (user: string) => ({ authorization: `Bearer ${p.token(user)}` });
  const submit = (payload: unknown, options: { user?: string; key?: string; contentType?: string } = {}) =>
    p.app.inject({
      method: 'POST',
      url: '/api/v1/jobs',
      headers: {
        ...auth(options.user ?? 'qiming-ai-admin'),
        ...(options.key === undefined ? {} : { 'idempotency-key': options.key }),
        ...(options.contentType === undefined ? {} : { 'content-type': options.contentType }),
      },
      payload: payload as string | Json,
    });
  const getJob = async (id: string, user = 'qiming-ai-admin') => {
    const res = await p.app.inject({ method: 'GET', url: `/api/v1/jobs/${id}`, headers: auth(user) });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<JobBody>();
  };
  const cancel = (id: string, user = 'qiming-ai-admin') =>
    p.app.inject({ method: 'POST', url: `/api/v1/jobs/${id}/cancel`, headers: auth(user) });
  const stateOf = async (id: string) => (await store.jobs.get(ALL, id))?.state;
  const count = async (table: 'jobs' | 'job_events') =>
    Number(
      (
        await store.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const problem = (res: LightMyRequestResponse, status: number): ProblemBody => {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json<ProblemBody>();
    expect(body.status).toBe(status);
    expect(body.type).toMatch(/^\/problems\//);
    expect(body.title).toBeTruthy();
    return body;
  };

  beforeAll(async () => {
    store = await db.open();
    p = await startPlatform(store);
  });

  afterAll(async () => {
    await p?.close();
    await store?.close();
  });

  it('runs a job to success and lists its events in order', async () => {
    const res = await submit(HELLO_JOB);
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json<JobBody>();
    expect(res.headers.location).toBe(`/api/v1/jobs/${created.id}`);
    expect(created).toMatchObject({ name: 'hello', project: 'demo', state: 'pending', tenantId: 'qiming-ai' });

    await tickUntil(p.loop, async () => (await stateOf(created.id)) === 'succeeded');
    const job = await getJob(created.id);
    expect(job.state).toBe('succeeded');
    expect(job.exitCode).toBe(0);
    expect(job.clusterName).toBe('wuhu-1');
    const events = job.events ?? [];
    expect(events.map((e) => e.to)).toEqual(['pending', 'admitted', 'dispatched', 'running', 'succeeded']);
    expect(events.map((e) => e.from)).toEqual([null, 'pending', 'admitted', 'dispatched', 'running']);
    expect(events[0]).toMatchObject({ reason: 'submitted', actor: 'qiming-ai-admin' });
    const times = events.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(events.every((e) => e.reason.length > 0)).toBe(true);

    const logs = await p.app.inject({
      method: 'GET',
      url: `/api/v1/jobs/${job.id}/logs`,
      headers: auth('qiming-ai-dev'),
    });
    expect(logs.statusCode).toBe(200);
    expect(logs.headers['content-type']).toMatch(/^text\/plain/);
    expect(logs.body).toMatch(/^on H100-SXM \d\n/);
    expect(logs.body).toContain('done');

    // A finished job cannot be cancelled.
    const late = problem(await cancel(job.id), 409);
    expect(late.detail).toContain('succeeded');
    expect((await getJob(job.id)).state).toBe('succeeded');
  });

  it('accepts a YAML job spec (application/yaml)', async () => {
    const res = await submit(HELLO_YAML, { contentType: 'application/yaml' });
    expect(res.statusCode, res.body).toBe(201);
    const job = res.json<JobBody>();
    expect(job).toMatchObject({ name: 'hello-yaml', project: 'research', state: 'pending' });
    expect(job.spec.spec).toMatchObject({
      resources: { accelerator: { model: 'Ascend-910B' }, acceleratorsPerNode: 2, nodes: 1 },
      command: ['sh', '-c', 'echo from yaml'],
      env: { EPOCHS: '3' },
    });
    expect((await getJob(job.id)).spec.metadata).toEqual({ name: 'hello-yaml', project: 'research' });
    expect((await cancel(job.id)).statusCode).toBe(202);
    await tickUntil(p.loop, async () => (await stateOf(job.id)) === 'cancelled');
  });

  it('explains why a job that cannot fit stays pending, naming clusters; cancelling it ends it', async () => {
    const tooWide = (await submit(jobWith({ resources: { acceleratorsPerNode: 64, nodes: 1 } }))).json<JobBody>();
    const tooCheap = (
      await submit(
        jobWith({
          resources: { accelerator: { model: 'H100-SXM' }, acceleratorsPerNode: 1, nodes: 1 },
          constraints: { maxFenPerAcceleratorHour: 1 },
        }),
      )
    ).json<JobBody>();
    expect(tooWide.state).toBe('pending');
    expect(tooCheap.state).toBe('pending');
    await p.loop.tick();

    const wide = await getJob(tooWide.id);
    expect(wide.state).toBe('pending');
    expect(wide.reason).not.toBe('waiting for the next scheduling cycle');
    expect(wide.reason).toMatch(/wuhu-1|hefei-1|suzhou-1/);
    expect(wide.reason).toMatch(/at most 8 accelerators.*64 needed per node/);

    const cheap = await getJob(tooCheap.id);
    expect(cheap.state).toBe('pending');
    expect(cheap.reason).not.toBe('waiting for the next scheduling cycle');
    expect(cheap.reason).toMatch(/wuhu-1\/h100: above your maximum price \(1800 > 1 fen\/h\)/);
    // The same reason on the list, for dashboards.
    const listed = await p.app.inject({
      method: 'GET',
      url: '/api/v1/jobs?state=pending',
      headers: auth('qiming-ai-admin'),
    });
    expect(listed.json<{ items: JobBody[] }>().items.find((j) => j.id === tooCheap.id)?.reason).toBe(cheap.reason);

    for (const id of [tooWide.id, tooCheap.id]) {
      const res = await cancel(id);
      expect(res.statusCode, res.body).toBe(202);
      expect(res.json<{ cancelRequested: boolean; state: string }>()).toMatchObject({
        cancelRequested: true,
        state: 'pending',
      });
    }
    await p.loop.tick();
    for (const id of [tooWide.id, tooCheap.id]) {
      const job = await getJob(id);
      expect(job.state).toBe('cancelled');
      expect(job.events?.map((e) => e.to)).toEqual(['pending', 'cancelled']);
    }
    problem(await cancel(tooWide.id), 409);
  });

  it('replays a submission with the same Idempotency-Key: 201, then 200 with the same job and one row', async () => {
    const key = `retry-${db.kind}-1`;
    const spec = jobWith({ script: 'sleep 30' });
    const first = await submit(spec, { key });
    expect(first.statusCode, first.body).toBe(201);
    const second = await submit(spec, { key });
    expect(second.statusCode, second.body).toBe(200);
    const id = first.json<JobBody>().id;
    expect(second.json<JobBody>().id).toBe(id);
    expect(second.headers.location).toBe(`/api/v1/jobs/${id}`);
    // The same spec as YAML is the same submission.
    const yaml = await submit(
      'apiVersion: suanli.io/v1\nkind: Job\nmetadata: {name: hello, project: demo}\nspec:\n' +
        '  resources: {accelerator: {model: H100-SXM}, acceleratorsPerNode: 1, nodes: 1}\n' +
        '  timeLimit: 5m\n  script: sleep 30\n',
      { key, contentType: 'application/yaml' },
    );
    expect(yaml.statusCode, yaml.body).toBe(200);
    expect(yaml.json<JobBody>().id).toBe(id);

    const rows = await store.db.selectFrom('jobs').select('id').where('idempotency_key', '=', key).execute();
    expect(rows.map((r) => r.id)).toEqual([id]);
    const events = await store.db.selectFrom('job_events').select('id').where('job_id', '=', id).execute();
    expect(events).toHaveLength(1);

    // The same key with another spec is a conflict, and changes nothing.
    const jobsBefore = await count('jobs');
    const conflict = problem(await submit(jobWith({ script: 'sleep 31' }), { key }), 409);
    expect(conflict.detail).toContain(id);
    problem(await submit(jobWith({ script: 'sleep 30' }, { project: 'research' }), { key }), 409);
    expect(await count('jobs')).toBe(jobsBefore);

    // Another tenant's key space is its own: the same key makes a separate job there.
    const other = await submit(spec, { key, user: 'zhiyuan-llm-admin' });
    expect(other.statusCode, other.body).toBe(201);
    expect(other.json<JobBody>()).toMatchObject({ tenantId: 'zhiyuan-llm' });
    expect(other.json<JobBody>().id).not.toBe(id);
    const again = await submit(spec, { key, user: 'zhiyuan-llm-admin' });
    expect(again.statusCode).toBe(200);
    expect(again.json<JobBody>().id).toBe(other.json<JobBody>().id);
    // Another user of the same tenant shares the tenant's key space.
    const dev = await submit(spec, { key, user: 'qiming-ai-dev' });
    expect(dev.statusCode).toBe(200);
    expect(dev.json<JobBody>().id).toBe(id);
    expect(await count('jobs')).toBe(jobsBefore + 1);

    // Without a key, every submission is a new job.
    const a = await submit(spec);
    const b = await submit(spec);
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(a.json<JobBody>().id).not.toBe(b.json<JobBody>().id);

    for (const [jobId, user] of [
      [id, 'qiming-ai-admin'],
      [other.json<JobBody>().id, 'zhiyuan-llm-admin'],
      [a.json<JobBody>().id, 'qiming-ai-admin'],
      [b.json<JobBody>().id, 'qiming-ai-admin'],
    ] as const) {
      expect((await cancel(jobId, user)).statusCode).toBe(202);
    }
    await p.loop.tick();
    expect(await stateOf(id)).toBe('cancelled');
  });

  it('creates one job when the same key is submitted concurrently', async () => {
    const key = `concurrent-${db.kind}`;
    const spec = jobWith({ script: 'sleep 30' }, { name: 'racer' });
    const responses = await Promise.all(Array.from({ length: 6 }, () => submit(spec, { key })));
    const codes = responses.map((r) => r.statusCode).sort();
    expect(codes, responses.map((r) => r.body).join('\n')).toEqual([200, 200, 200, 200, 200, 201]);
    expect(new Set(responses.map((r) => r.json<JobBody>().id)).size).toBe(1);
    const rows = await store.db.selectFrom('jobs').select('id').where('idempotency_key', '=', key).execute();
    expect(rows).toHaveLength(1);
    expect((await cancel(rows[0]!.id)).statusCode).toBe(202);
    await p.loop.tick();
  });

  it('rejects an Idempotency-Key that is empty or too long with 400, storing nothing', async () => {
    const before = await count('jobs');
    // Random text does not compress, so a long key would exceed PostgreSQL's btree limit if it reached the index.
    const long = Array.from({ length: 3000 }, () => Math.random().toString(36).slice(2, 3)).join('');
    for (const key of ['', long]) {
      const body = problem(await submit(HELLO_JOB, { key }), 400);
      expect(body.errors?.map((e) => e.field)).toEqual(['idempotency-key']);
    }
    expect(await count('jobs')).toBe(before);
  });

  const INVALID: Array<{ what: string; body: unknown; contentType?: string; field: string; message?: RegExp }> = [
    { what: 'missing spec.timeLimit', body: jobWith({ timeLimit: undefined }), field: 'spec.timeLimit' },
    {
      what: 'spec.resources.nodes: 0',
      body: jobWith({ resources: { ...HELLO_JOB.spec.resources, nodes: 0 } }),
      field: 'spec.resources.nodes',
    },
    {
      what: 'unknown field spec.resources.gpus',
      body: jobWith({ resources: { ...HELLO_JOB.spec.resources, gpus: 8 } }),
      field: 'spec.resources.gpus',
      message: /unknown field/,
    },
    {
      what: 'unknown accelerator model',
      body: jobWith({ resources: { accelerator: { model: 'H9000' } } }),
      field: 'spec.resources.accelerator.model',
      message: /H9000/,
    },
    {
      what: 'both command and script',
      body: jobWith({ command: ['echo', 'hi'] }),
      field: 'spec.script',
      message: /either command or script/,
    },
    {
      what: 'neither command nor script',
      body: jobWith({ script: undefined }),
      field: 'spec.command',
    },
    {
      what: 'a bad duration',
      body: jobWith({ timeLimit: '5 minutes' }),
      field: 'spec.timeLimit',
    },
    {
      what: 'a string where a number belongs (not coerced)',
      body: jobWith({ resources: { ...HELLO_JOB.spec.resources, nodes: '2' } }),
      field: 'spec.resources.nodes',
    },
    {
      what: 'a wrong apiVersion',
      body: { ...HELLO_JOB, apiVersion: 'suanli.io/v2' },
      field: 'apiVersion',
    },
    {
      what: 'a YAML syntax error',
      body: 'apiVersion: suanli.io/v1\nkind: Job\nmetadata: {name: hello, project: demo\nspec:\n  timeLimit: 5m\n',
      contentType: 'application/yaml',
      field: '',
      message: /YAML syntax error.*line/,
    },
    {
      what: 'an invalid field in YAML',
      body: 'apiVersion: suanli.io/v1\nkind: Job\nmetadata: {name: hello, project: demo}\nspec:\n  timeLimit: 5m\n  script: echo\n  resources: {nodes: 0}\n',
      contentType: 'application/yaml',
      field: 'spec.resources.nodes',
    },
    {
      what: 'a NUL character in an env value (PostgreSQL cannot store it)',
      body: jobWith({ env: { EPOCHS: '3\u0000' } }),
      field: 'spec.env.EPOCHS',
      message: /NUL/,
    },
    {
      what: 'a NUL character in the project name',
      body: jobWith({}, { project: 'de\u0000mo' }),
      field: 'metadata.project',
      message: /NUL/,
    },
    {
      what: 'an unknown project',
      body: jobWith({}, { project: 'nope' }),
      field: 'metadata.project',
      message: /nope.*demo, research|nope.*research, demo/,
    },
  ];

  it.each(INVALID)('rejects $what with 400 problem+json naming the field, storing nothing', async (c) => {
    const [jobs, events] = [await count('jobs'), await count('job_events')];
    const res = await submit(
      c.body,
      c.contentType ? { contentType: c.contentType, key: 'k-invalid' } : { key: 'k-invalid' },
    );
    const body = problem(res, 400);
    expect(body.type).toBe('/problems/invalid-job-spec');
    expect(body.instance).toBe('/api/v1/jobs');
    const fields = (body.errors ?? []).map((e) => e.field);
    expect(fields).toContain(c.field);
    const error = body.errors?.find((e) => e.field === c.field);
    if (c.message) expect(error?.message).toMatch(c.message);
    expect(body.detail).toContain(error?.message ?? '?');
    expect([await count('jobs'), await count('job_events')]).toEqual([jobs, events]);
  });

  it('answers malformed JSON and unsupported media types with problem+json', async () => {
    const before = await count('jobs');
    const broken = await submit('{"apiVersion": "suanli.io/v1",', { contentType: 'application/json' });
    problem(broken, 400);
    const xml = await submit('<job/>', { contentType: 'application/xml' });
    problem(xml, 415);
    const empty = problem(await submit('', { contentType: 'application/yaml' }), 400);
    expect(empty.errors?.[0]?.field).toBe('');
    expect(await count('jobs')).toBe(before);
  });

  it('filters the list by state and rejects an unknown state naming `state`', async () => {
    const bogus = problem(
      await p.app.inject({ method: 'GET', url: '/api/v1/jobs?state=bogus', headers: auth('qiming-ai-admin') }),
      400,
    );
    expect(bogus.errors?.map((e) => e.field)).toEqual(['state']);
    expect(bogus.detail).toContain('bogus');
    const mixed = problem(
      await p.app.inject({ method: 'GET', url: '/api/v1/jobs?state=pending,runing', headers: auth('office') }),
      400,
    );
    expect(mixed.detail).toContain('runing');

    const done = await p.app.inject({
      method: 'GET',
      url: '/api/v1/jobs?state=succeeded',
      headers: auth('qiming-ai-admin'),
    });
    const items = done.json<{ items: JobBody[] }>().items;
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((j) => j.state === 'succeeded')).toBe(true);

    const limited = await p.app.inject({
      method: 'GET',
      url: '/api/v1/jobs?limit=2',
      headers: auth('qiming-ai-admin'),
    });
    expect(limited.json<{ items: JobBody[] }>().items).toHaveLength(2);
    problem(await p.app.inject({ method: 'GET', url: '/api/v1/jobs?limit=0', headers: auth('qiming-ai-admin') }), 400);
  });

  it('answers 404 problem+json for unknown job ids and routes', async () => {
    for (const url of ['/api/v1/jobs/does-not-exist', '/api/v1/jobs/does-not-exist/logs']) {
      const res = await p.app.inject({ method: 'GET', url, headers: auth('office') });
      problem(res, 404);
    }
    problem(await cancel('00000000-0000-7000-8000-000000000000', 'office'), 404);
    problem(await p.app.inject({ method: 'GET', url: '/api/v1/nothing', headers: auth('office') }), 404);
    // A NUL in an id would reach PostgreSQL: refused before it does.
    for (const url of ['/api/v1/jobs/a%00b', '/api/v1/jobs/%00/logs', '/api/v1/usage?jobId=%00']) {
      expect(problem(await p.app.inject({ method: 'GET', url, headers: auth('office') }), 400).detail).toMatch(/NUL/);
    }
    problem(await cancel('a%00b', 'office'), 400);
  });

  const submitBatch = (jobs: unknown, options: { user?: string; key?: string } = {}) =>
    p.app.inject({
      method: 'POST',
      url: '/api/v1/jobs/batch',
      headers: {
        ...auth(options.user ?? 'qiming-ai-admin'),
        ...(options.key === undefined ? {} : { 'idempotency-key': options.key }),
      },
      payload: { jobs } as Json,
    });

  it('submits a batch in order, idempotently by one key, and runs it', async () => {
    const jobs = [0, 1, 2].map((i) => jobWith({}, { name: `sweep-${i}` }));
    const first = await submitBatch(jobs, { key: 'sweep-2026-11-23' });
    expect(first.statusCode, first.body).toBe(201);
    const items = first.json<{ items: JobBody[] }>().items;
    expect(items.map((j) => j.name)).toEqual(['sweep-0', 'sweep-1', 'sweep-2']);
    expect(items.every((j) => j.state === 'pending' && j.tenantId === 'qiming-ai')).toBe(true);
    // Ids sort in the order written: the scheduler's first-come order among equal submission times.
    expect(items.map((j) => j.id)).toEqual(items.map((j) => j.id).sort());
    for (const job of items) expect((await getJob(job.id)).events?.map((e) => e.reason)).toEqual(['submitted']);

    const jobsBefore = await count('jobs');
    const again = await submitBatch(jobs, { key: 'sweep-2026-11-23' });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json<{ items: JobBody[] }>().items.map((j) => j.id)).toEqual(items.map((j) => j.id));
    expect(await count('jobs')).toBe(jobsBefore);
    // The same key with other specs: a conflict, and nothing new is stored.
    const changed = [...jobs.slice(0, 2), jobWith({ timeLimit: '6m' }, { name: 'sweep-2' })];
    problem(await submitBatch(changed, { key: 'sweep-2026-11-23' }), 409);
    expect(await count('jobs')).toBe(jobsBefore);

    await tickUntil(p.loop, async () => {
      const states = await Promise.all(items.map((j) => stateOf(j.id)));
      return states.every((s) => s === 'succeeded');
    });
  });

  it('refuses a batch with a bad item, naming it, and stores none of it', async () => {
    const [jobsBefore, eventsBefore] = [await count('jobs'), await count('job_events')];
    const bad = await submitBatch([
      jobWith({}, { name: 'fine' }),
      jobWith({ timeLimit: 'forever' }, { name: 'bad-time' }),
      jobWith({}, { name: 'no-project', project: 'nowhere' }),
    ]);
    const body = problem(bad, 400);
    expect(body.errors?.map((e) => e.field)).toEqual(['jobs[1].spec.timeLimit']);
    expect(body.detail).toMatch(/no job was stored/);
    const noProject = problem(await submitBatch([jobWith({}), jobWith({}, { project: 'nowhere' })]), 400);
    expect(noProject.errors).toEqual([
      { field: 'jobs[1].metadata.project', message: expect.stringMatching(/no project named "nowhere"/) },
    ]);
    expect(problem(await submitBatch([]), 400).errors?.[0]?.field).toBe('jobs');
    expect(problem(await submitBatch('not a list'), 400).errors?.[0]?.field).toBe('jobs');
    expect(problem(await submitBatch([jobWith({})], { user: 'office' }), 403).status).toBe(403);
    expect([await count('jobs'), await count('job_events')]).toEqual([jobsBefore, eventsBefore]);
  });
});
