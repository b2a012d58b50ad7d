/**
 * Queueing ahead on a cluster whose engine keeps its own queue: when nothing is free there, jobs go to that queue
 * up to the cluster's `queueAheadAccelerators`, without nodes; once the engine runs one, the nodes it chose are
 * recorded, so the scheduler counts them as taken.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ALL, type Store, type StoredJob } from '../../src/store/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { startPlatform, submitDemoJob, tickUntil, type TestPlatform } from '../helpers/platform.ts';
import { QueueingCluster } from '../helpers/queueing-cluster.ts';

/** Makes the demo's hefei-1 a Slurm-like cluster run by `queueing`, letting that many accelerators wait in its queue. */
async function useQueueingCluster(
  platform: TestPlatform,
  queueing: QueueingCluster,
  queueAheadAccelerators: number,
  more: Record<string, unknown> = {},
) {
  const hefei = (await platform.store.federation.getCluster('hefei-1'))!;
  await platform.store.federation.upsertCluster({
    id: hefei.id,
    name: hefei.name,
    engine: 'slurm',
    providerId: hefei.providerId,
    config: { queueAheadAccelerators, ...more },
  });
  platform.engines.use('hefei-1', queueing);
}

describeEachDatabase('queueing ahead in a cluster’s own queue', (database) => {
  let store: Store;
  let platform: TestPlatform;
  const queueing = new QueueingCluster();
  beforeAll(async () => {
    store = await database.open();
    platform = await startPlatform(store, { inventoryEveryMs: 100 });
    // hefei-1 becomes a one-node Slurm-like cluster (8 A100) that lets 16 accelerators wait in its queue.
    await useQueueingCluster(platform, queueing, 16);
  });
  afterAll(async () => {
    await platform.close();
    await store.close();
  });

  const submit = (name: string) =>
    submitDemoJob(
      store,
      {
        resources: { accelerator: { model: 'A100-80GB' }, acceleratorsPerNode: 8, nodes: 1 },
        constraints: { providers: ['hefei-aicc'] },
        script: 'echo ok',
      },
      { name },
    );

  it('fills the free node, queues up to the limit without nodes, and records the nodes the engine chose', async () => {
    const jobs = [await submit('first'), await submit('second'), await submit('third'), await submit('fourth')];
    const get = (i: number) => store.jobs.get(ALL, jobs[i]!.id);
    await tickUntil(platform.loop, async () => (await get(2))?.state === 'dispatched');
    expect((await get(0))?.nodeNames).toEqual(['q-n1']);
    for (const i of [1, 2]) {
      const job = (await get(i))!;
      expect(job).toMatchObject({ state: 'dispatched', clusterId: 'hefei-1', nodeNames: [] });
      const events = await store.jobs.events(job.id);
      expect(events.find((e) => e.to === 'admitted')?.reason).toMatch(/^queued on hefei-1\/a100/);
    }
    // 8 on the node and 16 in the queue: the fourth waits in suanli.
    await platform.loop.tick();
    expect((await get(3))?.state).toBe('pending');
    // What the engine was asked (submits go out side by side, so its order is not the queue's).
    const asked = new Map([...queueing.jobs.values()].map((j) => [j.tag, j.nodeNames]));
    const tags = await Promise.all([0, 1, 2].map(async (i) => (await get(i))!.dispatchTag));
    expect(tags.map((t) => asked.get(t!))).toEqual([['q-n1'], [], []]);

    // The engine starts the second job on the node it picked: suanli records it there.
    const second = (await get(1))!;
    const engineJob = queueing.jobs.get(second.engineJobId!)!;
    engineJob.state = 'running';
    engineJob.ranOn = ['q-n1'];
    await tickUntil(platform.loop, async () => (await get(1))?.state === 'running');
    expect((await get(1))?.nodeNames).toEqual(['q-n1']);
    expect((await store.jobs.events(second.id)).at(-1)?.reason).toBe('running on hefei-1 (q-n1)');
    // A queue slot freed (the second job holds a node now): the fourth goes to the queue.
    await tickUntil(platform.loop, async () => (await get(3))?.state === 'dispatched');
    expect((await get(3))?.nodeNames).toEqual([]);
  });
});

describeEachDatabase('dispatching a burst', (database) => {
  it.each([
    { title: 'as the loop is configured', loop: 4, cluster: undefined, expected: 4 },
    { title: 'as the cluster is configured, over the loop', loop: 2, cluster: 6, expected: 6 },
  ])('keeps several submits in flight, $title, and submits each job once', async (setting) => {
    const store = await database.open();
    const platform = await startPlatform(store, { inventoryEveryMs: 60_000, dispatchConcurrency: setting.loop });
    const queueing = new QueueingCluster();
    queueing.delayMs = 20;
    const own = setting.cluster === undefined ? {} : { dispatchConcurrency: setting.cluster };
    await useQueueingCluster(platform, queueing, 100, own);
    const jobs: StoredJob[] = [];
    for (let i = 0; i < 12; i++) {
      jobs.push(
        await submitDemoJob(
          store,
          {
            resources: { accelerator: { model: 'A100-80GB' }, acceleratorsPerNode: 1, nodes: 1 },
            constraints: { providers: ['hefei-aicc'] },
            script: 'echo ok',
          },
          { name: `burst-${i}` },
        ),
      );
    }
    await tickUntil(platform.loop, async () =>
      (await Promise.all(jobs.map((j) => store.jobs.get(ALL, j.id)))).every((j) => j?.state === 'dispatched'),
    );
    expect(queueing.jobs.size).toBe(12);
    // As many submits at once per cluster as configured.
    expect(queueing.maxSubmitsInFlight).toBe(setting.expected);
    await platform.close();
    await store.close();
  });
});
