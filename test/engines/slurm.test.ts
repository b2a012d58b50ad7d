/**
 * The Slurm engine. Unit tests of the mappings always run; the rest runs against the real daemons of the lab
 * started by scripts/slurm-up (SUANLI_SLURM_LAB = its lab.json, default /tmp/suanli-slurm-lab/lab.json).
 */
import diagnostics from 'node:diagnostics_channel';
import { existsSync, readFileSync } from 'node:fs';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAccelerator } from '../../src/core/accelerators.ts';
import type { JobSpec } from '../../src/core/domain.ts';
import { EngineRejection } from '../../src/engines/engine.ts';
import type { EngineJobState, EngineJobStatus } from '../../src/engines/engine.ts';
import { createSlurmEngine } from '../../src/engines/slurm/engine.ts';
import type { SlurmEngine } from '../../src/engines/slurm/engine.ts';
import { validateSlurmEngineConfig } from '../../src/engines/slurm/config.ts';
import { batchScript, expandOutputPath, shellQuote, timeLimitMinutes } from '../../src/engines/slurm/script.ts';
import { decodeWaitStatus, mapJobState, mapNodeState } from '../../src/engines/slurm/states.ts';
import { parseGpuGres, submissionBody, toDbJob } from '../../src/engines/slurm/v0038.ts';
import {
  compareVersions,
  pickVersion,
  servedVersionsFromPaths,
  SUPPORTED_VERSIONS,
} from '../../src/engines/slurm/versions.ts';
import {
  describeLab,
  labCluster,
  labPid,
  labTitle,
  pidAlive,
  sleep,
  slurmCommand,
  slurmUp,
  waitFor,
  waitUntil,
} from '../helpers/slurm-lab.ts';

function spec(overrides: Partial<JobSpec> = {}): JobSpec {
  return {
    apiVersion: 'suanli.io/v1',
    kind: 'Job',
    name: 'slurm-test',
    project: 'p',
    accelerator: {},
    acceleratorsPerNode: 1,
    nodes: 1,
    timeLimitSeconds: 120,
    command: ['sh', '-c', 'echo hi'],
    env: {},
    priorityClass: 'normal',
    constraints: {},
    ...overrides,
  };
}

describe('slurm engine mappings (no daemons needed)', () => {
  it('maps job states, keeping Slurm reasons and exit codes', () => {
    const cases: Array<[string, EngineJobState]> = [
      ['PENDING', 'queued'],
      ['RUNNING', 'running'],
      ['COMPLETED', 'succeeded'],
      ['FAILED', 'failed'],
      ['OUT_OF_MEMORY', 'failed'],
      ['NODE_FAIL', 'failed'],
      ['BOOT_FAIL', 'failed'],
      ['DEADLINE', 'failed'],
      ['TIMEOUT', 'timeout'],
      ['CANCELLED', 'cancelled'],
      ['PREEMPTED', 'preempted'],
    ];
    for (const [slurm, state] of cases) expect(mapJobState(slurm).state, slurm).toBe(state);
    expect(mapJobState(['RUNNING', 'COMPLETING']).state).toBe('running');
    expect(mapJobState('PENDING', 'Resources')).toEqual({ state: 'queued', reason: 'Resources' });
    expect(mapJobState('FAILED', 'NonZeroExitCode', { exitCode: 3, signal: null })).toEqual({
      state: 'failed',
      reason: 'exit code 3: NonZeroExitCode',
    });
    expect(mapJobState('NODE_FAIL', 'None').reason).toBe('NODE_FAIL');
    expect(mapJobState('OUT_OF_MEMORY').reason).toBe('OUT_OF_MEMORY');
    expect(mapJobState('TIMEOUT', 'TimeLimit')).toEqual({ state: 'timeout', reason: 'TimeLimit' });
    expect(mapJobState('WEIRD_NEW_STATE')).toEqual({ state: 'running', reason: 'Slurm state WEIRD_NEW_STATE' });
  });

  it('decodes the controller exit status (a wait status)', () => {
    expect(decodeWaitStatus(768)).toEqual({ exitCode: 3, signal: null });
    expect(decodeWaitStatus(0)).toEqual({ exitCode: 0, signal: null });
    expect(decodeWaitStatus(9)).toEqual({ exitCode: null, signal: 9 });
    expect(decodeWaitStatus(undefined)).toEqual({ exitCode: null, signal: null });
  });

  it('maps node states and flags', () => {
    expect(mapNodeState('idle')).toBe('idle');
    expect(mapNodeState('mixed')).toBe('mixed');
    expect(mapNodeState('allocated')).toBe('allocated');
    expect(mapNodeState('down')).toBe('down');
    expect(mapNodeState('idle', ['DRAIN'])).toBe('drained');
    expect(mapNodeState('mixed', ['DRAIN'])).toBe('drained');
    expect(mapNodeState('idle', ['NOT_RESPONDING'])).toBe('down');
    expect(mapNodeState(['IDLE', 'DRAIN'])).toBe('drained');
    expect(mapNodeState('unknown')).toBe('down');
  });

  it('refuses a configuration it cannot serve, naming the setting', () => {
    const base = { name: 'hefei', restUrl: 'http://127.0.0.1:6820', user: 'svc', token: 't' };
    expect(() => validateSlurmEngineConfig(base)).not.toThrow();
    expect(() => validateSlurmEngineConfig({ ...base, dispatchConcurrency: 8 })).not.toThrow();
    for (const dispatchConcurrency of [0, 65, 1.5]) {
      expect(() => validateSlurmEngineConfig({ ...base, dispatchConcurrency })).toThrow(
        'slurm engine for cluster hefei: dispatchConcurrency must be a whole number from 1 to 64',
      );
    }
    expect(() => validateSlurmEngineConfig({ ...base, queueAheadAccelerators: -1 })).toThrow(/queueAheadAccelerators/);
    expect(() => validateSlurmEngineConfig({ ...base, user: 'root' })).toThrow(/refuses root/);
  });

  it('picks the newest OpenAPI version both sides know', () => {
    expect(compareVersions('0.0.9', '0.0.10')).toBeLessThan(0);
    expect(pickVersion(['0.0.36', '0.0.37', '0.0.38'])).toBe('0.0.38');
    expect(pickVersion(['v0.0.38', 'v0.0.39'], ['0.0.38', '0.0.39'])).toBe('0.0.39');
    expect(pickVersion(['0.0.40', '0.0.41'], ['0.0.38'])).toBeNull();
    expect(pickVersion(['0.0.36', '0.0.37'])).toBeNull();
    expect(SUPPORTED_VERSIONS).toContain('0.0.38');
    const paths = ['/slurm/v0.0.36/ping', '/slurm/v0.0.38/jobs', '/slurmdb/v0.0.38/job/{job_id}', '/openapi/v3'];
    expect(servedVersionsFromPaths(paths)).toEqual(['0.0.36', '0.0.38']);
    const doc = '/work/shared/slurm/slurmrestd-22.05.8-openapi.json';
    if (existsSync(doc)) {
      const served = servedVersionsFromPaths(Object.keys(JSON.parse(readFileSync(doc, 'utf8')).paths));
      expect(pickVersion(served)).toBe('0.0.38');
    }
  });

  it('builds the batch job', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(batchScript(spec({ command: ['python3', '-c', 'print("a b")'] }))).toContain(
      `exec python3 -c 'print("a b")'`,
    );
    expect(batchScript(spec({ nodes: 2, command: ['hostname'] }))).toContain('exec srun --ntasks-per-node=1');
    expect(batchScript(spec({ command: undefined, script: 'echo x' }))).toBe(
      '#!/bin/sh\n# submitted by suanli\necho x\n',
    );
    expect(() => batchScript(spec({ image: 'pytorch:2' }))).toThrow(EngineRejection);
    expect(timeLimitMinutes(61)).toBe(2);
    expect(timeLimitMinutes(1)).toBe(1);
    expect(expandOutputPath('/tmp/suanli-t-%j.out', { id: '42' })).toBe('/tmp/suanli-t-42.out');
    const body = submissionBody({
      script: '#!/bin/sh\n',
      name: 'n',
      partition: 'a100',
      nodeNames: ['hf1', 'hf2'],
      nodes: 2,
      gres: 'gpu:a100:2',
      timeLimitMinutes: 3,
      comment: 'tag',
      environment: { PATH: '/bin' },
      workDir: '/tmp',
      stdout: '/tmp/o-%j',
    });
    expect(body.job).toMatchObject({ nodelist: 'hf1,hf2', nodes: '2', gres: 'gpu:a100:2', comment: 'tag' });
  });

  it('reads GRES and slurmdbd records', () => {
    expect(parseGpuGres('gpu:a100:4')).toEqual([{ type: 'a100', count: 4 }]);
    expect(parseGpuGres('gpu:h100:8(S:0-1),mps:100,gpu:910b:2')).toEqual([
      { type: 'h100', count: 8 },
      { type: '910b', count: 2 },
    ]);
    expect(parseGpuGres('gpu:2')).toEqual([{ type: 'gpu', count: 2 }]);
    expect(parseGpuGres('(null)')).toEqual([]);
    const db = toDbJob({
      job_id: 7,
      cluster: 'hefei',
      comment: { job: 't' },
      state: { current: 'FAILED', reason: 'None' },
      exit_code: { status: 'SUCCESS', return_code: 0 },
      time: { start: 100, end: 110, elapsed: 10 },
      tres: {
        allocated: [
          { type: 'gres', name: 'gpu', count: 4 },
          { type: 'gres', name: 'gpu:a100', count: 4 },
        ],
      },
    });
    // 22.05's database answer says 0 for failed jobs: not believed.
    expect(db.exitCode).toBeNull();
    expect(db.gpus).toEqual([
      { type: null, count: 4 },
      { type: 'a100', count: 4 },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------

const title = labTitle('slurm engine against the lab');
const FINAL: EngineJobState[] = ['succeeded', 'failed', 'timeout', 'cancelled', 'preempted', 'lost'];

describeLab(title, () => {
  const engines = new Map<string, SlurmEngine>();
  const engine = (name: string): SlurmEngine => {
    let e = engines.get(name);
    if (!e) {
      const c = labCluster(name);
      e = createSlurmEngine({
        name: c.name,
        restUrl: c.restUrl,
        user: c.user,
        token: c.token,
        partitions: c.partitions,
        accountingDelayMs: 8000,
      });
      engines.set(name, e);
    }
    return e;
  };
  const run = Date.now().toString(36);
  let seq = 0;
  const tag = (what: string) => `test-${run}-${what}-${++seq}`;
  const status = async (name: string, id: string): Promise<EngineJobStatus> => {
    const [s] = await engine(name).status([id]);
    if (!s) throw new Error('no status');
    return s;
  };
  const waitFinal = (name: string, id: string, ms = 30_000) =>
    waitUntil(
      `job ${id} on ${name} to end`,
      () => status(name, id),
      (s) => FINAL.includes(s.state),
      ms,
    );
  const sacct = (name: string, id: string): string =>
    slurmCommand(
      labCluster(name),
      'sacct',
      ...['-j', id, '-X', '-n', '-P', '-o', 'ElapsedRaw,AllocTRES,State,ExitCode,Comment'],
    ).trim();

  let timeoutJob = '';
  let timeoutSubmittedAt = 0;

  beforeAll(async () => {
    // The slowest case first: Slurm's smallest time limit is a minute, and it checks limits about every 30 s.
    timeoutSubmittedAt = Date.now();
    const { engineJobId } = await engine('hefei').submit({
      jobId: 'job-timeout',
      tag: tag('timeout'),
      spec: spec({ name: 'timeout', timeLimitSeconds: 60, command: ['sleep', '300'] }),
      pool: 'a100',
      nodeNames: ['hf1'],
    });
    timeoutJob = engineJobId;
  });

  afterAll(async () => {
    if (timeoutJob)
      await engine('hefei')
        .cancel(timeoutJob)
        .catch(() => undefined);
    await Promise.all([...engines.values()].map((e) => e.close()));
  });

  it('speaks OpenAPI v0.0.38 and shows both clusters GPUs as catalogue models', async () => {
    expect(await engine('hefei').version()).toBe('0.0.38');
    const hefei = await engine('hefei').inventory();
    const wuhu = await engine('wuhu').inventory();
    const a100 = hefei.pools.find((p) => p.name === 'a100');
    const h100 = wuhu.pools.find((p) => p.name === 'h100');
    expect(a100?.acceleratorModel).toBe(findAccelerator('a100')?.model);
    expect(h100?.acceleratorModel).toBe(findAccelerator('h100')?.model);
    expect(a100?.nodes.map((n) => [n.name, n.accelerators])).toEqual([
      ['hf1', 4],
      ['hf2', 4],
      ['hf3', 4],
    ]);
    expect(h100?.nodes.map((n) => [n.name, n.accelerators])).toEqual([
      ['wh1', 8],
      ['wh2', 8],
    ]);
    for (const node of [...(a100?.nodes ?? []), ...(h100?.nodes ?? [])]) {
      expect(['idle', 'mixed', 'allocated']).toContain(node.state);
    }
  });

  it('runs a two-node GPU job to succeeded; accounting matches slurmdbd', async () => {
    const t = tag('ok');
    const { engineJobId } = await engine('hefei').submit({
      jobId: 'job-ok',
      tag: t,
      spec: spec({
        name: 'ok',
        nodes: 2,
        acceleratorsPerNode: 2,
        command: ['sh', '-c', 'echo "rank on $(hostname) gpus=$CUDA_VISIBLE_DEVICES x=$X"; sleep 2'],
        env: { X: 'it works' },
      }),
      pool: 'a100',
      nodeNames: ['hf2', 'hf3'],
    });
    expect(engineJobId).toMatch(/^\d+$/);
    const final = await waitFinal('hefei', engineJobId);
    expect(final).toMatchObject({ state: 'succeeded', exitCode: 0, tag: t });
    expect(final.startedAt).toBeInstanceOf(Date);
    expect(final.endedAt!.getTime()).toBeGreaterThanOrEqual(final.startedAt!.getTime());
    const logs = await engine('hefei').logs(engineJobId);
    expect(logs.match(/gpus=0,1 x=it works/g)?.length).toBe(2);
    expect((await engine('hefei').logs(engineJobId, { tailBytes: 5 })).length).toBeLessThanOrEqual(5);

    const record = await waitUntil(
      `accounting of ${engineJobId}`,
      () => engine('hefei').accounting(engineJobId),
      (r) => r !== null,
      20_000,
    );
    expect(record).toMatchObject({ engineJobId, tag: t, state: 'succeeded', exitCode: 0 });
    expect(record!.accelerators).toEqual([{ model: findAccelerator('a100')!.model, count: 4 }]);
    const [elapsed, tres] = sacct('hefei', engineJobId).split('|');
    const gpus = Number(/gres\/gpu=(\d+)/.exec(tres ?? '')?.[1]);
    expect(gpus).toBe(4);
    expect(record!.elapsedSeconds).toBe(Number(elapsed));
    expect(record!.elapsedSeconds * 4).toBe(Number(elapsed) * gpus);
    expect(record!.elapsedSeconds).toBeGreaterThanOrEqual(2);
  });

  it('reports a failing script as failed with its exit code', async () => {
    const { engineJobId } = await engine('wuhu').submit({
      jobId: 'job-fail',
      tag: tag('fail'),
      spec: spec({
        name: 'fail',
        command: undefined,
        script: 'echo about to fail >&2\nexit 3',
        acceleratorsPerNode: 8,
      }),
      pool: 'h100',
      nodeNames: ['wh1'],
    });
    const final = await waitFinal('wuhu', engineJobId);
    expect(final.state).toBe('failed');
    expect(final.exitCode).toBe(3);
    expect(final.reason).toContain('exit code 3');
    expect(await engine('wuhu').logs(engineJobId)).toContain('about to fail');
    const record = await waitUntil(
      `accounting of ${engineJobId}`,
      () => engine('wuhu').accounting(engineJobId),
      (r) => r !== null,
      20_000,
    );
    expect(record).toMatchObject({ state: 'failed', exitCode: 3 });
    expect(record!.accelerators).toEqual([{ model: findAccelerator('h100')!.model, count: 8 }]);
  });

  it('cancels a running job', async () => {
    const { engineJobId } = await engine('wuhu').submit({
      jobId: 'job-cancel',
      tag: tag('cancel'),
      spec: spec({ name: 'cancel', command: ['sleep', '300'] }),
      pool: 'h100',
      nodeNames: ['wh2'],
    });
    await waitUntil(
      'running',
      () => status('wuhu', engineJobId),
      (s) => s.state === 'running',
      15_000,
    );
    await engine('wuhu').cancel(engineJobId);
    expect((await waitFinal('wuhu', engineJobId)).state).toBe('cancelled');
    await engine('wuhu').cancel(engineJobId); // again: nothing to do, no error
  });

  it('gives a preempted job its grace: SIGTERM to the script, the kill only when asked again', async () => {
    // A job that checkpoints on SIGTERM and exits 0, and one that ignores it (the lab's KillWait is 2 s).
    const checkpointing = await engine('wuhu').submit({
      jobId: 'job-grace-checkpoint',
      tag: tag('grace-checkpoint'),
      spec: spec({
        name: 'grace-checkpoint',
        command: ['sh', '-c', "trap 'echo checkpoint saved; exit 0' TERM; echo started; while :; do sleep 0.2; done"],
      }),
      pool: 'h100',
      nodeNames: ['wh2'],
    });
    const stubborn = await engine('wuhu').submit({
      jobId: 'job-grace-stubborn',
      tag: tag('grace-stubborn'),
      spec: spec({ name: 'grace-stubborn', command: ['sh', '-c', "trap '' TERM; while :; do sleep 0.2; done"] }),
      pool: 'h100',
      nodeNames: ['wh2'],
    });
    for (const id of [checkpointing.engineJobId, stubborn.engineJobId]) {
      await waitUntil(
        'running',
        () => status('wuhu', id),
        (s) => s.state === 'running',
        15_000,
      );
    }
    await waitFor(
      'the trap to be set',
      async () => (await engine('wuhu').logs(checkpointing.engineJobId)).includes('started'),
      15_000,
    );
    await engine('wuhu').cancel(checkpointing.engineJobId, { graceSeconds: 60 });
    await engine('wuhu').cancel(stubborn.engineJobId, { graceSeconds: 60 });
    // The checkpointing job stops by itself, as Slurm's COMPLETED: the follower maps it to preempted.
    const ended = await waitFinal('wuhu', checkpointing.engineJobId);
    expect(ended.state).toBe('succeeded');
    expect(await engine('wuhu').logs(checkpointing.engineJobId)).toContain('checkpoint saved');
    // The other is still running well past KillWait: no kill was sent, and a second call within the grace sends none.
    await engine('wuhu').cancel(stubborn.engineJobId, { graceSeconds: 55 });
    await sleep(4_000);
    expect((await status('wuhu', stubborn.engineJobId)).state).toBe('running');
    // The grace is over: the loop cancels without one.
    await engine('wuhu').cancel(stubborn.engineJobId, { graceSeconds: 0 });
    expect((await waitFinal('wuhu', stubborn.engineJobId)).state).toBe('cancelled');
  });

  it('finds a job by its dispatch tag, and reports unknown ids as lost', async () => {
    const t = tag('find');
    const sentAt = new Date();
    const { engineJobId } = await engine('hefei').submit({
      jobId: 'job-find',
      tag: t,
      spec: spec({ name: 'find', command: ['true'] }),
      pool: 'a100',
      nodeNames: ['hf3'],
    });
    const found = await engine('hefei').findByTag(t);
    expect(found).toMatchObject({ engineJobId, tag: t });
    // Not in the controller: slurmdbd is searched, over 30 days, or from the dispatch's start when the caller says
    // when that was (a busy centre's month of accounting is tens of thousands of jobs).
    const windows: string[] = [];
    const record = ({ request }: { request: ClientRequest }) => {
      const window = /\/slurmdb\/.*start_time=now-(\d+)/.exec(request.path)?.[1];
      if (window) windows.push(window);
    };
    diagnostics.subscribe('http.client.response.finish', record as (message: unknown) => void);
    try {
      expect(await engine('hefei').findByTag(`${t}-never-submitted`, sentAt)).toBeNull();
      expect(await engine('hefei').findByTag(`${t}-never-submitted`)).toBeNull();
    } finally {
      diagnostics.unsubscribe('http.client.response.finish', record as (message: unknown) => void);
    }
    expect(windows.map(Number)).toEqual([expect.any(Number), expect.any(Number)]);
    expect(Number(windows[0])).toBeLessThan(400); // since the submit, plus the 5 minutes allowed for clock skew
    expect(Number(windows[1])).toBeGreaterThan(30 * 86_400);
    expect(await engine('wuhu').findByTag(t)).toBeNull(); // the other cluster has its own job ids
    const statuses = await engine('hefei').status([engineJobId, '99999999', 'not-an-id']);
    expect(statuses.map((s) => s.state).slice(1)).toEqual(['lost', 'lost']);
    expect(statuses[0]?.engineJobId).toBe(engineJobId);
  });

  it('lists jobs under a tag prefix, current and finished, on its own cluster only', async () => {
    const prefix = `test-${run}-list`;
    const t = tag('list');
    const { engineJobId } = await engine('hefei').submit({
      jobId: 'job-list',
      tag: t,
      spec: spec({ name: 'list', command: ['true'] }),
      pool: 'a100',
      nodeNames: ['hf3'],
    });
    const hourAgo = new Date(Date.now() - 3600_000);
    expect(await engine('hefei').listTagged(prefix, hourAgo)).toEqual([
      expect.objectContaining({ engineJobId, tag: t }),
    ]);
    expect(await engine('wuhu').listTagged(prefix, hourAgo)).toEqual([]);
    const final = await waitFinal('hefei', engineJobId);
    // Still listed once it ended (how it ended is for the other tests).
    const listed = await engine('hefei').listTagged(prefix, hourAgo);
    expect(listed).toEqual([expect.objectContaining({ engineJobId, tag: t, state: final.state })]);
  });

  it('follows a burst of jobs to the end, reading the controller list whole only when a job changed', async () => {
    // Its own engine, so that the list it keeps is its own; 20 jobs are more than status() asks about one by one.
    const c = labCluster('hefei');
    const follower = createSlurmEngine({ name: c.name, restUrl: c.restUrl, user: c.user, token: c.token });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const submitted = await follower.submit({
        jobId: `job-burst-${i}`,
        tag: tag('burst'),
        spec: spec({ name: 'burst', acceleratorsPerNode: 0, command: ['sleep', '5'] }),
        pool: 'a100',
        nodeNames: [],
      });
      ids.push(submitted.engineJobId);
    }
    const unknown = '99999999';
    // The REST requests the follower makes, by kind; the lab's other engines are not asked meanwhile.
    const requests = { wholeLists: 0, unchanged: 0, other: 0 };
    // Node's http client announces each answer on a diagnostics channel (the engine's requests use node:http).
    const count = ({ request, response }: { request: ClientRequest; response: IncomingMessage }) => {
      if (/\/jobs(\?|$)/.test(request.path) && response.statusCode === 304) requests.unchanged++;
      else if (/\/jobs(\?|$)/.test(request.path)) requests.wholeLists++;
      else requests.other++;
    };
    diagnostics.subscribe('http.client.response.finish', count as (message: unknown) => void);
    let calls = 0;
    let ms = 0;
    let last: EngineJobStatus[] = [];
    try {
      const deadline = Date.now() + 45_000;
      for (;;) {
        const started = performance.now();
        last = await follower.status([...ids, unknown]);
        ms += performance.now() - started;
        calls++;
        if (last.slice(0, ids.length).every((s) => FINAL.includes(s.state))) break;
        if (Date.now() > deadline) throw new Error(`burst not over: ${JSON.stringify(last)}`);
        await sleep(500);
      }
    } finally {
      diagnostics.unsubscribe('http.client.response.finish', count as (message: unknown) => void);
      await follower.close();
    }
    console.log(
      `[slurm] followed 20 jobs to the end: ${calls} status calls, ${(ms / calls).toFixed(1)} ms each; ` +
        `${requests.wholeLists} whole lists, ${requests.unchanged} answered "unchanged" (304), ` +
        `${requests.other} other requests`,
    );
    expect(last.slice(0, ids.length).map((s) => s.state)).toEqual(ids.map(() => 'succeeded'));
    expect(last.at(-1)).toMatchObject({ state: 'lost', reason: 'unknown to slurmctld and slurmdbd' });
    // The kept list answers exactly what asking the controller about each job does.
    const each = await Promise.all(ids.map((id) => status('hefei', id)));
    expect(last.slice(0, ids.length)).toEqual(each);
    expect(each.every((s) => s.nodeNames?.length === 1 && s.startedAt && s.endedAt)).toBe(true);
    // Five seconds of sleeping jobs: most reads find nothing changed.
    expect(requests.unchanged).toBeGreaterThan(0);
    expect(requests.wholeLists).toBeLessThan(calls);
  });

  it('refuses images and unknown pools for good', async () => {
    const request = { jobId: 'j', tag: tag('reject'), pool: 'a100', nodeNames: ['hf1'] };
    await expect(engine('hefei').submit({ ...request, spec: spec({ image: 'pytorch:2.4' }) })).rejects.toThrow(
      /no container runtime/,
    );
    await expect(engine('hefei').submit({ ...request, pool: 'nope', spec: spec() })).rejects.toBeInstanceOf(
      EngineRejection,
    );
    await expect(engine('hefei').submit({ ...request, nodeNames: ['wh1'], spec: spec() })).rejects.toBeInstanceOf(
      EngineRejection,
    );
  });

  it('reports a drained node as drained', async () => {
    slurmCommand(labCluster('wuhu'), 'scontrol', 'update', 'nodename=wh2', 'state=drain', 'reason=suanli-test');
    try {
      const pool = (await engine('wuhu').inventory()).pools.find((p) => p.name === 'h100');
      expect(pool?.nodes.find((n) => n.name === 'wh2')?.state).toBe('drained');
      expect(pool?.nodes.find((n) => n.name === 'wh1')?.state).not.toBe('drained');
    } finally {
      slurmCommand(labCluster('wuhu'), 'scontrol', 'update', 'nodename=wh2', 'state=resume');
    }
    const pool = (await engine('wuhu').inventory()).pools.find((p) => p.name === 'h100');
    expect(pool?.nodes.find((n) => n.name === 'wh2')?.state).not.toBe('drained');
  });

  it('times out a job past its time limit', { timeout: 150_000 }, async () => {
    const final = await waitFinal('hefei', timeoutJob, 140_000 - (Date.now() - timeoutSubmittedAt));
    expect(final.state).toBe('timeout');
    timeoutJob = '';
  });

  it('fails with an error naming the cluster while its slurmctld is stopped', { timeout: 90_000 }, async () => {
    const ctld = labPid('wuhu-slurmctld');
    process.kill(ctld, 'SIGTERM');
    try {
      await waitFor('slurmctld to stop', async () => !pidAlive(ctld), 20_000);
      const error = await engine('wuhu')
        .inventory()
        .then(
          () => null,
          (e: unknown) => e as Error,
        );
      expect(error?.message).toMatch(/slurm cluster wuhu: GET \/slurm\/v0\.0\.38\/\w+ failed/);
      expect(error?.message).not.toContain(labCluster('wuhu').token);
      await expect(engine('wuhu').status(['1'])).rejects.toThrow(/wuhu/);
      expect((await engine('hefei').inventory()).pools.length).toBeGreaterThan(0); // the other cluster is fine
    } finally {
      // slurm-up restarts what is missing (here: this slurmctld) and keeps the rest.
      slurmUp();
    }
    const back = await waitUntil(
      'wuhu to come back',
      () =>
        engine('wuhu')
          .inventory()
          .catch(() => null),
      (inv) => inv !== null && inv.pools.length > 0,
      30_000,
    );
    expect(back?.pools[0]?.nodes.length).toBe(2);
  });
});
