/**
 * The whole platform with a Kubernetes member cluster: the cluster is connected through POST /api/v1/clusters
 * (pointing at the test API server), a job goes in through POST /api/v1/jobs, and the control loop places it,
 * creates its Job on the chosen nodes, follows it while the test plays the Job controller, scheduler and kubelet,
 * and meters its accelerator-seconds from the engine's accounting.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JobView } from '../../src/server/views.ts';
import { ALL, createStore, type Store } from '../../src/store/index.ts';
import { FakeKubeApiServer, SUANLI_ENGINE_RULES } from '../helpers/kube-apiserver/server.ts';
import { startPlatform, tickUntil, type TestPlatform } from '../helpers/platform.ts';

let fake: FakeKubeApiServer;
let store: Store;
let platform: TestPlatform;

beforeAll(async () => {
  fake = await FakeKubeApiServer.start();
  fake.addToken('engine-token', { user: 'system:serviceaccount:suanli:suanli-engine', rules: SUANLI_ENGINE_RULES });
  for (const name of ['mlu-1', 'mlu-2', 'mlu-3']) {
    fake.cluster.addNode({ name, labels: { 'suanli.io/pool': 'mlu590' }, allocatable: { 'cambricon.com/mlu': 8 } });
  }
  store = await createStore({});
  platform = await startPlatform(store);
});

afterAll(async () => {
  await platform?.close();
  await store?.close();
  await fake?.close();
});

const as = (user: string) => ({ authorization: `Bearer ${platform.token(user)}` });

it('runs a job on a Kubernetes cluster from submission to metered usage', async () => {
  // MLU590 exists nowhere in the demo federation: the job can only land on this cluster.
  const connected = await platform.app.inject({
    method: 'POST',
    url: '/api/v1/clusters',
    headers: as('office'),
    payload: {
      id: 'hefei-k8s',
      providerId: 'hefei-aicc',
      engine: 'kubernetes',
      config: {
        apiUrl: fake.url,
        namespace: 'suanli',
        token: 'engine-token',
        caData: Buffer.from(fake.caPem).toString('base64'),
        image: 'registry.example/train:1',
        pools: [
          {
            name: 'mlu590',
            acceleratorModel: 'MLU590',
            resourceName: 'cambricon.com/mlu',
            nodeSelector: 'suanli.io/pool=mlu590',
          },
        ],
      },
    },
  });
  expect(connected.statusCode, connected.body).toBe(201);
  expect(connected.json()).toEqual({
    registered: true,
    pools: [{ name: 'mlu590', acceleratorModel: 'MLU590', nodes: 3, accelerators: 24 }],
  });

  const submitted = await platform.app.inject({
    method: 'POST',
    url: '/api/v1/jobs',
    headers: as('qiming-ai-admin'),
    payload: {
      apiVersion: 'suanli.io/v1',
      kind: 'Job',
      metadata: { name: 'mlu-train', project: 'demo' },
      spec: {
        resources: { accelerator: { model: 'MLU590' }, acceleratorsPerNode: 4, nodes: 2 },
        timeLimit: '30m',
        command: ['python', 'train.py'],
      },
    },
  });
  expect(submitted.statusCode, submitted.body).toBe(201);
  const jobId = submitted.json<JobView>().id;
  const job = async () => (await store.jobs.get(ALL, jobId))!;

  await tickUntil(platform.loop, async () => (await job()).state === 'dispatched');
  const dispatched = await job();
  expect(dispatched.clusterId).toBe('hefei-k8s');
  expect(dispatched.nodeNames).toHaveLength(2);
  const name = dispatched.engineJobId!;
  expect(name).toBe(dispatched.dispatchTag);

  // Kubernetes runs it: the Job controller makes two pods, the scheduler binds them, the kubelets start them.
  fake.cluster.syncJob(name);
  fake.cluster.schedulePods(name);
  fake.cluster.startPods(name);
  await tickUntil(platform.loop, async () => (await job()).state === 'running');
  const podNodes = fake.cluster
    .podsOf(name)
    .map((p) => (p.spec as { nodeName: string }).nodeName)
    .sort();
  expect(podNodes).toEqual([...dispatched.nodeNames].sort());

  fake.cluster.advance(60);
  fake.cluster.exitPods(name, 0);
  fake.cluster.syncJob(name);
  await tickUntil(platform.loop, async () => (await job()).state === 'succeeded');

  let usage: Array<{ acceleratorModel: string; acceleratorCount: number; acceleratorSeconds: number }> = [];
  await tickUntil(platform.loop, async () => {
    const response = await platform.app.inject({
      method: 'GET',
      url: `/api/v1/usage?jobId=${jobId}`,
      headers: as('office'),
    });
    usage = response.json<{ items: typeof usage }>().items;
    return usage.length > 0;
  });
  expect(usage).toHaveLength(1);
  expect(usage[0]).toMatchObject({ acceleratorModel: 'MLU590', acceleratorCount: 8 });
  // 60 s (and at most a second or two of the test's own time) on 8 accelerators.
  expect(usage[0]!.acceleratorSeconds).toBeGreaterThanOrEqual(8 * 60);
  expect(usage[0]!.acceleratorSeconds).toBeLessThanOrEqual(8 * 63);
});
