import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobSpec } from '../../src/core/domain.ts';
import { EngineRejection } from '../../src/engines/engine.ts';
import type { EngineJobState, EngineJobStatus } from '../../src/engines/engine.ts';
import { createLocalEngine } from '../../src/engines/local/engine.ts';
import type { LocalEngine, LocalEngineConfig } from '../../src/engines/local/engine.ts';
import type { StatusFile } from '../../src/engines/local/files.ts';
import { isAlive } from '../../src/engines/local/liveness.ts';

const FINAL: EngineJobState[] = ['succeeded', 'failed', 'timeout', 'cancelled', 'lost'];

let workDir: string;
const engines: LocalEngine[] = [];
let counter = 0;

function config(): LocalEngineConfig {
  return {
    workDir,
    killGraceSeconds: 1,
    pools: [
      {
        name: 'cpu',
        acceleratorModel: 'fake-a',
        nodes: [
          { name: 'n1', accelerators: 2 },
          { name: 'n2', accelerators: 2 },
        ],
      },
      { name: 'gpu', acceleratorModel: 'H100', real: true, nodes: [{ name: 'g1', accelerators: 4 }] },
    ],
  };
}

function engine(): LocalEngine {
  const created = createLocalEngine(config());
  engines.push(created);
  return created;
}

function spec(overrides: Partial<JobSpec> = {}): JobSpec {
  return {
    apiVersion: 'suanli.io/v1',
    kind: 'Job',
    name: 't',
    project: 'p',
    accelerator: {},
    acceleratorsPerNode: 1,
    nodes: 1,
    timeLimitSeconds: 60,
    command: ['sh', '-c', 'echo hi'],
    env: {},
    priorityClass: 'normal',
    constraints: {},
    ...overrides,
  };
}

async function submit(
  target: LocalEngine,
  jobSpec: JobSpec,
  placement: { pool?: string; nodeNames?: string[] } = {},
): Promise<{ engineJobId: string; tag: string }> {
  counter += 1;
  const tag = `job-${counter}.1`;
  const { engineJobId } = await target.submit({
    jobId: `job-${counter}`,
    tag,
    spec: jobSpec,
    pool: placement.pool ?? 'cpu',
    nodeNames: placement.nodeNames ?? ['n1'],
  });
  return { engineJobId, tag };
}

async function one(target: LocalEngine, id: string): Promise<EngineJobStatus> {
  const [status] = await target.status([id]);
  if (!status) throw new Error('no status');
  return status;
}

async function waitForState(
  target: LocalEngine,
  id: string,
  accept: (state: EngineJobState) => boolean,
  timeoutMs = 10_000,
): Promise<EngineJobStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await one(target, id);
    if (accept(status.state)) return status;
    if (Date.now() > deadline) throw new Error(`timed out waiting; last state ${status.state}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const untilRunning = (target: LocalEngine, id: string) => waitForState(target, id, (s) => s === 'running');
const untilDone = (target: LocalEngine, id: string) => waitForState(target, id, (s) => FINAL.includes(s));

function statusFile(id: string): StatusFile {
  return JSON.parse(readFileSync(join(workDir, 'jobs', id, 'status.json'), 'utf8')) as StatusFile;
}

function runnerPid(id: string): number {
  return (JSON.parse(readFileSync(join(workDir, 'jobs', id, 'runner.json'), 'utf8')) as { pid: number }).pid;
}

/** Zombie-aware: an orphan whose new parent never reaps it has still exited. */
const alive = (pid: number): boolean => isAlive(pid, null);

function tryKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

beforeEach(() => {
  workDir = mkdtempSync(join(tmpdir(), 'suanli-local-'));
});

afterEach(async () => {
  // Jobs are detached on purpose, so a failed test could leave them running: stop every process the jobs recorded.
  for (const id of readdirSync(join(workDir, 'jobs'))) {
    try {
      for (const rank of statusFile(id).ranks) if (rank.pid) tryKill(-rank.pid);
    } catch {
      // No status yet.
    }
    try {
      tryKill(runnerPid(id));
    } catch {
      // No runner recorded.
    }
  }
  for (const created of engines.splice(0)) await created.close();
  rmSync(workDir, { recursive: true, force: true });
});

describe('local engine', () => {
  it('runs a command, logs its output and the suanli environment', async () => {
    const local = engine();
    const script = 'echo "hello stdout"; echo "hello stderr" >&2; env | grep -E "^(SUANLI_|FOO=|CUDA_)" | sort';
    const { engineJobId } = await submit(local, spec({ command: ['sh', '-c', script], env: { FOO: 'bar' } }));
    expect(engineJobId).toMatch(/^local-[0-9a-z]{9}-[0-9a-f]{8}$/);
    expect(['queued', 'running', 'succeeded']).toContain((await one(local, engineJobId)).state);

    const done = await untilDone(local, engineJobId);
    expect(done).toMatchObject({ state: 'succeeded', exitCode: 0, reason: null });
    expect(done.startedAt).toBeInstanceOf(Date);
    expect(done.endedAt!.getTime()).toBeGreaterThanOrEqual(done.startedAt!.getTime());

    const log = await local.logs(engineJobId);
    expect(log).toContain('hello stdout');
    expect(log).toContain('hello stderr');
    expect(log).toContain('SUANLI_ACCELERATORS=0\n');
    expect(log).toContain('SUANLI_ACCELERATOR_MODEL=fake-a');
    expect(log).toContain('SUANLI_NODE_RANK=0');
    expect(log).toContain('SUANLI_NNODES=1');
    expect(log).toContain('SUANLI_NODE_NAME=n1');
    expect(log).toMatch(/SUANLI_JOB_ID=job-\d+/);
    expect(log).toContain('FOO=bar');
    expect(log).not.toContain('CUDA_VISIBLE_DEVICES');
    expect(await local.logs(engineJobId, { tailBytes: 12 })).toBe(log.slice(-12));

    const request = JSON.parse(readFileSync(join(workDir, 'jobs', engineJobId, 'request.json'), 'utf8'));
    expect(request.tag).toMatch(/^job-\d+\.1$/);
  });

  it('sets CUDA_VISIBLE_DEVICES only on a real pool', async () => {
    const local = engine();
    const { engineJobId } = await submit(
      local,
      spec({ acceleratorsPerNode: 2, script: 'echo "cuda=$CUDA_VISIBLE_DEVICES"', command: undefined }),
      { pool: 'gpu', nodeNames: ['g1'] },
    );
    expect((await untilDone(local, engineJobId)).state).toBe('succeeded');
    expect(await local.logs(engineJobId)).toContain('cuda=0,1');
  });

  it('reports a non-zero exit as failed with its exit code', async () => {
    const local = engine();
    const { engineJobId } = await submit(local, spec({ command: undefined, script: 'echo failing; exit 3' }));
    const done = await untilDone(local, engineJobId);
    expect(done).toMatchObject({ state: 'failed', exitCode: 3 });
    expect(done.reason).toContain('exited with code 3');
    expect(await local.logs(engineJobId)).toContain('failing');
  });

  it('reports a command that cannot start as failed', async () => {
    const local = engine();
    const { engineJobId } = await submit(local, spec({ command: ['/nonexistent/suanli-binary'] }));
    const done = await untilDone(local, engineJobId);
    expect(done).toMatchObject({ state: 'failed', exitCode: 127 });
    expect(await local.logs(engineJobId)).toContain('cannot start /nonexistent/suanli-binary');
  });

  it('stops a job at its time limit', async () => {
    const local = engine();
    const { engineJobId } = await submit(local, spec({ command: ['sleep', '30'], timeLimitSeconds: 1 }));
    const done = await untilDone(local, engineJobId);
    expect(done.state).toBe('timeout');
    expect(done.reason).toContain('time limit');
    expect(done.endedAt!.getTime() - done.startedAt!.getTime()).toBeLessThan(5_000);
    for (const rank of statusFile(engineJobId).ranks) expect(alive(rank.pid!)).toBe(false);
  });

  it('cancels a running job and its processes', async () => {
    const local = engine();
    const { engineJobId } = await submit(local, spec({ command: undefined, script: 'sleep 30; echo never' }));
    await untilRunning(local, engineJobId);
    const pids = statusFile(engineJobId).ranks.map((r) => r.pid!);
    expect(pids.every(alive)).toBe(true);
    await local.cancel(engineJobId);
    expect((await untilDone(local, engineJobId)).state).toBe('cancelled');
    expect(pids.some(alive)).toBe(false);
    // The runner records the end, then exits: give it a moment on a loaded machine.
    const runner = runnerPid(engineJobId);
    for (let waited = 0; alive(runner) && waited < 5_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    expect(alive(runner)).toBe(false);
    await local.cancel(engineJobId); // a second cancel is harmless
    expect((await one(local, engineJobId)).state).toBe('cancelled');
  });

  it('gives a cancelled job the grace asked for (a preemption’s) between SIGTERM and SIGKILL', async () => {
    // The script checkpoints on SIGTERM for 2 s, longer than the engine's own kill grace (1 s in these tests).
    const checkpointing = (marker: string) =>
      spec({
        command: undefined,
        script: `trap 'sleep 2; echo saved > "${marker}"; exit 0' TERM; : > "${marker}.ready"; sleep 30 & wait $!`,
      });
    const local = engine();
    const graced = join(workDir, 'graced.marker');
    const plain = join(workDir, 'plain.marker');
    const a = await submit(local, checkpointing(graced));
    const b = await submit(local, checkpointing(plain));
    await untilRunning(local, a.engineJobId);
    await untilRunning(local, b.engineJobId);
    // The shells have installed their traps once they say so (a loaded machine can take a while).
    const deadline = Date.now() + 20_000;
    while (![graced, plain].every((m) => existsSync(`${m}.ready`))) {
      if (Date.now() > deadline) throw new Error('the scripts never installed their traps');
      await new Promise((r) => setTimeout(r, 50));
    }
    await local.cancel(a.engineJobId, { graceSeconds: 10 });
    await local.cancel(b.engineJobId);
    await local.cancel(a.engineJobId, { graceSeconds: 0 }); // a repeated cancel neither shortens nor restarts it
    const [doneA, doneB] = await Promise.all([untilDone(local, a.engineJobId), untilDone(local, b.engineJobId)]);
    expect(doneA.state).toBe('cancelled');
    expect(doneB.state).toBe('cancelled');
    // Within the 10 s asked for, the checkpoint was written; with the engine's 1 s it was cut short.
    expect(readFileSync(graced, 'utf8')).toBe('saved\n');
    expect(() => readFileSync(plain, 'utf8')).toThrow();
    expect(doneA.endedAt!.getTime() - doneA.startedAt!.getTime()).toBeLessThan(9_000);
  });

  it('cancels a job right after submit, before its runner is up', async () => {
    const local = engine();
    const { engineJobId } = await submit(local, spec({ command: ['sleep', '30'] }));
    await local.cancel(engineJobId);
    expect((await untilDone(local, engineJobId)).state).toBe('cancelled');
    expect((await local.inventory()).pools[0]!.nodes[0]!.state).toBe('idle');
    expect(await local.accounting(engineJobId)).toMatchObject({ state: 'cancelled', accelerators: [{ count: 1 }] });
  });

  it('runs a gang once per node with ranks', async () => {
    const local = engine();
    const { engineJobId } = await submit(
      local,
      spec({
        nodes: 2,
        command: undefined,
        script: 'echo "rank=$SUANLI_NODE_RANK node=$SUANLI_NODE_NAME of $SUANLI_NNODES"',
      }),
      { nodeNames: ['n1', 'n2'] },
    );
    expect((await untilDone(local, engineJobId)).state).toBe('succeeded');
    const log = await local.logs(engineJobId);
    expect(log).toContain('rank=0 node=n1 of 2');
    expect(log).toContain('rank=1 node=n2 of 2');
  });

  it('fails the gang and stops the other ranks when one rank fails', async () => {
    const local = engine();
    const script = 'if [ "$SUANLI_NODE_RANK" = 1 ]; then exit 4; fi; sleep 30';
    const { engineJobId } = await submit(local, spec({ nodes: 2, command: undefined, script }), {
      nodeNames: ['n1', 'n2'],
    });
    const done = await untilDone(local, engineJobId);
    expect(done).toMatchObject({ state: 'failed', exitCode: 4 });
    expect(done.reason).toContain('rank 1 on n2');
    expect(statusFile(engineJobId).ranks.some((r) => alive(r.pid!))).toBe(false);
  });

  it('never hands an accelerator index to two live jobs', async () => {
    const local = engine();
    const sleeper = spec({ command: ['sleep', '30'] });
    const a = await submit(local, sleeper);
    const b = await submit(local, sleeper);
    await untilRunning(local, a.engineJobId);
    await untilRunning(local, b.engineJobId);
    const indices = [a, b].map((j) => statusFile(j.engineJobId).ranks[0]!.accelerators);
    expect(indices).toEqual([[0], [1]]);

    const inventory = await local.inventory();
    const nodes = inventory.pools.find((p) => p.name === 'cpu')!.nodes;
    expect(nodes).toEqual([
      { name: 'n1', accelerators: 2, state: 'allocated' },
      { name: 'n2', accelerators: 2, state: 'idle' },
    ]);
    const full = submit(local, sleeper);
    await expect(full).rejects.toThrow(/free accelerator/);
    await expect(full).rejects.not.toBeInstanceOf(EngineRejection);

    await local.cancel(a.engineJobId);
    await untilDone(local, a.engineJobId);
    const c = await submit(local, sleeper);
    const status = await untilRunning(local, c.engineJobId);
    expect(status.state).toBe('running');
    expect(statusFile(c.engineJobId).ranks[0]!.accelerators).toEqual([0]);
    expect((await local.inventory()).pools[0]!.nodes[0]!.state).toBe('allocated');
    await local.cancel(b.engineJobId);
    await untilDone(local, b.engineJobId);
    expect((await local.inventory()).pools[0]!.nodes[0]!.state).toBe('mixed');
  });

  it('rejects what it can never run', async () => {
    const local = engine();
    const reject = (jobSpec: JobSpec, placement: { pool?: string; nodeNames?: string[] } = {}) =>
      expect(submit(local, jobSpec, placement)).rejects.toBeInstanceOf(EngineRejection);
    await expect(submit(local, spec({ image: 'pytorch:2' }))).rejects.toThrow(/cannot run container images/);
    await reject(spec({ image: 'pytorch:2' }));
    await reject(spec(), { pool: 'nope' });
    await reject(spec(), { nodeNames: ['g1'] });
    await reject(spec({ acceleratorsPerNode: 3 }));
    await reject(spec({ nodes: 2 }));
    await reject(spec({ nodes: 2 }), { nodeNames: ['n1', 'n1'] });
    expect(readdirSync(join(workDir, 'jobs'))).toEqual([]);
  });

  it('re-attaches a new instance to a running job and lets it cancel it', async () => {
    const first = engine();
    const { engineJobId, tag } = await submit(first, spec({ acceleratorsPerNode: 2, command: ['sleep', '30'] }));
    await untilRunning(first, engineJobId);
    await first.close();

    const second = engine();
    expect((await one(second, engineJobId)).state).toBe('running');
    expect(await second.findByTag(tag)).toMatchObject({ engineJobId, state: 'running' });
    expect((await second.inventory()).pools[0]!.nodes[0]!.state).toBe('allocated');
    await expect(submit(second, spec())).rejects.toThrow(/free accelerator/);

    await second.cancel(engineJobId);
    expect((await untilDone(second, engineJobId)).state).toBe('cancelled');
    expect((await second.inventory()).pools[0]!.nodes[0]!.state).toBe('idle');
  });

  it('re-attaches a new instance to a finished job', async () => {
    const first = engine();
    const { engineJobId, tag } = await submit(first, spec({ command: ['echo', 'finished'] }));
    await untilDone(first, engineJobId);
    await first.close();

    const second = engine();
    expect(await one(second, engineJobId)).toMatchObject({ state: 'succeeded', exitCode: 0 });
    expect((await second.findByTag(tag))?.engineJobId).toBe(engineJobId);
    expect(await second.logs(engineJobId)).toContain('finished');
    expect(await second.accounting(engineJobId)).toMatchObject({ engineJobId, tag, state: 'succeeded' });
  });

  it('keeps running a job after the process that submitted it exits', async () => {
    const fixture = join(import.meta.dirname, 'fixtures', 'local-submit-and-exit.ts');
    const output = execFileSync(
      process.execPath,
      ['--import', 'tsx', fixture, workDir, 'sh', '-c', 'sleep 0.5; echo survived'],
      {
        encoding: 'utf8',
      },
    );
    const engineJobId = output.trim();
    const local = engine();
    expect(['queued', 'running']).toContain((await one(local, engineJobId)).state);
    expect((await local.findByTag('orphan.1'))?.engineJobId).toBe(engineJobId);
    expect((await untilDone(local, engineJobId)).state).toBe('succeeded');
    expect(await local.logs(engineJobId)).toContain('survived');
  });

  it('reports a job whose runner was killed as lost', async () => {
    const local = engine();
    const { engineJobId } = await submit(local, spec({ command: ['sleep', '30'] }));
    await untilRunning(local, engineJobId);
    const rankPid = statusFile(engineJobId).ranks[0]!.pid!;
    process.kill(runnerPid(engineJobId), 'SIGKILL');
    const lost = await waitForState(local, engineJobId, (s) => s === 'lost');
    expect(lost.reason).toBe('the runner process died without recording an exit: the host may have restarted');
    expect(await local.accounting(engineJobId)).toBeNull();
    // Its orphaned rank still holds the accelerator until a cancel stops it.
    expect((await local.inventory()).pools[0]!.nodes[0]!.state).toBe('mixed');
    expect(alive(rankPid)).toBe(true);
    await local.cancel(engineJobId);
    await expect.poll(() => alive(rankPid)).toBe(false);
    expect((await one(local, engineJobId)).state).toBe('lost');
    expect((await local.inventory()).pools[0]!.nodes[0]!.state).toBe('idle');
  });

  it('finds jobs by tag and does not start a tag twice', async () => {
    const local = engine();
    expect(await local.findByTag('missing')).toBeNull();
    const request = { jobId: 'j1', tag: 'j1.1', spec: spec(), pool: 'cpu', nodeNames: ['n1'] };
    const { engineJobId } = await local.submit(request);
    expect((await local.findByTag('j1.1'))?.engineJobId).toBe(engineJobId);
    expect(await local.submit(request)).toEqual({ engineJobId });
    expect(readdirSync(join(workDir, 'jobs'))).toHaveLength(1);
    await untilDone(local, engineJobId);
  });

  it('answers lost for ids it does not know', async () => {
    const local = engine();
    const [status] = await local.status(['local-nope']);
    expect(status).toMatchObject({ engineJobId: 'local-nope', state: 'lost', reason: 'no such job on this engine' });
  });

  it('accounts whole seconds and the accelerators of every node', async () => {
    const local = engine();
    const { engineJobId, tag } = await submit(local, spec({ nodes: 2, command: ['sleep', '1.1'] }), {
      nodeNames: ['n1', 'n2'],
    });
    await untilRunning(local, engineJobId);
    expect(await local.accounting(engineJobId)).toBeNull();
    await untilDone(local, engineJobId);
    const record = await local.accounting(engineJobId);
    expect(record).toMatchObject({
      engineJobId,
      tag,
      state: 'succeeded',
      exitCode: 0,
      accelerators: [{ model: 'fake-a', count: 2 }],
    });
    expect(record!.elapsedSeconds).toBeGreaterThanOrEqual(1);
    expect(record!.startedAt.getMilliseconds()).toBe(0);
    expect(record!.endedAt.getMilliseconds()).toBe(0);
    expect(record!.elapsedSeconds).toBe((record!.endedAt.getTime() - record!.startedAt.getTime()) / 1000);
  });

  it('lists the jobs under a tag prefix: current ones, and finished ones since a time', async () => {
    const local = engine();
    const place = { pool: 'cpu', nodeNames: ['n1'] };
    const { engineJobId: running } = await local.submit({
      jobId: 'a',
      tag: 'suanli-a-1',
      spec: spec({ command: ['sleep', '30'] }),
      ...place,
    });
    const { engineJobId: finished } = await local.submit({ jobId: 'b', tag: 'suanli-b-2', spec: spec(), ...place });
    await local.submit({ jobId: 'c', tag: 'other-c-1', spec: spec(), pool: 'cpu', nodeNames: ['n2'] });
    await untilRunning(local, running);
    await untilDone(local, finished);

    const ids = (list: EngineJobStatus[]) => list.map((s) => s.engineJobId).sort();
    const lastWeek = new Date(Date.now() - 7 * 24 * 3600 * 1000);
    expect(ids(await local.listTagged('suanli-', lastWeek))).toEqual([finished, running].sort());
    // A finished job that ended before `since` is left out; a running one never is.
    const later = await local.listTagged('suanli-', new Date(Date.now() + 60_000));
    expect(later).toEqual([expect.objectContaining({ engineJobId: running, tag: 'suanli-a-1', state: 'running' })]);
    // Another instance reads the same folders.
    expect(ids(await engine().listTagged('suanli-', lastWeek))).toEqual([finished, running].sort());
    expect(await local.listTagged('nobody-', lastWeek)).toEqual([]);
    await local.cancel(running);
    await untilDone(local, running);
  });
});
