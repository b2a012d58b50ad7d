/**
 * The Kubernetes engine: pure tests of its manifests and state mapping, then the engine against the test API server
 * (test/helpers/kube-apiserver), whose Job controller, scheduler and kubelet steps each test drives by hand. The
 * engine's token has exactly the RBAC rules docs/kubernetes.md tells providers to grant.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobSpec } from '../../src/core/domain.ts';
import { EngineRejection } from '../../src/engines/engine.ts';
import { validateKubernetesEngineConfig } from '../../src/engines/kubernetes/config.ts';
import type { KubernetesEngineConfig } from '../../src/engines/kubernetes/config.ts';
import { createKubernetesEngine, type KubernetesEngine } from '../../src/engines/kubernetes/engine.ts';
import { expiredSuspendedJobs } from '../../src/engines/kubernetes/cleanup.ts';
import { jobManifest, jobNameForTag } from '../../src/engines/kubernetes/manifests.ts';
import type { KubeJob, KubePod } from '../../src/engines/kubernetes/objects.ts';
import { accountingRecord, jobStatus, nodeOf } from '../../src/engines/kubernetes/states.ts';
import { FakeKubeApiServer, SUANLI_ENGINE_RULES } from '../helpers/kube-apiserver/server.ts';

function spec(overrides: Partial<JobSpec> = {}): JobSpec {
  return {
    apiVersion: 'suanli.io/v1',
    kind: 'Job',
    name: 'k8s-test',
    project: 'p',
    accelerator: {},
    acceleratorsPerNode: 4,
    nodes: 1,
    timeLimitSeconds: 120,
    command: ['python', 'train.py', '--epochs', '3'],
    env: {},
    priorityClass: 'normal',
    constraints: {},
    ...overrides,
  };
}

const H100 = { name: 'h100', acceleratorModel: 'H100-SXM', resourceName: 'nvidia.com/gpu' };

function manifest(overrides: Partial<Parameters<typeof jobManifest>[0]> = {}): KubeJob {
  return jobManifest({
    jobId: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
    tag: 'suanli-0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b-1',
    spec: spec(),
    pool: H100,
    nodeNames: ['h1'],
    namespace: 'suanli',
    image: 'registry.example/train:1',
    ttlSecondsAfterFinished: 604800,
    terminationGracePeriodSeconds: 30,
    ...overrides,
  });
}

describe('kubernetes manifests and states (pure)', () => {
  it('names a Job after its dispatch tag, or a digest of a tag that cannot be a name', () => {
    const tag = 'suanli-0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b-12';
    expect(jobNameForTag(tag)).toBe(tag);
    const odd = jobNameForTag('Suanli_Job/with spaces and a very long tail that goes on and on');
    expect(odd).toMatch(/^suanli-[0-9a-f]{40}$/);
    expect(jobNameForTag('Suanli_Job/with spaces and a very long tail that goes on and on')).toBe(odd);
  });

  it('makes one Indexed Job with a pod pinned to each chosen node', () => {
    const job = manifest({
      spec: spec({ nodes: 2, env: { SUANLI_NNODES: 'mine', NCCL_DEBUG: 'INFO' } }),
      nodeNames: ['h2', 'h1'],
    });
    expect(job.spec).toMatchObject({
      completionMode: 'Indexed',
      completions: 2,
      parallelism: 2,
      backoffLimit: 0,
      activeDeadlineSeconds: 120,
      ttlSecondsAfterFinished: 604800,
    });
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.subdomain).toBe(job.metadata.name);
    expect(pod.affinity).toEqual({
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['h2'] }] },
            { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['h1'] }] },
          ],
        },
      },
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          {
            labelSelector: { matchLabels: { 'suanli.io/engine-job': job.metadata.name } },
            topologyKey: 'kubernetes.io/hostname',
          },
        ],
      },
    });
    const container = pod.containers[0]!;
    expect(container.command).toEqual(['python', 'train.py', '--epochs', '3']);
    expect(container.resources).toEqual({ limits: { 'nvidia.com/gpu': '4' } });
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      SUANLI_JOB_ID: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
      SUANLI_NNODES: 'mine', // the spec's own variable wins
      NCCL_DEBUG: 'INFO',
      SUANLI_ACCELERATORS: '4',
      SUANLI_ACCELERATOR_MODEL: 'H100-SXM',
      SUANLI_MASTER_ADDR: `${job.metadata.name}-0.${job.metadata.name}`,
      SUANLI_NODE_RANK: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } },
    });
    expect((container.env ?? []).filter((e) => e.name === 'SUANLI_NNODES')).toHaveLength(1);
  });

  it('runs a script with /bin/sh and refuses what it cannot run', () => {
    const job = manifest({ spec: spec({ command: undefined, script: 'echo hi\n' }) });
    expect(job.spec.template.spec.containers[0]!.command).toEqual(['/bin/sh', '-c', 'echo hi\n']);
    expect(() => manifest({ image: undefined })).toThrow(EngineRejection);
    expect(() => manifest({ image: undefined })).toThrow(/no default image configured: give the job an image/);
    expect(manifest({ image: undefined, spec: spec({ image: 'own:2' }) }).spec.template.spec.containers[0]!.image).toBe(
      'own:2',
    );
    expect(() => manifest({ spec: spec({ nodes: 2 }), nodeNames: ['h1'] })).toThrow(
      /1 nodes named for a job of 2 nodes/,
    );
  });

  it('maps Job conditions and pods onto engine states', () => {
    const job = manifest();
    const at = (s: string) => new Date(s);
    const pod = (phase: string, extra: Partial<KubePod['status']> = {}): KubePod => ({
      metadata: { name: 'p0', annotations: { 'batch.kubernetes.io/job-completion-index': '0' } },
      spec: { containers: [], nodeName: 'h1' },
      status: { phase: phase as 'Running', ...extra },
    });
    const withStatus = (status: KubeJob['status'], suspend = false): KubeJob => ({
      ...job,
      spec: { ...job.spec, suspend },
      status,
    });
    expect(jobStatus('j', withStatus({}), []).state).toBe('queued');
    const unschedulable = pod('Pending', {
      conditions: [
        { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' },
      ],
    });
    expect(
      jobStatus('j', withStatus({ startTime: '2026-01-01T00:00:00Z' }), [
        { ...unschedulable, spec: { containers: [] } },
      ]),
    ).toMatchObject({
      state: 'queued',
      reason: 'Unschedulable: 0/3 nodes are available',
      startedAt: null,
    });
    expect(jobStatus('j', withStatus({ startTime: '2026-01-01T00:00:00Z' }), [pod('Running')])).toMatchObject({
      state: 'running',
      startedAt: at('2026-01-01T00:00:00Z'),
      nodeNames: ['h1'],
    });
    const done = {
      startTime: '2026-01-01T00:00:00Z',
      completionTime: '2026-01-01T00:01:30Z',
      conditions: [{ type: 'Complete', status: 'True' as const }],
    };
    expect(jobStatus('j', withStatus(done), [])).toMatchObject({
      state: 'succeeded',
      exitCode: 0,
      endedAt: at('2026-01-01T00:01:30Z'),
    });
    const failed = (reason: string) => ({
      startTime: '2026-01-01T00:00:00Z',
      conditions: [
        { type: 'Failed', status: 'True' as const, reason, message: 'm', lastTransitionTime: '2026-01-01T00:02:00Z' },
      ],
    });
    const exited = pod('Failed', { containerStatuses: [{ name: 'job', state: { terminated: { exitCode: 3 } } }] });
    expect(jobStatus('j', withStatus(failed('BackoffLimitExceeded')), [exited])).toMatchObject({
      state: 'failed',
      exitCode: 3,
      reason: 'exit code 3 on rank 0: BackoffLimitExceeded: m',
    });
    expect(jobStatus('j', withStatus(failed('DeadlineExceeded')), [])).toMatchObject({
      state: 'timeout',
      reason: 'DeadlineExceeded: m',
    });
    const suspended = {
      startTime: '2026-01-01T00:00:00Z',
      conditions: [
        {
          type: 'Suspended',
          status: 'True' as const,
          reason: 'JobSuspended',
          lastTransitionTime: '2026-01-01T00:00:40Z',
        },
      ],
    };
    expect(jobStatus('j', withStatus(suspended, true), [pod('Running')]).state).toBe('running');
    // Its pods are gone, so no start is claimed: a Job cancelled while its pods waited is not metered from startTime.
    expect(jobStatus('j', withStatus(suspended, true), [])).toMatchObject({
      state: 'cancelled',
      startedAt: null,
      endedAt: at('2026-01-01T00:00:40Z'),
    });
  });

  it('accounts a finished Job from its own times and its pods’ accelerators', () => {
    const job = manifest({ spec: spec({ nodes: 2 }), nodeNames: ['h1', 'h2'] });
    expect(accountingRecord('j', { ...job, status: { startTime: '2026-01-01T00:00:00Z', active: 2 } })).toBeNull();
    const record = accountingRecord('j', {
      ...job,
      status: {
        startTime: '2026-01-01T00:00:00Z',
        completionTime: '2026-01-01T00:01:30Z',
        conditions: [{ type: 'Complete', status: 'True' }],
      },
    });
    expect(record).toMatchObject({
      elapsedSeconds: 90,
      accelerators: [{ model: 'H100-SXM', count: 8 }],
      state: 'succeeded',
      exitCode: 0,
    });
    const stopping = {
      ...job,
      spec: { ...job.spec, suspend: true },
      status: {
        startTime: '2026-01-01T00:00:00Z',
        terminating: 1,
        conditions: [{ type: 'Suspended', status: 'True' as const, lastTransitionTime: '2026-01-01T00:00:10Z' }],
      },
    };
    expect(accountingRecord('j', stopping)).toBeNull();
    expect(accountingRecord('j', { ...stopping, status: { ...stopping.status, terminating: 0 } })).toMatchObject({
      state: 'cancelled',
      elapsedSeconds: 10,
    });
  });

  it('picks the suspended Jobs past the retention: suanli’s own, suspended (not resumed), not finished', () => {
    const at = Date.parse('2026-03-01T00:00:00Z');
    const job = (name: string, suspend: boolean, conditions: Array<[string, 'True' | 'False', number]>) => {
      const j = manifest({ tag: name });
      j.spec.suspend = suspend;
      j.status = {
        conditions: conditions.map(([type, status, s]) => ({
          type,
          status,
          lastTransitionTime: new Date(at + s * 1000).toISOString(),
        })),
      };
      return j;
    };
    const jobs = [
      job('suanli-old', true, [['Suspended', 'True', 0]]),
      job('suanli-young', true, [['Suspended', 'True', 1]]),
      job('suanli-resumed', false, [['Suspended', 'False', 0]]),
      job('suanli-not-yet', true, []), // suspended before the Job controller saw it
      job('suanli-finished', true, [
        ['Suspended', 'True', 0],
        ['Complete', 'True', 0],
      ]),
      { ...job('theirs', true, [['Suspended', 'True', 0]]), metadata: { name: 'theirs', labels: { app: 'theirs' } } },
    ];
    expect(expiredSuspendedJobs(jobs, at + 3600_000, 3600)).toEqual(['suanli-old']);
  });

  it('maps node readiness, cordons and missing devices', () => {
    const node = (ready: string, unschedulable = false, gpus = '8') => ({
      metadata: { name: 'n' },
      spec: { unschedulable },
      status: { allocatable: { 'nvidia.com/gpu': gpus }, conditions: [{ type: 'Ready', status: ready as 'True' }] },
    });
    expect(nodeOf(node('True'), 'nvidia.com/gpu')).toEqual({ name: 'n', accelerators: 8, state: 'idle' });
    expect(nodeOf(node('True', true), 'nvidia.com/gpu').state).toBe('drained');
    expect(nodeOf(node('Unknown'), 'nvidia.com/gpu').state).toBe('down');
    expect(nodeOf(node('True', false, '0'), 'nvidia.com/gpu').state).toBe('down');
  });

  it('refuses a configuration it cannot serve, naming the field', () => {
    const base: KubernetesEngineConfig = {
      name: 'hf',
      apiUrl: 'https://10.0.0.1:6443',
      namespace: 'suanli',
      tokenFile: '/t',
      pools: [{ ...H100, nodeSelector: 'suanli.io/pool=h100' }],
    };
    expect(() => validateKubernetesEngineConfig(base)).not.toThrow();
    const cases: Array<[Partial<KubernetesEngineConfig>, RegExp]> = [
      [{ apiUrl: 'not a url' }, /apiUrl "not a url" is not a URL/],
      [{ namespace: 'Suanli' }, /namespace "Suanli" is not a Kubernetes namespace name/],
      [{ tokenFile: undefined }, /a token or a tokenFile is required/],
      [{ pools: [] }, /pools must list at least one pool/],
      [
        { pools: [{ ...H100, acceleratorModel: 'GTX-1080', nodeSelector: 'a=b' }] },
        /pools\[0\]\.acceleratorModel "GTX-1080" is not in the accelerator catalogue/,
      ],
      [
        { pools: [{ ...H100, resourceName: 'gpu', nodeSelector: 'a=b' }] },
        /pools\[0\]\.resourceName "gpu" must be an extended resource/,
      ],
      [{ pools: [{ ...H100, nodeSelector: '' }] }, /pools\[0\]\.nodeSelector must be a label selector/],
      [{ terminationGracePeriodSeconds: 0 }, /terminationGracePeriodSeconds must be a whole number from 1/],
      [{ caFile: '/ca', caData: 'x' }, /caFile or caData, not both/],
      [{ caData: 'bm90IGEgY2VydA==' }, /caData must be a base64-encoded PEM certificate/],
      [{ queueAheadAccelerators: 8 } as Partial<KubernetesEngineConfig>, /queueAheadAccelerators is not supported/],
    ];
    for (const [change, message] of cases) {
      expect(() => validateKubernetesEngineConfig({ ...base, ...change }), String(message)).toThrow(message);
    }
  });
});

describe('kubernetes engine against the test API server', () => {
  let fake: FakeKubeApiServer;
  let engine: KubernetesEngine;
  let counter = 0;
  const config = (overrides: Partial<KubernetesEngineConfig> = {}): KubernetesEngineConfig => ({
    name: 'hefei-k8s',
    apiUrl: fake.url,
    namespace: 'suanli',
    token: 'engine-token',
    caData: Buffer.from(fake.caPem).toString('base64'),
    image: 'registry.example/train:1',
    pools: [
      { ...H100, nodeSelector: 'suanli.io/pool=h100' },
      {
        name: 'ascend',
        acceleratorModel: 'Ascend-910B',
        resourceName: 'huawei.com/Ascend910',
        nodeSelector: 'suanli.io/pool=ascend',
      },
    ],
    ...overrides,
  });
  const nextTag = () => `suanli-0190a1b2-c3d4-7e5f-8a9b-${String(++counter).padStart(12, '0')}-1`;
  const submit = async (nodeNames: string[], overrides: Partial<JobSpec> = {}, tag = nextTag()) => {
    const { engineJobId } = await engine.submit({
      jobId: `job-${counter}`,
      tag,
      spec: spec({ nodes: nodeNames.length, ...overrides }),
      pool: 'h100',
      nodeNames,
    });
    return { engineJobId, tag };
  };
  /** The Job controller creates the pods, the scheduler binds them, the kubelet starts them. */
  const run = (name: string) => {
    fake.cluster.syncJob(name);
    fake.cluster.schedulePods(name);
    fake.cluster.startPods(name);
    fake.cluster.syncJob(name);
  };

  beforeAll(async () => {
    fake = await FakeKubeApiServer.start();
    fake.addToken('engine-token', { user: 'system:serviceaccount:suanli:suanli-engine', rules: SUANLI_ENGINE_RULES });
    fake.addToken('no-rights', { user: 'system:serviceaccount:suanli:default', rules: [] });
    for (const name of ['h1', 'h2', 'h3']) {
      fake.cluster.addNode({
        name,
        labels: { 'suanli.io/pool': 'h100' },
        allocatable: { 'nvidia.com/gpu': 8 },
        unschedulable: name === 'h3',
      });
    }
    fake.cluster.addNode({
      name: 'a1',
      labels: { 'suanli.io/pool': 'ascend' },
      allocatable: { 'huawei.com/Ascend910': 8 },
      ready: false,
    });
    fake.cluster.addNode({ name: 'cpu1' });
    engine = createKubernetesEngine(config());
  });
  afterAll(async () => {
    await engine?.close();
    await fake?.close();
  });

  it('reads each pool’s nodes by its selector, with readiness and cordons', async () => {
    expect(await engine.inventory()).toEqual({
      pools: [
        {
          name: 'h100',
          acceleratorModel: 'H100-SXM',
          nodes: [
            { name: 'h1', accelerators: 8, state: 'idle' },
            { name: 'h2', accelerators: 8, state: 'idle' },
            { name: 'h3', accelerators: 8, state: 'drained' },
          ],
        },
        { name: 'ascend', acceleratorModel: 'Ascend-910B', nodes: [{ name: 'a1', accelerators: 8, state: 'down' }] },
      ],
    });
  });

  it('submits once per dispatch tag: a repeated submit finds the same Job', async () => {
    const tag = nextTag();
    const first = await submit(['h1'], {}, tag);
    const again = await submit(['h1'], {}, tag);
    expect(again.engineJobId).toBe(first.engineJobId);
    expect(first.engineJobId).toBe(tag);
    expect([...fake.cluster.jobs.keys()].filter((k) => k === `suanli/${tag}`)).toHaveLength(1);
    expect(fake.calls('POST', '/apis/batch/v1/namespaces/suanli/jobs').length).toBeGreaterThanOrEqual(2);
    expect(await engine.findByTag(tag)).toMatchObject({ engineJobId: tag, tag, state: 'queued' });
    expect(await engine.findByTag(nextTag())).toBeNull();
    const listed = await engine.listTagged('suanli-0190a1b2', new Date(0));
    expect(listed.map((s) => s.tag)).toContain(tag);
  });

  it('places the pods on exactly the nodes the scheduler chose, one per node', async () => {
    const { engineJobId } = await submit(['h2', 'h1']);
    run(engineJobId);
    const status = (await engine.status([engineJobId]))[0]!;
    expect(status).toMatchObject({ state: 'running', nodeNames: ['h1', 'h2'] });
    expect(fake.cluster.services.has(`suanli/${engineJobId}`)).toBe(true);
    const pods = fake.cluster.podsOf(engineJobId);
    expect(pods.map((p) => (p.spec as { hostname: string }).hostname).sort()).toEqual([
      `${engineJobId}-0`,
      `${engineJobId}-1`,
    ]);
    fake.cluster.exitPods(engineJobId, 0);
    fake.cluster.syncJob(engineJobId);
  });

  it('follows a run from queued to running to succeeded, and accounts it', async () => {
    const { engineJobId, tag } = await submit(['h1']);
    expect((await engine.status([engineJobId]))[0]).toMatchObject({
      state: 'queued',
      reason: 'waiting for the Job controller to create pods',
    });
    fake.cluster.syncJob(engineJobId);
    expect((await engine.status([engineJobId]))[0]!.state).toBe('queued');
    fake.cluster.schedulePods(engineJobId);
    fake.cluster.startPods(engineJobId);
    const running = (await engine.status([engineJobId]))[0]!;
    expect(running).toMatchObject({ state: 'running', tag, nodeNames: ['h1'], endedAt: null });
    expect(await engine.accounting(engineJobId)).toBeNull();
    fake.cluster.advance(90);
    fake.cluster.exitPods(engineJobId, 0);
    fake.cluster.syncJob(engineJobId);
    const done = (await engine.status([engineJobId]))[0]!;
    expect(done).toMatchObject({ state: 'succeeded', exitCode: 0 });
    expect((done.endedAt!.getTime() - done.startedAt!.getTime()) / 1000).toBeGreaterThanOrEqual(90);
    const record = await engine.accounting(engineJobId);
    expect(record).toMatchObject({
      engineJobId,
      tag,
      state: 'succeeded',
      accelerators: [{ model: 'H100-SXM', count: 4 }],
    });
    expect(record!.elapsedSeconds).toBeGreaterThanOrEqual(90);
    expect(record!.elapsedSeconds).toBeLessThanOrEqual(92);
  });

  it('reports the failing rank’s exit code once its other ranks have stopped', async () => {
    const { engineJobId } = await submit(['h1', 'h2'], { acceleratorsPerNode: 1 });
    run(engineJobId);
    fake.cluster.exitPods(engineJobId, { 1: 3 });
    fake.cluster.syncJob(engineJobId); // FailureTarget: rank 0 is being stopped
    expect((await engine.status([engineJobId]))[0]!.state).toBe('running');
    expect(fake.cluster.signals.filter((s) => s.job === engineJobId)).toHaveLength(1);
    fake.cluster.finishTermination(engineJobId);
    fake.cluster.syncJob(engineJobId);
    expect((await engine.status([engineJobId]))[0]).toMatchObject({
      state: 'failed',
      exitCode: 3,
      reason: 'exit code 3 on rank 1: BackoffLimitExceeded: Job has reached the specified backoff limit',
    });
  });

  it('says timeout when the Job runs past its time limit', async () => {
    const { engineJobId } = await submit(['h1'], { acceleratorsPerNode: 1, timeLimitSeconds: 60 });
    run(engineJobId);
    fake.cluster.advance(61);
    fake.cluster.syncJob(engineJobId);
    fake.cluster.finishTermination(engineJobId);
    fake.cluster.syncJob(engineJobId);
    expect((await engine.status([engineJobId]))[0]).toMatchObject({
      state: 'timeout',
      reason: 'DeadlineExceeded: Job was active longer than specified deadline',
    });
    expect((await engine.accounting(engineJobId))!.state).toBe('timeout');
  });

  it('cancels with a preemption’s grace: SIGTERM, then the kill after the grace, and repeating changes nothing', async () => {
    const { engineJobId } = await submit(['h2'], { acceleratorsPerNode: 1 });
    run(engineJobId);
    await engine.cancel(engineJobId, { graceSeconds: 10 });
    expect(fake.cluster.job(engineJobId).spec).toMatchObject({ suspend: true });
    expect(fake.cluster.signals.filter((s) => s.job === engineJobId).map((s) => s.graceSeconds)).toEqual([10]);
    fake.cluster.syncJob(engineJobId); // the Job controller sees the suspension; the pod already stops with 10 s
    expect(fake.cluster.signals.filter((s) => s.job === engineJobId).map((s) => s.graceSeconds)).toEqual([10]);
    const deletes = fake.calls('DELETE', '/api/v1/namespaces/suanli/pods').length;
    await engine.cancel(engineJobId, { graceSeconds: 10 });
    await engine.cancel(engineJobId, { graceSeconds: 20 });
    expect(fake.calls('DELETE', '/api/v1/namespaces/suanli/pods').length).toBe(deletes);
    expect((await engine.status([engineJobId]))[0]).toMatchObject({
      state: 'running',
      reason: 'stopping: cancelled by suanli',
    });
    expect(await engine.accountingMany([engineJobId])).toEqual([]);
    fake.cluster.finishTermination(engineJobId);
    fake.cluster.syncJob(engineJobId);
    expect((await engine.status([engineJobId]))[0]).toMatchObject({ state: 'cancelled', reason: 'JobSuspended' });
    expect((await engine.accounting(engineJobId))!.state).toBe('cancelled');
  });

  it('cancels without a grace by the pods’ own termination grace, and a longer grace cannot be given', async () => {
    const { engineJobId } = await submit(['h1'], { acceleratorsPerNode: 1 });
    run(engineJobId);
    await engine.cancel(engineJobId, { graceSeconds: 600 });
    fake.cluster.syncJob(engineJobId);
    expect(fake.cluster.signals.filter((s) => s.job === engineJobId).map((s) => s.graceSeconds)).toEqual([30]);
    await engine.cancel(engineJobId, { graceSeconds: 0 }); // the grace is over: the kill, within a second
    expect(fake.cluster.signals.filter((s) => s.job === engineJobId).map((s) => s.graceSeconds)).toEqual([1]);
    fake.cluster.finishTermination(engineJobId, 137);
    fake.cluster.syncJob(engineJobId);
    expect((await engine.status([engineJobId]))[0]!.state).toBe('cancelled');
    await engine.cancel(engineJobId); // a finished run: nothing to do
  });

  it('meters many runs with one list call, and reports Jobs Kubernetes no longer has as lost', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { engineJobId } = await submit(['h1'], { acceleratorsPerNode: 1 });
      run(engineJobId);
      fake.cluster.exitPods(engineJobId, 0);
      fake.cluster.syncJob(engineJobId);
      ids.push(engineJobId);
    }
    const before = fake.requests.length;
    const records = await engine.accountingMany([...ids, 'suanli-never-submitted']);
    expect(records.map((r) => r.engineJobId).sort()).toEqual([...ids].sort());
    expect(fake.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /apis/batch/v1/namespaces/suanli/jobs',
    ]);
    fake.cluster.advance(8 * 24 * 3600);
    fake.cluster.runTtlController();
    const statuses = await engine.status([ids[0]!, 'NOT a name']);
    expect(statuses[0]).toMatchObject({ state: 'lost', reason: expect.stringContaining('TTL') });
    expect(statuses[1]).toMatchObject({ state: 'lost', reason: 'not a Kubernetes Job name' });
  });

  describe('removing Jobs a cancel suspended, once kept as long as finished ones', () => {
    const TTL = 3600;
    /** An engine on the fake's clock that looks for them on every inventory, with its failures collected. */
    const sweeping = (overrides: Partial<KubernetesEngineConfig> = {}) => {
      const errors: unknown[] = [];
      const sweeper = createKubernetesEngine(config({ finishedJobTtlSeconds: TTL, ...overrides }), {
        now: () => fake.cluster.now(),
        cleanupEveryMs: 0,
        onCleanupError: (error) => errors.push(error),
      });
      return { sweeper, errors };
    };
    /** A run its cancel has stopped: the Job suspended, its pods gone. */
    const cancelled = async (nodeNames: string[]) => {
      const { engineJobId } = await submit(nodeNames, { acceleratorsPerNode: 1 });
      run(engineJobId);
      await engine.cancel(engineJobId);
      fake.cluster.syncJob(engineJobId);
      fake.cluster.finishTermination(engineJobId);
      fake.cluster.syncJob(engineJobId);
      expect((await engine.status([engineJobId]))[0]!.state).toBe('cancelled');
      return engineJobId;
    };
    const exists = (name: string) => fake.cluster.jobs.has(`suanli/${name}`);

    it('deletes suanli’s suspended Jobs past the retention, with their pods and Service, and nothing else', async () => {
      const old = await cancelled(['h1', 'h2']); // two nodes: it owns a headless Service
      expect([...fake.cluster.services.keys()]).toContain(`suanli/${old}`);
      const finished = (await submit(['h1'], { acceleratorsPerNode: 1 })).engineJobId;
      run(finished);
      fake.cluster.exitPods(finished, 0);
      fake.cluster.syncJob(finished);
      // Someone else's Job in the namespace, suspended as long: not suanli's to delete.
      const theirs = manifest({ tag: 'their-own-job', nodeNames: ['h1'] });
      theirs.metadata = { name: 'their-own-job', labels: { app: 'theirs' } };
      fake.cluster.createJob('suanli', theirs as unknown as Record<string, unknown>);
      run('their-own-job');
      (fake.cluster.job('their-own-job').spec as { suspend: boolean }).suspend = true;
      fake.cluster.syncJob('their-own-job');
      fake.cluster.advance(TTL);
      const young = await cancelled(['h1']);

      // The first round comes an interval after an engine is built: a one-call probe deletes nothing.
      const probe = createKubernetesEngine(config({ finishedJobTtlSeconds: TTL }), { now: () => fake.cluster.now() });
      await probe.inventory();
      await probe.close();
      expect(exists(old)).toBe(true);

      const { sweeper, errors } = sweeping();
      const inventory = await sweeper.inventory();
      expect(inventory.pools.map((p) => p.name)).toEqual(['h100', 'ascend']);
      expect(errors).toEqual([]);
      expect(exists(old)).toBe(false);
      expect([...fake.cluster.pods.keys()].filter((key) => key.startsWith(`suanli/${old}-`))).toEqual([]);
      expect([...fake.cluster.services.keys()]).not.toContain(`suanli/${old}`);
      // Each by itself with background propagation; among them the earlier tests' cancelled runs, as old by now.
      const deletes = fake.calls('DELETE', '/apis/batch/v1/namespaces/suanli/jobs/');
      expect(deletes.map((d) => d.path)).toContain(`/apis/batch/v1/namespaces/suanli/jobs/${old}`);
      for (const d of deletes) expect(d.query).toEqual({ propagationPolicy: 'Background' });
      // Younger than the retention; finished (Kubernetes' TTL controller removes it); not created by suanli.
      expect([young, finished, 'their-own-job'].filter(exists)).toEqual([young, finished, 'their-own-job']);
      await sweeper.close();
    });

    it('never fails the inventory it rides on: a refused delete is retried on the next round', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'suanli-k8s-token-'));
      const tokenFile = join(dir, 'token');
      // The Role granted before the engine deleted Jobs: no `delete` on jobs.
      const olderRole = SUANLI_ENGINE_RULES.map((r) =>
        r.resources.includes('jobs') ? { ...r, verbs: r.verbs.filter((v) => v !== 'delete') } : r,
      );
      fake.addToken('older-role', { user: 'system:serviceaccount:suanli:suanli-engine', rules: olderRole });
      writeFileSync(tokenFile, 'older-role');
      const old = await cancelled(['h1']);
      fake.cluster.advance(TTL);
      const { sweeper, errors } = sweeping({ token: undefined, tokenFile });
      expect((await sweeper.inventory()).pools).toHaveLength(2);
      // The first refused delete is reported and ends the round (the rest would be refused too); the call succeeds.
      expect(errors).toHaveLength(1);
      expect(String(errors[0])).toMatch(
        /DELETE \/apis\/batch\/v1\/namespaces\/suanli\/jobs\/.* failed: HTTP 403 Forbidden/,
      );
      expect(exists(old)).toBe(true);
      // Without a handler of its own the engine says it through `warn` (the server's log).
      const warnings: string[] = [];
      const logged = createKubernetesEngine(config({ finishedJobTtlSeconds: TTL, token: undefined, tokenFile }), {
        now: () => fake.cluster.now(),
        cleanupEveryMs: 0,
        warn: (message) => warnings.push(message),
      });
      await logged.inventory();
      await logged.close();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(
        /: removing suspended Jobs past their retention failed \(retried next round\): .*403/,
      );
      writeFileSync(tokenFile, 'engine-token'); // the provider grants the right
      await sweeper.inventory();
      expect(exists(old)).toBe(false);
      await sweeper.close();
      rmSync(dir, { recursive: true, force: true });
    });
  });

  it('reads the ranks’ logs, rank 0 first, and their tails', async () => {
    const { engineJobId } = await submit(['h1', 'h2'], { acceleratorsPerNode: 1 });
    fake.cluster.syncJob(engineJobId);
    fake.cluster.schedulePods(engineJobId);
    expect(await engine.logs(engineJobId)).toMatch(
      /==> rank 0 .*\n\(no log: container "job" in pod .* is waiting to start: ContainerCreating\)/,
    );
    fake.cluster.startPods(engineJobId);
    fake.cluster.writeLog(engineJobId, 1, 'rank one\n');
    fake.cluster.writeLog(engineJobId, 0, 'epoch 1\nepoch 2\nepoch 3\n');
    const all = await engine.logs(engineJobId);
    expect(all.indexOf('==> rank 0')).toBeLessThan(all.indexOf('==> rank 1'));
    expect(all).toContain('epoch 1\nepoch 2\nepoch 3\n');
    // 16 bytes over two ranks: the last 8 bytes of each.
    expect(await engine.logs(engineJobId, { tailBytes: 16 })).toMatch(
      /==> rank 0 [^\n]*\nepoch 3\n\n==> rank 1 [^\n]*\nank one\n$/,
    );
    fake.cluster.exitPods(engineJobId, 0);
    fake.cluster.syncJob(engineJobId);
  });

  it('refuses a spec it cannot run, in the API server’s words when the API server refuses it', async () => {
    const noImage = createKubernetesEngine(config({ image: undefined }));
    await expect(
      noImage.submit({ jobId: 'j', tag: nextTag(), spec: spec(), pool: 'h100', nodeNames: ['h1'] }),
    ).rejects.toThrow(EngineRejection);
    await noImage.close();
    const badEnv = submit(['h1'], { env: { '1BAD': 'x' } });
    await expect(badEnv).rejects.toThrow(EngineRejection);
    await expect(submit(['h1'], { env: { '1BAD': 'x' } })).rejects.toThrow(
      /HTTP 422 Invalid: Job\.batch ".*" is invalid: spec\.template\.spec\.containers\[0\]\.env\[\d+\]\.name: Invalid value: "1BAD"/,
    );
    await expect(
      engine.submit({ jobId: 'j', tag: nextTag(), spec: spec(), pool: 'v100', nodeNames: ['h1'] }),
    ).rejects.toThrow(/no pool "v100"/);
    const queued = await submit(['h1'], { acceleratorsPerNode: 9 });
    fake.cluster.syncJob(queued.engineJobId);
    fake.cluster.schedulePods(queued.engineJobId);
    expect((await engine.status([queued.engineJobId]))[0]).toMatchObject({
      state: 'queued',
      reason: expect.stringContaining('Unschedulable: 0/5 nodes are available'),
    });
  });

  it('surfaces a wrong token, a missing permission and an untrusted certificate clearly', async () => {
    const wrong = createKubernetesEngine(config({ token: 'expired' }));
    await expect(wrong.inventory()).rejects.toThrow(
      'kubernetes cluster hefei-k8s: GET /api/v1/nodes failed: HTTP 401 Unauthorized: Unauthorized (the token is wrong or expired: check tokenFile)',
    );
    await wrong.close();
    const bare = createKubernetesEngine(config({ token: 'no-rights' }));
    await expect(bare.inventory()).rejects.toThrow(
      /HTTP 403 Forbidden: nodes is forbidden: User "system:serviceaccount:suanli:default" cannot list resource "nodes" in API group "" at the cluster scope \(the ServiceAccount lacks a permission/,
    );
    await bare.close();
    const untrusting = createKubernetesEngine(config({ caData: undefined }));
    await expect(untrusting.inventory()).rejects.toThrow(
      /cannot reach the API server at https:\/\/127\.0\.0\.1:\d+ \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)/,
    );
    await untrusting.close();
  });
});
