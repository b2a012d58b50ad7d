/**
 * A member cluster whose slurmctld stops, on the real Slurm lab (scripts/slurm-up): a job suanli dispatched there,
 * still queued behind GPUs that Slurm gave to someone else, is withdrawn and run on the other lab cluster; when the
 * controller is back, the copy it still holds is cancelled there and the withdrawal is settled. Runs when
 * SUANLI_SLURM_LAB (default /tmp/suanli-slurm-lab/lab.json) exists; skipped with a visible title otherwise; with
 * CI=true and SUANLI_SLURM_LAB set, a missing lab is an error.
 *
 * As in platform.test.ts, the demo's local clusters at hefei-aicc and wuhu-hub are moved to suzhou-wanbei, so that a
 * job constrained to hefei-aicc or wuhu-hub can only land on a Slurm cluster. wuhu is connected only once the job
 * sits dispatched on hefei: with both connected from the start, which one suanli picks would depend on scoring.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JobState } from '../../src/core/domain.ts';
import type { JobView } from '../../src/server/views.ts';
import { ALL, createStore, type Store } from '../../src/store/index.ts';
import { startPlatform, type TestPlatform } from '../helpers/platform.ts';
import {
  cancelDirect,
  connect,
  CONNECTIONS,
  controllerJob,
  databaseJob,
  describeLab,
  FINAL,
  getJob,
  HEFEI,
  labCluster,
  labFiles,
  type LabFiles,
  labPid,
  labTitle,
  moveLocalClusters,
  pidAlive,
  slurmUp,
  submitDirect,
  waitFor,
  waitJob,
  WUHU,
} from '../helpers/slurm-lab.ts';

const title = labTitle('failover on the Slurm lab');

// ---------------------------------------------------------------------------------------------------------------

describeLab(title, () => {
  let store: Store;
  let platform: TestPlatform;
  /** The direct job holding every hefei GPU, and suanli's copy left queued on hefei. */
  let blocker = '';
  let stale = '';
  let jobId = '';
  /** Made in beforeAll: the lab may be absent, and then nothing of this suite runs. */
  let files: LabFiles;

  beforeAll(async () => {
    slurmUp();
    files = labFiles('suanli-slurm-failover-');
    store = await createStore({});
    // Inventory every second: that poll is what notices the controller's absence and its return. While slurmctld
    // is stopped, slurmrestd takes ~9 s to answer each call, longer than startPlatform's 5 s lease: the loop must
    // go on placing and dispatching on wuhu all the same (it renews the lease and does not wait for hefei).
    platform = await startPlatform(store, { inventoryEveryMs: 1000 });
    await moveLocalClusters(platform);
  });

  afterAll(async () => {
    // Whatever happened, leave the lab as it was found: every daemon up, nothing of this file left running.
    try {
      slurmUp();
    } catch (error) {
      console.warn(`[slurm] slurm-up after the failover test failed: ${String(error)}`);
    }
    const hefei = labCluster('hefei');
    if (platform) {
      const job = jobId ? await store.jobs.get(ALL, jobId).catch(() => null) : null;
      if (job && !FINAL.includes(job.state) && job.engineJobId && job.clusterId) {
        const connection = CONNECTIONS.find((c) => c.id === job.clusterId);
        if (connection) await cancelDirect(labCluster(connection.lab), job.engineJobId).catch(() => undefined);
      }
      await platform.close();
      await store.close();
    }
    if (stale) await cancelDirect(hefei, stale).catch(() => undefined);
    if (blocker) await cancelDirect(hefei, blocker).catch(() => undefined);
    if (files) rmSync(files.dir, { recursive: true, force: true });
  });

  it(
    "moves a stopped slurmctld's not-started jobs to the other cluster and reconciles its return",
    { timeout: 240_000 },
    async () => {
      const hefei = labCluster('hefei');
      const wuhu = labCluster('wuhu');

      // 1. hefei is connected (wuhu follows once the job sits on hefei).
      expect(await connect(platform, HEFEI, files)).toMatchObject({ status: 201, body: { registered: true } });

      // 2. Every GPU of hefei goes to a job outside suanli, so that what suanli sends there waits in Slurm's queue.
      blocker = await submitDirect(
        hefei,
        {
          name: 'outside-suanli',
          partition: HEFEI.pool,
          nodes: String(hefei.nodes.length),
          gres: `gpu:${hefei.gres.type}:${hefei.gres.perNode}`,
          time_limit: 15,
          current_working_directory: '/tmp',
          standard_output: '/dev/null',
          environment: { PATH: '/usr/local/bin:/usr/bin:/bin' },
          requeue: false,
        },
        '#!/bin/sh\nsleep 600\n',
      );
      await waitFor(
        `the blocking job ${blocker} to run on hefei`,
        async () => (await controllerJob(hefei, blocker))?.job_state === 'RUNNING',
        60_000,
      );

      // 3. A job that takes either model goes to hefei (the only cluster that has one yet) and queues there.
      platform.loop.start();
      const submitted = await platform.app.inject({
        method: 'POST',
        url: '/api/v1/jobs',
        headers: { authorization: `Bearer ${platform.token('qiming-ai-admin')}` },
        payload: {
          apiVersion: 'suanli.io/v1',
          kind: 'Job',
          metadata: { name: 'failover', project: 'demo' },
          spec: {
            resources: {
              accelerator: { anyOf: [HEFEI.model, WUHU.model] },
              acceleratorsPerNode: 1,
              nodes: 1,
            },
            timeLimit: '5m',
            script: 'echo "on $(hostname) gpus=$CUDA_VISIBLE_DEVICES"; sleep 2',
            constraints: { providers: [HEFEI.providerId, WUHU.providerId] },
          },
        },
      });
      expect(submitted.statusCode, submitted.body).toBe(201);
      jobId = submitted.json<JobView>().id;
      const dispatched = await waitJob(
        platform,
        jobId,
        (j) => FINAL.includes(j.state as JobState) || (j.state === 'dispatched' && !!j.engineJobId),
        30_000,
      );
      expect(dispatched).toMatchObject({ state: 'dispatched', clusterId: HEFEI.id });
      stale = dispatched.engineJobId!;
      await waitFor(
        `suanli's job ${stale} to be queued on hefei`,
        async () => (await controllerJob(hefei, stale))?.job_state === 'PENDING',
        20_000,
      );
      expect(await connect(platform, WUHU, files)).toMatchObject({ status: 201, body: { registered: true } });
      expect((await getJob(platform, jobId)).state).toBe('dispatched');

      // 4. hefei's controller stops: hefei is marked unhealthy, the job is withdrawn and runs on wuhu.
      const ctld = labPid('hefei-slurmctld');
      const stoppedAt = Date.now();
      process.kill(ctld, 'SIGTERM');
      await waitFor(`hefei's slurmctld (pid ${ctld}) to stop`, async () => !pidAlive(ctld), 30_000);
      await waitFor(
        'hefei to be marked unhealthy',
        async () => (await store.federation.getCluster(HEFEI.id))?.healthy === false,
        60_000,
      );
      const finished = await waitJob(platform, jobId, (j) => FINAL.includes(j.state as JobState), 90_000);
      const failoverSeconds = (Date.now() - stoppedAt) / 1000;
      expect(finished).toMatchObject({ state: 'succeeded', clusterId: WUHU.id, pool: WUHU.pool, exitCode: 0 });
      expect(finished.engineJobId).not.toBe(stale);
      const hefeiRecord = await store.federation.getCluster(HEFEI.id);
      expect(hefeiRecord?.healthy).toBe(false);
      expect(hefeiRecord?.healthReason).toMatch(/polls failed/);
      const events = await store.jobs.events(jobId);
      const withdrawal = events.find((e) => e.from === 'dispatched' && e.to === 'pending');
      expect(withdrawal?.reason).toMatch(/hefei/);
      expect(withdrawal?.reason).toMatch(/stopped answering/);
      // Ticks are slow while hefei is down (each poll waits ~9 s), so the short run may end between two polls of
      // wuhu: "running" is not always seen.
      expect(events.map((e) => e.to).slice(0, 6)).toEqual([
        'pending',
        'admitted',
        'dispatched',
        'pending',
        'admitted',
        'dispatched',
      ]);
      expect(events.at(-1)?.to).toBe('succeeded');
      expect((await databaseJob(wuhu, finished.engineJobId!))?.state?.current ?? 'COMPLETED').toBe('COMPLETED');
      await waitFor('usage metered', async () => (await store.usage.list(ALL, { jobId })).length > 0, 30_000);
      const usage = await store.usage.list(ALL, { jobId });
      expect(usage.map((u) => u.clusterId)).toEqual([WUHU.id]);
      console.info(`[slurm] failover: controller stopped → job succeeded on wuhu in ${failoverSeconds.toFixed(1)} s`);

      // 5. The controller comes back: hefei is healthy again and the copy it kept is cancelled there.
      slurmUp();
      expect(labPid('hefei-slurmctld')).not.toBe(ctld);
      await waitFor(
        'hefei to be healthy again',
        async () => (await store.federation.getCluster(HEFEI.id))?.healthy === true,
        60_000,
      );
      await waitFor(
        'the withdrawal to be settled',
        async () => (await store.jobs.unsettledWithdrawals(HEFEI.id)).length === 0,
        30_000,
      );
      const settled = await store.db.selectFrom('withdrawn_dispatches').selectAll().execute();
      expect(settled).toEqual([
        expect.objectContaining({ job_id: jobId, cluster_id: HEFEI.id, engine_job_id: stale, outcome: 'cancelled' }),
      ]);
      await waitFor(
        `the stale job ${stale} to be cancelled on hefei`,
        async () => (await controllerJob(hefei, stale))?.job_state === 'CANCELLED',
        20_000,
      );
      // Still one run charged: the withdrawn copy never ran and is not metered.
      expect((await store.usage.list(ALL, { jobId })).map((u) => u.clusterId)).toEqual([WUHU.id]);
      expect((await controllerJob(hefei, blocker))?.job_state).toBe('RUNNING');
      await cancelDirect(hefei, blocker);
      blocker = '';
      stale = '';
    },
  );
});
