/**
 * A member cluster that stops answering: its not-started jobs are placed elsewhere, and when it answers again the
 * copies it still holds are cancelled there and accounted for, so no run is charged twice.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ALL, type Store } from '../../src/store/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { startPlatform, submitDemoJob, tickUntil, type TestPlatform } from '../helpers/platform.ts';
import { QueueingCluster } from '../helpers/queueing-cluster.ts';

describeEachDatabase('a member cluster that stops answering', (database) => {
  let store: Store;
  let platform: TestPlatform;
  const queueing = new QueueingCluster();
  beforeAll(async () => {
    store = await database.open();
    platform = await startPlatform(store, { inventoryEveryMs: 200 });
    // hefei-1 becomes a cluster whose jobs wait in its queue; it is the cheapest place for A100 work.
    platform.engines.use('hefei-1', queueing);
  });
  afterAll(async () => {
    await platform.close();
    await store.close();
  });

  it('places its not-started jobs elsewhere and cancels them there when it returns', async () => {
    const job = await submitDemoJob(store, {
      resources: { accelerator: { anyOf: ['A100-80GB', 'H100-SXM'] } },
      script: 'echo ok',
    });
    await tickUntil(platform.loop, async () => (await store.jobs.get(ALL, job.id))?.state === 'dispatched');
    expect((await store.jobs.get(ALL, job.id))?.clusterId).toBe('hefei-1');
    const [stale] = [...queueing.jobs.keys()];

    queueing.down = true;
    await tickUntil(platform.loop, async () => (await store.jobs.get(ALL, job.id))?.state === 'succeeded');
    const finished = (await store.jobs.get(ALL, job.id))!;
    expect(finished.clusterId).toBe('wuhu-1');
    const hefei = await store.federation.getCluster('hefei-1');
    expect(hefei?.healthy).toBe(false);
    expect(hefei?.healthReason).toMatch(/controller/);
    const events = (await store.jobs.events(job.id)).map((e) => `${e.from ?? '-'}→${e.to}`);
    expect(events).toContain('dispatched→pending');

    queueing.down = false;
    await tickUntil(platform.loop, async () => (await store.jobs.unsettledWithdrawals('hefei-1')).length === 0);
    expect(queueing.cancelled).toEqual([stale]);
    const settled = await store.db.selectFrom('withdrawn_dispatches').selectAll().execute();
    expect(settled).toEqual([expect.objectContaining({ job_id: job.id, engine_job_id: stale, outcome: 'cancelled' })]);
    expect((await store.federation.getCluster('hefei-1'))?.healthy).toBe(true);
    // One run, one usage record: the job's run on wuhu-1 (metered beside the ticks).
    await tickUntil(platform.loop, async () => (await store.usage.list(ALL, { jobId: job.id })).length > 0);
    const usage = await store.usage.list(ALL, { jobId: job.id });
    expect(usage.map((u) => u.clusterId)).toEqual(['wuhu-1']);
  });
});

describeEachDatabase('a member cluster that answers slower than the lease lasts', (database) => {
  let store: Store;
  let platform: TestPlatform;
  const slow = new QueueingCluster();
  beforeAll(async () => {
    store = await database.open();
    // Each call to hefei-1 takes longer than the whole lease lifetime, and longer than a tick waits for a cluster.
    platform = await startPlatform(store, { leaseTtlMs: 600, passBudgetMs: 100, inventoryEveryMs: 200 });
    slow.delayMs = 900;
    platform.engines.use('hefei-1', slow);
  });
  afterAll(async () => {
    await platform.close();
    await store.close();
  });

  const submit = (model: string) => submitDemoJob(store, { resources: { accelerator: { model } }, script: 'echo ok' });

  it('holds up neither the lease nor the other clusters, and its own jobs still go there once', async () => {
    const onSlow = await submit('A100-80GB');
    const elsewhere = await submit('H100-SXM');
    await tickUntil(platform.loop, async () => (await store.jobs.get(ALL, elsewhere.id))?.state === 'succeeded');
    // The H100 job finished on wuhu-1 while every call to hefei-1 took longer than the lease lasts.
    expect((await store.jobs.get(ALL, elsewhere.id))?.clusterId).toBe('wuhu-1');
    await tickUntil(platform.loop, async () => (await store.jobs.get(ALL, onSlow.id))?.state === 'dispatched');
    const dispatched = (await store.jobs.get(ALL, onSlow.id))!;
    expect(dispatched.clusterId).toBe('hefei-1');
    // The slow submit outlived the lease lifetime; the loop renewed the lease instead of losing its claim.
    expect([...slow.jobs.values()].filter((j) => j.tag === dispatched.dispatchTag)).toHaveLength(1);
    expect(slow.jobs.size).toBe(1);
    expect((await platform.loop.tick()).leader).toBe(true);
    expect((await store.federation.getCluster('hefei-1'))?.healthy).toBe(true);
  });
});

describeEachDatabase('a member cluster whose job list is slow to read', (database) => {
  let store: Store;
  let platform: TestPlatform;
  const slow = new QueueingCluster();
  beforeAll(async () => {
    store = await database.open();
    platform = await startPlatform(store);
    platform.engines.use('hefei-1', slow);
  });
  afterAll(async () => {
    await platform.close();
    await store.close();
  });

  it('is read at most a quarter of the time, and still followed', async () => {
    const job = await submitDemoJob(store, { resources: { accelerator: { model: 'A100-80GB' } }, script: 'echo ok' });
    await tickUntil(platform.loop, async () => (await store.jobs.get(ALL, job.id))?.state === 'dispatched');
    // Every read now takes 200 ms: read back to back (the loop ticks every 50 ms here), 3 s would hold ~15 reads.
    slow.delayMs = 200;
    slow.statusCalls = 0;
    const until = Date.now() + 3_000;
    await tickUntil(platform.loop, async () => Date.now() > until);
    expect(slow.statusCalls).toBeGreaterThanOrEqual(1);
    expect(slow.statusCalls).toBeLessThanOrEqual(5);
    // Following goes on: the job that starts is seen running.
    slow.jobs.get([...slow.jobs.keys()][0]!)!.state = 'running';
    await tickUntil(platform.loop, async () => (await store.jobs.get(ALL, job.id))?.state === 'running', 10_000);
  });

  it('is not read on ticks that submissions ask for, for up to 5 s', async () => {
    slow.delayMs = 0;
    await platform.loop.tick();
    slow.statusCalls = 0;
    const onCluster = slow.jobs.size;
    // A stream of submissions for 2 s: at the loop's 50 ms interval that would be ~40 reads of the job list.
    const until = Date.now() + 2_000;
    let submitted = 0;
    while (Date.now() < until) {
      await submitDemoJob(store, { resources: { accelerator: { model: 'A100-80GB' } }, script: 'echo ok' });
      submitted++;
      await platform.loop.tick({ forSubmissions: true });
    }
    expect(submitted).toBeGreaterThan(5);
    expect(slow.statusCalls).toBe(0);
    // The stream's jobs still went to the cluster (as many as it has room for): placing and dispatching do not wait.
    expect(slow.jobs.size).toBeGreaterThan(onCluster);
    // A tick of the loop's own timer reads again.
    await platform.loop.tick();
    expect(slow.statusCalls).toBe(1);
  });
});
