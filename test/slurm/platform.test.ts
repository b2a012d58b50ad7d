/**
 * The whole platform against the real Slurm lab (scripts/slurm-up): the two lab clusters are connected through
 * POST /api/v1/clusters, jobs go in through POST /api/v1/jobs, and the control loop places, dispatches, follows and
 * meters them on Slurm. Runs when SUANLI_SLURM_LAB (default /tmp/suanli-slurm-lab/lab.json) exists; skipped with a
 * visible title otherwise; with CI=true and SUANLI_SLURM_LAB set, a missing lab is an error.
 *
 * The demo's own local clusters at hefei-aicc and wuhu-hub have the same accelerator models as the lab
 * (A100-80GB, H100-SXM); the tests move them to suzhou-wanbei, so that a job constrained to hefei-aicc or wuhu-hub
 * can only land on a Slurm cluster.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JobState } from '../../src/core/domain.ts';
import { decide } from '../../src/core/scheduler/index.ts';
import { CONTROL_LEASE } from '../../src/server/control/loop.ts';
import { buildSnapshot } from '../../src/server/control/snapshot.ts';
import type { JobView } from '../../src/server/views.ts';
import { ALL, createStore, type Store } from '../../src/store/index.ts';
import { freshPostgresDatabase, postgresUrl } from '../helpers/databases.ts';
import { startPlatform, tickUntil, type TestPlatform } from '../helpers/platform.ts';
import {
  cancelDirect,
  connect,
  CONNECTIONS,
  type Connection,
  controllerJob,
  controllerJobsTagged,
  databaseJob,
  describeLab,
  FINAL,
  getJob,
  HEFEI,
  labCluster,
  labFiles,
  type LabFiles,
  labTitle,
  moveLocalClusters,
  slurmCommand,
  waitFor,
  waitJob,
  WUHU,
} from '../helpers/slurm-lab.ts';

const title = labTitle('platform on the Slurm lab');

/** Moves the demo's local clusters out of the way and connects both lab clusters as the operator. */
async function connectLab(platform: TestPlatform, files: LabFiles) {
  await moveLocalClusters(platform);
  const answers = [];
  for (const connection of CONNECTIONS) answers.push(await connect(platform, connection, files));
  return answers;
}

interface JobRequest {
  name: string;
  on: Connection;
  script: string;
  nodes?: number;
  perNode?: number;
  timeLimit?: string;
}

function jobBody(request: JobRequest) {
  return {
    apiVersion: 'suanli.io/v1',
    kind: 'Job',
    metadata: { name: request.name, project: 'demo' },
    spec: {
      resources: {
        accelerator: { model: request.on.model },
        acceleratorsPerNode: request.perNode ?? 1,
        nodes: request.nodes ?? 1,
      },
      timeLimit: request.timeLimit ?? '5m',
      script: request.script,
      constraints: { providers: [request.on.providerId] },
    },
  };
}

async function submit(platform: TestPlatform, request: JobRequest): Promise<JobView> {
  const response = await platform.app.inject({
    method: 'POST',
    url: '/api/v1/jobs',
    headers: { authorization: `Bearer ${platform.token('qiming-ai-admin')}` },
    payload: jobBody(request),
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<JobView>();
}

const inState =
  (...states: JobState[]) =>
  (job: JobView) =>
    states.includes(job.state as JobState);

// ---------------------------------------------------------------------------------------------------------------

describeLab(title, () => {
  let store: Store;
  let platform: TestPlatform;
  let registered: Array<{ status: number; body: Record<string, unknown> }> = [];
  let slow: JobView | null = null;
  let slowSubmittedAt = 0;
  /** Made in beforeAll: the lab may be absent, and then nothing of this suite runs. */
  let files: LabFiles;
  /** Every suanli job this file sent to Slurm, to cancel leftovers if a test fails half-way. */
  const sent: Array<{ platform: () => TestPlatform; id: string }> = [];

  beforeAll(async () => {
    files = labFiles('suanli-slurm-platform-');
    store = await createStore({});
    // Inventory every second, so that a drained node reaches the scheduler quickly.
    platform = await startPlatform(store, { inventoryEveryMs: 1000 });
    registered = await connectLab(platform, files);
    platform.loop.start();
    // The slowest case goes first and runs beside the others: Slurm's smallest limit is a minute, and the
    // controller checks limits about every 30 s.
    slowSubmittedAt = Date.now();
    slow = await submit(platform, {
      name: 'time-limit',
      on: WUHU,
      script: 'sleep 300',
      timeLimit: '1m',
    });
    sent.push({ platform: () => platform, id: slow.id });
  });

  afterAll(async () => {
    if (platform) {
      for (const { platform: owner, id } of sent) {
        const job = await owner()
          .store.jobs.get(ALL, id)
          .catch(() => null);
        if (!job || FINAL.includes(job.state) || !job.engineJobId || !job.clusterId) continue;
        const connection = CONNECTIONS.find((c) => c.id === job.clusterId);
        if (!connection) continue;
        await cancelDirect(labCluster(connection.lab), job.engineJobId).catch(() => undefined);
      }
      await platform.close();
      await store.close();
    }
    if (files) rmSync(files.dir, { recursive: true, force: true });
  });

  it('connects both lab clusters through the API, with their partitions as pools', async () => {
    expect(registered.map((r) => r.status)).toEqual([201, 201]);
    expect(registered[0]!.body).toEqual({
      registered: true,
      pools: [{ name: 'a100', acceleratorModel: 'A100-80GB', nodes: 3, accelerators: 12 }],
    });
    expect(registered[1]!.body).toEqual({
      registered: true,
      pools: [{ name: 'h100', acceleratorModel: 'H100-SXM', nodes: 2, accelerators: 16 }],
    });
    const stored = await store.federation.getCluster('hefei-slurm');
    expect(stored?.config).toMatchObject({ tokenFile: files.tokenFile });
    expect(JSON.stringify(stored?.config)).not.toContain(labCluster('hefei').token);
  });

  it('runs a two-node job on Slurm to succeeded and meters what slurmdbd recorded', { timeout: 60_000 }, async () => {
    const submitted = await submit(platform, {
      name: 'two-nodes',
      on: HEFEI,
      nodes: 2,
      perNode: 2,
      script: 'echo "on $(hostname) gpus=$CUDA_VISIBLE_DEVICES job=$SUANLI_JOB_ID"; sleep 2',
    });
    sent.push({ platform: () => platform, id: submitted.id });
    const job = await waitJob(platform, submitted.id, inState(...FINAL), 40_000);
    expect(job).toMatchObject({ state: 'succeeded', clusterId: 'hefei-slurm', pool: 'a100', exitCode: 0 });
    expect(job.nodes).toHaveLength(2);
    expect(job.engineJobId).toMatch(/^\d+$/);
    expect(job.events?.map((e) => e.to)).toEqual(['pending', 'admitted', 'dispatched', 'running', 'succeeded']);

    // Slurm ran it under suanli's dispatch tag, with the GPUs asked for.
    const hefei = labCluster('hefei');
    // slurmdbd lags the controller: its record of the job may not have the end (and the comment) yet.
    await waitFor(
      'slurmdbd to record the end',
      async () => {
        const record = await databaseJob(hefei, job.engineJobId!);
        return record?.state?.current === 'COMPLETED' && Boolean(record.comment?.job);
      },
      20_000,
    );
    const recorded = await databaseJob(hefei, job.engineJobId!);
    expect(recorded?.comment?.job).toBe(`suanli-${job.id}-1`);
    expect(recorded?.state?.current).toBe('COMPLETED');
    const gpus = recorded?.tres?.allocated?.find((t) => t.type === 'gres' && t.name === 'gpu')?.count;
    expect(gpus).toBe(4);
    const elapsed = recorded?.time?.elapsed ?? -1;
    expect(elapsed).toBeGreaterThanOrEqual(2);

    // Usage is metered once slurmdbd has the run's accounting, which lags the job's end a little.
    const usageOf = async () =>
      (
        await platform.app.inject({
          method: 'GET',
          url: `/api/v1/usage?jobId=${job.id}`,
          headers: { authorization: `Bearer ${platform.token('qiming-ai-admin')}` },
        })
      ).json<{ items: Array<Record<string, unknown>> }>().items;
    await waitFor('usage metered', async () => (await usageOf()).length > 0, 20_000);
    const items = await usageOf();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      acceleratorModel: 'A100-80GB',
      acceleratorCount: 4,
      elapsedSeconds: elapsed,
      acceleratorSeconds: elapsed * gpus!,
    });
    const logs = await platform.app.inject({
      method: 'GET',
      url: `/api/v1/jobs/${job.id}/logs`,
      headers: { authorization: `Bearer ${platform.token('qiming-ai-admin')}` },
    });
    expect(logs.body).toMatch(new RegExp(`gpus=0,1 job=${job.id}`));
  });

  it('reports a failing script as failed with its exit code', { timeout: 60_000 }, async () => {
    const submitted = await submit(platform, {
      name: 'fails',
      on: WUHU,
      perNode: 8,
      script: 'echo about to fail >&2\nexit 3',
    });
    sent.push({ platform: () => platform, id: submitted.id });
    const job = await waitJob(platform, submitted.id, inState(...FINAL), 40_000);
    expect(job).toMatchObject({ state: 'failed', exitCode: 3, clusterId: 'wuhu-slurm' });
    expect(job.reason).toMatch(/exit code 3/);
    expect((await controllerJob(labCluster('wuhu'), job.engineJobId!))?.job_state).toBe('FAILED');
  });

  it('cancels a running job on Slurm when asked through the API', { timeout: 60_000 }, async () => {
    const submitted = await submit(platform, { name: 'cancel-me', on: WUHU, script: 'sleep 300' });
    sent.push({ platform: () => platform, id: submitted.id });
    const running = await waitJob(platform, submitted.id, inState('running', ...FINAL));
    expect(running.state).toBe('running');
    const wuhu = labCluster('wuhu');
    expect((await controllerJob(wuhu, running.engineJobId!))?.job_state).toBe('RUNNING');
    const cancel = await platform.app.inject({
      method: 'POST',
      url: `/api/v1/jobs/${submitted.id}/cancel`,
      headers: { authorization: `Bearer ${platform.token('qiming-ai-admin')}` },
    });
    expect(cancel.statusCode).toBe(202);
    const job = await waitJob(platform, submitted.id, inState(...FINAL));
    expect(job.state).toBe('cancelled');
    expect(job.reason).toMatch(/user/);
    expect((await controllerJob(wuhu, running.engineJobId!))?.job_state).toBe('CANCELLED');
  });

  it('keeps gangs off a drained node, and uses it again once resumed', { timeout: 90_000 }, async () => {
    const hefei = labCluster('hefei');
    const drained = hefei.nodes[hefei.nodes.length - 1]!;
    const nodeState = async () =>
      (await store.federation.listPools())
        .find((p) => p.id === 'hefei-slurm:a100')
        ?.nodes.find((n) => n.name === drained)?.state;
    slurmCommand(hefei, 'scontrol', 'update', `nodename=${drained}`, 'state=drain', 'reason=suanli-platform-test');
    let gang: JobView;
    try {
      await waitFor(`${drained} to show as drained`, async () => (await nodeState()) === 'drained', 10_000);
      // Every node's whole capacity: only possible with the drained node, so the gang waits, saying why.
      gang = await submit(platform, { name: 'gang', on: HEFEI, nodes: 3, perNode: 4, script: 'hostname' });
      sent.push({ platform: () => platform, id: gang.id });
      const waiting = await waitJob(platform, gang.id, (j) => j.state !== 'pending' || /nodes up/.test(j.reason ?? ''));
      expect(waiting.state).toBe('pending');
      expect(waiting.reason).toMatch(/only 2 of 3 nodes up/);
      // A smaller gang fits beside the drained node and is placed on the others.
      const pair = await submit(platform, { name: 'pair', on: HEFEI, nodes: 2, perNode: 4, script: 'hostname' });
      sent.push({ platform: () => platform, id: pair.id });
      const done = await waitJob(platform, pair.id, inState(...FINAL), 40_000);
      expect(done.state).toBe('succeeded');
      expect(done.nodes).toHaveLength(2);
      expect(done.nodes).not.toContain(drained);
      expect((await getJob(platform, gang.id)).state).toBe('pending');
    } finally {
      slurmCommand(hefei, 'scontrol', 'update', `nodename=${drained}`, 'state=resume');
    }
    await waitFor(`${drained} to come back`, async () => (await nodeState()) !== 'drained', 10_000);
    const ran = await waitJob(platform, gang.id, inState(...FINAL), 40_000);
    expect(ran.state).toBe('succeeded');
    expect([...ran.nodes].sort()).toEqual([...hefei.nodes].sort());
  });

  /** Opens the same database twice, as one process before and after a crash would. */
  const databases: Array<{
    kind: string;
    reopenable: () => Promise<{ open: () => Promise<Store>; done: () => void }>;
  }> = [
    {
      kind: 'pglite',
      reopenable: async () => {
        const dir = mkdtempSync(join(tmpdir(), 'suanli-pglite-'));
        return {
          open: () => createStore({ dataDir: dir }),
          done: () => rmSync(dir, { recursive: true, force: true }),
        };
      },
    },
  ];
  if (postgresUrl()) {
    databases.push({
      kind: 'postgres',
      reopenable: async () => {
        const databaseUrl = await freshPostgresDatabase(postgresUrl());
        return { open: () => createStore({ databaseUrl, maxConnections: 5 }), done: () => {} };
      },
    });
  }

  for (const database of databases) {
    it(
      `submits once when the process dies between Slurm's answer and the database write [${database.kind}]`,
      { timeout: 60_000 },
      async () => {
        const db = await database.reopenable();
        const dataDir = mkdtempSync(join(tmpdir(), 'suanli-slurm-indoubt-'));
        const crashedStore = await db.open();
        const crashed = await startPlatform(crashedStore, { dataDir, holder: 'crashed', leaseTtlMs: 300 });
        expect((await connectLab(crashed, files)).map((r) => r.status)).toEqual([201, 201]);
        const submitted = await submit(crashed, { name: 'in-doubt', on: HEFEI, script: 'echo once; sleep 1' });

        // Act out the crash by hand: admit, claim and submit to Slurm, but never record Slurm's answer.
        const placement = decide((await buildSnapshot(crashedStore, new Date())).snapshot, new Date()).placements.find(
          (p) => p.jobId === submitted.id,
        )!;
        expect(placement.clusterId).toBe('hefei-slurm');
        const tag = `suanli-${submitted.id}-1`;
        await crashedStore.jobs.transition(submitted.id, 'pending', 'admitted', {
          reason: 'placed',
          actor: 'crashed',
          now: new Date(),
          patch: {
            clusterId: placement.clusterId,
            poolId: placement.poolId,
            nodeNames: placement.nodeNames,
            attempt: 1,
            dispatchTag: tag,
            dispatchStartedAt: null,
            engineJobId: null,
          },
        });
        expect(await crashedStore.leases.acquire(CONTROL_LEASE, 'crashed', 300)).not.toBeNull();
        expect(await crashedStore.jobs.claimDispatch(submitted.id, CONTROL_LEASE, 'crashed', new Date())).toBe(true);
        const cluster = (await crashedStore.federation.getCluster('hefei-slurm'))!;
        const admitted = (await crashedStore.jobs.get(ALL, submitted.id))!;
        const { engineJobId } = await crashed.engines.for(cluster).submit({
          jobId: submitted.id,
          tag,
          spec: admitted.spec,
          pool: placement.poolId.slice(placement.clusterId.length + 1),
          nodeNames: placement.nodeNames,
        });
        // The process goes away without a word: no loop stop, so the lease stays with the dead holder.
        await crashed.engines.close();
        await crashed.app.close();
        await crashedStore.close();

        // A new process on the same database (not seeded again: the demo's local clusters stay moved).
        const store2 = await db.open();
        const restarted = await startPlatform(store2, { dataDir, holder: 'restarted', leaseTtlMs: 300, seed: false });
        try {
          sent.push({ platform: () => restarted, id: submitted.id });
          await tickUntil(
            restarted.loop,
            async () => FINAL.includes((await store2.jobs.get(ALL, submitted.id))!.state),
            40_000,
          );
          const job = (await store2.jobs.get(ALL, submitted.id))!;
          expect(job.state).toBe('succeeded');
          expect(job.engineJobId).toBe(engineJobId);
          const events = await store2.jobs.events(submitted.id);
          expect(events.filter((e) => e.to === 'dispatched')).toHaveLength(1);
          expect(events.find((e) => e.to === 'dispatched')?.reason).toMatch(/recovered/);
          // Exactly one Slurm job carries the tag: the controller still knows every job of the last MinJobAge.
          const tagged = await controllerJobsTagged(labCluster('hefei'), tag);
          expect(tagged.map((j) => String(j.job_id))).toEqual([engineJobId]);
          await tickUntil(
            restarted.loop,
            async () => (await store2.usage.list(ALL, { jobId: submitted.id })).length > 0,
            20_000,
          );
          expect(await store2.usage.list(ALL, { jobId: submitted.id })).toHaveLength(1);
        } finally {
          await restarted.close();
          await store2.close();
          db.done();
          rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
        }
      },
    );
  }

  it('fails a job that exceeds its time limit, saying so', { timeout: 170_000 }, async () => {
    const job = await waitJob(platform, slow!.id, inState(...FINAL), 160_000 - (Date.now() - slowSubmittedAt));
    expect(job.state).toBe('failed');
    expect(job.reason).toMatch(/time limit of 1m reached/);
    const recorded = await databaseJob(labCluster('wuhu'), job.engineJobId!);
    expect(recorded?.state?.current).toBe('TIMEOUT');
    // Metered up to the limit: Slurm stops it a little after the minute.
    await waitFor('usage metered', async () => (await store.usage.list(ALL, { jobId: job.id })).length > 0, 20_000);
    const usage = await store.usage.list(ALL, { jobId: job.id });
    expect(usage).toHaveLength(1);
    expect(usage[0]!.elapsedSeconds).toBe(recorded?.time?.elapsed);
    expect(usage[0]!.elapsedSeconds).toBeGreaterThanOrEqual(60);
    // The job failed; the run, for the chip race, timed out: Slurm's TIMEOUT is kept apart from a failure.
    expect(usage[0]!.outcome).toBe('timeout');
  });
});
