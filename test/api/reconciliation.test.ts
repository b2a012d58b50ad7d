/**
 * The reconciliation report against the demo's local engines: engine jobs suanli does not know or no longer runs,
 * lost jobs, withdrawn dispatches, and who may see which clusters.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseJobSpec } from '../../src/core/job-spec.ts';
import type { Engine } from '../../src/engines/engine.ts';
import { ALL, type Store, type StoredJob } from '../../src/store/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { HELLO_JOB, startPlatform, tickUntil, type TestPlatform } from '../helpers/platform.ts';

interface Report {
  checkedAt: string;
  clusters: Array<{ id: string; name: string; reachable: boolean; error?: string }>;
  items: Array<{
    kind: string;
    clusterId: string;
    jobId: string | null;
    engineJobId: string | null;
    engineState: string | null;
    detail: string;
  }>;
}

function spec(script: string) {
  const parsed = parseJobSpec({ ...HELLO_JOB, spec: { ...HELLO_JOB.spec, script } });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.spec;
}

describeEachDatabase('the reconciliation report', (database) => {
  let store: Store;
  let platform: TestPlatform;
  /** Engine jobs this suite started by hand on wuhu-1, cancelled at the end (local jobs outlive the platform). */
  const started: string[] = [];
  const get = (user: string) =>
    platform.app.inject({
      method: 'GET',
      url: '/api/v1/reconciliation',
      headers: { authorization: `Bearer ${platform.token(user)}` },
    });
  const report = async (user = 'office'): Promise<Report> => {
    const response = await get(user);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<Report>();
  };
  const wuhu = async () => platform.engines.for((await store.federation.getCluster('wuhu-1'))!);
  /** Starts an engine job on wuhu-1 under `tag`, as if suanli had dispatched it. */
  const startOnWuhu = async (jobId: string, tag: string) => {
    const { engineJobId } = await (
      await wuhu()
    ).submit({ jobId, tag, spec: spec('sleep 30'), pool: 'h100', nodeNames: ['wuhu-h100-n2'] });
    started.push(engineJobId);
    return engineJobId;
  };

  beforeAll(async () => {
    store = await database.open();
    platform = await startPlatform(store);
  });
  afterAll(async () => {
    const engine = await wuhu();
    await Promise.all(started.map((id) => engine.cancel(id)));
    await platform.close();
    await store.close();
  });

  it('has nothing to report on a quiet federation', async () => {
    const quiet = await report();
    expect(quiet.items).toEqual([]);
    expect(quiet.clusters.map((c) => [c.id, c.reachable]).sort()).toEqual([
      ['hefei-1', true],
      ['suzhou-1', true],
      ['wuhu-1', true],
    ]);
    expect(Date.parse(quiet.checkedAt)).not.toBeNaN();
  });

  it('reports an engine job tagged for a job suanli does not know', async () => {
    const stranger = randomUUID();
    const engineJobId = await startOnWuhu(stranger, `suanli-${stranger}-1`);
    const { items } = await report();
    expect(items).toEqual([
      {
        kind: 'unknown-to-suanli',
        clusterId: 'wuhu-1',
        jobId: stranger,
        engineJobId,
        engineState: expect.stringMatching(/^(queued|running)$/),
        detail: expect.stringContaining(`suanli-${stranger}-1`),
      },
    ]);
  });

  let lost: StoredJob;
  it('reports a lost job with its reason, and a copy of it still running', async () => {
    const { job } = await store.jobs.create({
      tenantId: 'qiming-ai',
      projectId: 'qiming-ai-demo',
      submittedBy: 'qiming-ai-admin',
      spec: spec('sleep 30'),
      idempotencyKey: null,
      now: new Date(),
    });
    await tickUntil(platform.loop, async () => (await store.jobs.get(ALL, job.id))?.state === 'running');
    const running = (await store.jobs.get(ALL, job.id))!;
    const dir = join(platform.dataDir, 'engines', running.clusterId!, 'jobs', running.engineJobId!);
    const status = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as {
      runnerPid: number;
      ranks: Array<{ pid: number | null }>;
    };
    process.kill(status.runnerPid, 'SIGKILL');
    for (const rank of status.ranks) if (rank.pid) process.kill(-rank.pid, 'SIGKILL');
    await tickUntil(platform.loop, async () => (await store.jobs.get(ALL, job.id))?.state === 'lost');
    lost = (await store.jobs.get(ALL, job.id))!;
    expect(lost.clusterId).toBe('wuhu-1');

    // A second attempt of the same job left running on the engine: a copy suanli does not follow.
    const copy = await startOnWuhu(job.id, `suanli-${job.id}-7`);
    const { items } = await report();
    expect(items.filter((i) => i.jobId === job.id)).toEqual([
      {
        kind: 'stray-copy',
        clusterId: 'wuhu-1',
        jobId: job.id,
        engineJobId: copy,
        engineState: expect.stringMatching(/^(queued|running)$/),
        detail: expect.stringMatching(/attempt 7 .*lost/),
      },
      {
        kind: 'lost',
        clusterId: 'wuhu-1',
        jobId: job.id,
        engineJobId: lost.engineJobId,
        engineState: 'lost',
        detail: lost.reason,
      },
    ]);
    expect(lost.reason).toMatch(/runner/);
  });

  it('reports unsettled withdrawals and active jobs the engine does not list', async () => {
    await store.db
      .insertInto('withdrawn_dispatches')
      .values({ cluster_id: 'hefei-1', engine_job_id: 'local-gone', job_id: lost.id, withdrawn_at: new Date() })
      .execute();
    // A job suanli believes is dispatched on suzhou-1 as an engine job that suzhou-1 never had.
    const { job } = await store.jobs.create({
      tenantId: 'qiming-ai',
      projectId: 'qiming-ai-demo',
      submittedBy: 'qiming-ai-admin',
      spec: spec('true'),
      idempotencyKey: null,
      now: new Date(),
    });
    const change = { reason: 'by hand', actor: 'test', now: new Date() };
    await store.jobs.transition(job.id, 'pending', 'admitted', {
      ...change,
      patch: { clusterId: 'suzhou-1', dispatchTag: `suanli-${job.id}-1`, attempt: 1 },
    });
    await store.jobs.transition(job.id, 'admitted', 'dispatched', {
      ...change,
      patch: { engineJobId: 'local-nowhere' },
    });

    const { items } = await report();
    expect(items.filter((i) => i.clusterId !== 'wuhu-1')).toEqual([
      {
        kind: 'withdrawn',
        clusterId: 'hefei-1',
        jobId: lost.id,
        engineJobId: 'local-gone',
        engineState: null,
        detail: expect.stringContaining('not settled yet'),
      },
      {
        kind: 'untracked-active',
        clusterId: 'suzhou-1',
        jobId: job.id,
        engineJobId: 'local-nowhere',
        engineState: null,
        detail: expect.stringContaining('does not list it'),
      },
    ]);
  });

  it('shows a provider-admin its own clusters only, lists an unreachable cluster, and keeps tenants out', async () => {
    const admin = await report('wuhu-admin');
    expect(admin.clusters.map((c) => c.id)).toEqual(['wuhu-1']);
    expect(admin.items.length).toBeGreaterThan(0);
    expect(admin.items.every((i) => i.clusterId === 'wuhu-1')).toBe(true);

    // The loop is not ticked again here, so nothing but the report calls this engine.
    const down = {
      kind: 'local',
      listTagged: () => Promise.reject(new Error('connection refused')),
      close: () => Promise.resolve(),
    } as unknown as Engine;
    platform.engines.use('hefei-1', down);
    const operator = await report();
    expect(operator.clusters.find((c) => c.id === 'hefei-1')).toEqual({
      id: 'hefei-1',
      name: expect.any(String),
      reachable: false,
      error: 'connection refused',
    });
    // suanli's own records of it are still reported.
    expect(operator.items.some((i) => i.kind === 'withdrawn' && i.clusterId === 'hefei-1')).toBe(true);

    expect((await get('qiming-ai-admin')).statusCode).toBe(403);
    expect((await get('qiming-ai-dev')).statusCode).toBe(403);
  });
});
