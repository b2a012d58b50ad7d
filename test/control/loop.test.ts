/**
 * The control loop against real local engines and both databases: a job's whole path, a control-plane restart in
 * the middle of a run, a runner that dies, a crash between the engine's answer and the database write, and two
 * control loops sharing one PostgreSQL.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJobSpec } from '../../src/core/job-spec.ts';
import type { JobState } from '../../src/core/domain.ts';
import { CONTROL_LEASE } from '../../src/server/control/loop.ts';
import type { SchedulingSnapshot } from '../../src/core/scheduler/index.ts';
import { ALL, createStore, type Store } from '../../src/store/index.ts';
import type { Engine } from '../../src/engines/engine.ts';
import { createLocalEngine, type LocalEngineConfig } from '../../src/engines/local/engine.ts';
import { describeEachDatabase, postgresUrl } from '../helpers/databases.ts';
import { HELLO_JOB, startPlatform, tickUntil, type TestPlatform } from '../helpers/platform.ts';

function spec(script: string, overrides: Record<string, unknown> = {}) {
  const parsed = parseJobSpec({ ...HELLO_JOB, spec: { ...HELLO_JOB.spec, script, ...overrides } });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.spec;
}

async function submit(store: Store, script: string, key: string | null = null) {
  const { job } = await store.jobs.create({
    tenantId: 'qiming-ai',
    projectId: 'qiming-ai-demo',
    submittedBy: 'qiming-ai-admin',
    spec: spec(script),
    idempotencyKey: key,
    now: new Date(),
  });
  return job;
}

const stateOf = async (store: Store, id: string) => (await store.jobs.get(ALL, id))?.state;
const isState =
  (store: Store, id: string, ...states: JobState[]) =>
  async () =>
    states.includes((await stateOf(store, id))!);
/** Whether a job's usage has been recorded (metering runs beside the ticks, so it may trail the final state). */
const metered = (store: Store, id: string) => async () => (await store.usage.list(ALL, { jobId: id })).length > 0;

/** Every engine job folder under a platform's data dir, with the suanli job id it was submitted for. */
function engineJobs(dataDir: string): Array<{ engineJobId: string; jobId: string; tag: string }> {
  const result = [];
  const engines = join(dataDir, 'engines');
  for (const cluster of readdirSync(engines)) {
    const jobs = join(engines, cluster, 'jobs');
    for (const engineJobId of readdirSync(jobs)) {
      const request = JSON.parse(readFileSync(join(jobs, engineJobId, 'request.json'), 'utf8')) as {
        jobId: string;
        tag: string;
      };
      result.push({ engineJobId, jobId: request.jobId, tag: request.tag });
    }
  }
  return result;
}

/** Opens the same database twice, as two processes (or one process before and after a restart) would. */
async function reopenable(kind: 'pglite' | 'postgres', freshUrl: () => Promise<string | undefined>) {
  if (kind === 'postgres') {
    const databaseUrl = await freshUrl();
    return { open: () => createStore({ databaseUrl, maxConnections: 5 }), cleanup: () => {} };
  }
  const dir = mkdtempSync(join(tmpdir(), 'suanli-pglite-'));
  return { open: () => createStore({ dataDir: dir }), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

describeEachDatabase('control loop', (database) => {
  let store: Store;
  let platform: TestPlatform;
  beforeAll(async () => {
    store = await database.open();
    platform = await startPlatform(store);
  });
  afterAll(async () => {
    await platform.close();
    await store.close();
  });

  it('places, dispatches, follows and meters a job, recording every transition', async () => {
    const job = await submit(store, 'echo "$SUANLI_ACCELERATOR_MODEL:$SUANLI_ACCELERATORS"; sleep 1');
    await tickUntil(platform.loop, isState(store, job.id, 'succeeded'));
    const events = await store.jobs.events(job.id);
    expect(events.map((e) => e.to)).toEqual(['pending', 'admitted', 'dispatched', 'running', 'succeeded']);
    await tickUntil(platform.loop, metered(store, job.id)); // metering runs beside the ticks
    const usage = await store.usage.list(ALL, { jobId: job.id });
    expect(usage).toHaveLength(1);
    expect(usage[0]).toMatchObject({ acceleratorModel: 'H100-SXM', acceleratorCount: 1 });
    expect(usage[0]!.elapsedSeconds).toBeGreaterThanOrEqual(1);
    expect(usage[0]!.acceleratorSeconds).toBe(usage[0]!.elapsedSeconds);
    // H100-SXM: 989.5 TFLOPS dense = 989 500 GFLOPS per accelerator-second.
    expect(usage[0]!.gflop).toBe(BigInt(usage[0]!.acceleratorSeconds) * 989_500n);
    // Further ticks deliver nothing new: the record is stored once.
    await platform.loop.tick();
    expect(await store.usage.list(ALL, { jobId: job.id })).toHaveLength(1);
  });

  it('maps a failing command and an exceeded time limit to failed, with the reason', async () => {
    const failing = await submit(store, 'exit 3');
    const { job: slow } = await store.jobs.create({
      tenantId: 'qiming-ai',
      projectId: 'qiming-ai-demo',
      submittedBy: 'qiming-ai-admin',
      spec: spec('sleep 30', { timeLimit: '1s' }),
      idempotencyKey: null,
      now: new Date(),
    });
    await tickUntil(platform.loop, async () =>
      (await Promise.all([failing.id, slow.id].map((id) => stateOf(store, id)))).every((s) => s === 'failed'),
    );
    const failed = await store.jobs.get(ALL, failing.id);
    expect(failed?.exitCode).toBe(3);
    expect((await store.jobs.get(ALL, slow.id))?.reason).toMatch(/time limit of 1s reached/);
  });

  it('cancels a running job on its engine', async () => {
    const job = await submit(store, 'sleep 30');
    await tickUntil(platform.loop, isState(store, job.id, 'running'));
    expect(await store.jobs.requestCancel(ALL, job.id, new Date())).toBe(true);
    await tickUntil(platform.loop, isState(store, job.id, 'cancelled'));
    expect((await store.jobs.get(ALL, job.id))?.reason).toMatch(/user/);
  });

  it('refuses a job with a container image on the local engine, saying why', async () => {
    const { job } = await store.jobs.create({
      tenantId: 'qiming-ai',
      projectId: 'qiming-ai-demo',
      submittedBy: 'qiming-ai-admin',
      spec: { ...spec('true'), image: 'registry.example/train:1' },
      idempotencyKey: null,
      now: new Date(),
    });
    await tickUntil(platform.loop, isState(store, job.id, 'dispatch-failed'));
    expect((await store.jobs.get(ALL, job.id))?.reason).toMatch(/container image/);
  });

  it('marks a job lost, with a reason, when its runner dies', async () => {
    const job = await submit(store, 'sleep 30');
    await tickUntil(platform.loop, isState(store, job.id, 'running'));
    const running = (await store.jobs.get(ALL, job.id))!;
    const dir = join(platform.dataDir, 'engines', running.clusterId!, 'jobs', running.engineJobId!);
    const status = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as {
      runnerPid: number;
      ranks: Array<{ pid: number | null }>;
    };
    process.kill(status.runnerPid, 'SIGKILL');
    for (const rank of status.ranks) if (rank.pid) process.kill(-rank.pid, 'SIGKILL');
    await tickUntil(platform.loop, isState(store, job.id, 'lost'));
    expect((await store.jobs.get(ALL, job.id))?.reason).toMatch(/runner/);
  });
});

type CancelThrough = (local: Engine, id: string, options: { graceSeconds?: number }) => Promise<void>;

/**
 * A platform whose policy preempts any running job named "victim" once a job named "urgent" waits, holding capacity
 * for it, with the policy's grace `graceSeconds` (or, given `preemptionGraceSeconds`, that grace in each preemption
 * decision instead); wuhu-1 is a local engine with no kill grace of its own, whose cancels go through `cancel` (the
 * local engine's by default) and are recorded with when they came.
 */
async function preemptingPlatform(
  store: Store,
  graceSeconds: number,
  cancel?: CancelThrough,
  { preemptionGraceSeconds }: { preemptionGraceSeconds?: number } = {},
) {
  const { decide, DEFAULT_POLICY } = await import('../../src/core/scheduler/index.ts');
  const seen: SchedulingSnapshot[] = [];
  const platform = await startPlatform(store, {
    policy: (snapshot, now) => {
      seen.push(snapshot);
      const decisions = decide(snapshot, now);
      const urgent = snapshot.pending.find((j) => j.spec.name === 'urgent');
      const victims = (snapshot.running ?? []).filter((r) => urgent && r.startedAt !== null && !r.stopRequested);
      return {
        ...decisions,
        preemptions: victims.map((v) => ({
          jobId: v.jobId,
          reason: 'room for urgent work',
          forJobId: urgent!.id,
          ...(preemptionGraceSeconds === undefined ? {} : { graceSeconds: preemptionGraceSeconds }),
        })),
        holds: urgent
          ? victims.map((v) => ({
              jobId: urgent.id,
              poolId: v.poolId,
              nodeNames: v.nodeNames,
              acceleratorsPerNode: v.acceleratorsPerNode,
              since: now,
            }))
          : (snapshot.holds ?? []),
      };
    },
    policyConfig: { ...DEFAULT_POLICY, preemption: { ...DEFAULT_POLICY.preemption, graceSeconds } },
  });
  const cancels = await recordCancels(store, platform, cancel);
  const create = async (tenant: 'qiming-ai' | 'zhiyuan-llm', name: string, script: string, more = {}) =>
    (
      await store.jobs.create({
        tenantId: tenant,
        projectId: `${tenant}-demo`,
        submittedBy: `${tenant}-admin`,
        spec: { ...spec(script), name, ...more },
        idempotencyKey: null,
        now: new Date(),
      })
    ).job;
  return { platform, seen, cancels, create };
}

/**
 * Makes the platform's wuhu-1 a local engine with no kill grace of its own whose cancels go through `cancel` (the
 * local engine's by default); returns the cancels it is sent, with when they came.
 */
async function recordCancels(store: Store, platform: TestPlatform, cancel?: CancelThrough) {
  const wuhu = (await store.federation.getCluster('wuhu-1'))!;
  const cancels: Array<{ graceSeconds?: number; at: number }> = [];
  const local = createLocalEngine({ ...(wuhu.config as unknown as LocalEngineConfig), killGraceSeconds: 0 });
  platform.engines.use('wuhu-1', {
    ...Object.fromEntries(
      (
        [
          'inventory',
          'submit',
          'findByTag',
          'listTagged',
          'status',
          'accounting',
          'accountingMany',
          'logs',
          'close',
        ] as const
      ).map((name) => [name, local[name].bind(local)]),
    ),
    kind: local.kind,
    cancel: (id: string, options: { graceSeconds?: number } = {}) => {
      cancels.push({ ...options, at: Date.now() });
      return cancel ? cancel(local, id, options) : local.cancel(id, options);
    },
  } as Engine);
  return cancels;
}

describeEachDatabase('preemption', (database) => {
  it('stops a preempted run within its grace, meters the work done, and requeues the job with its history', async () => {
    const store = await database.open();
    // The policy's grace reaches the engine: 20 s here, where the cluster's own kill grace is none at all.
    const { platform, seen, cancels, create } = await preemptingPlatform(store, 20);
    // The victim checkpoints for a second when asked to stop, which it can only finish within the policy's grace.
    const marker = join(platform.dataDir, 'checkpoint');
    const victim = await create(
      'qiming-ai',
      'victim',
      `trap 'sleep 1; echo saved >> "${marker}"; exit 0' TERM; sleep 30 & wait $!`,
    );
    await tickUntil(platform.loop, isState(store, victim.id, 'running'));
    await new Promise((r) => setTimeout(r, 1100));
    // Both H100 nodes whole: it cannot start until the victim has stopped, so it waits through the preemption.
    const urgent = await create('zhiyuan-llm', 'urgent', 'sleep 30', { nodes: 2, acceleratorsPerNode: 8 });
    await tickUntil(platform.loop, async () => (await store.jobs.get(ALL, victim.id))!.attempt === 2);
    const events = (await store.jobs.events(victim.id)).map((e) => e.to);
    expect(events.slice(0, 7)).toEqual([
      'pending',
      'admitted',
      'dispatched',
      'running',
      'preempted',
      'pending',
      'admitted',
    ]);
    const preempted = (await store.jobs.events(victim.id)).find((e) => e.to === 'preempted');
    expect(preempted?.reason).toBe('preempted: room for urgent work');
    // The engine was asked to stop it with the policy's grace (less the moments since the preemption), and the
    // run's SIGTERM trap wrote its checkpoint before the kill.
    expect(cancels[0]?.graceSeconds).toBeGreaterThan(15);
    expect(cancels[0]?.graceSeconds).toBeLessThanOrEqual(20);
    expect(readFileSync(marker, 'utf8')).toContain('saved');
    // While the victim stopped, the next cycle saw whom it was stopping for and the capacity held for that job.
    const stopping = seen.find((snap) => snap.running?.some((r) => r.jobId === victim.id && r.stopRequested));
    expect(stopping?.running?.find((r) => r.jobId === victim.id)?.preemptedFor).toBe(urgent.id);
    expect(stopping?.holds?.map((h) => h.jobId)).toEqual([urgent.id]);
    // The interrupted run used accelerators for about a second: that is metered, once.
    await tickUntil(platform.loop, metered(store, victim.id));
    const usage = await store.usage.list(ALL, { jobId: victim.id });
    expect(usage).toHaveLength(1);
    expect(usage[0]!.elapsedSeconds).toBeGreaterThanOrEqual(1);
    // However the engine ended it, the run counts as preempted for the chip race, not as the chip's failure.
    expect(usage[0]!.outcome).toBe('preempted');
    await platform.close();
    await store.close();
  });

  it('keeps its holds through a failover: the next leader starts from the holds the last one stored', async () => {
    const store = await database.open();
    const { platform, create } = await preemptingPlatform(store, 20);
    const victim = await create('qiming-ai', 'victim', 'sleep 60');
    await tickUntil(platform.loop, isState(store, victim.id, 'running'));
    const urgent = await create('zhiyuan-llm', 'urgent', 'sleep 1', { nodes: 2, acceleratorsPerNode: 8 });
    await tickUntil(platform.loop, async () => (await store.holds.list()).some((h) => h.jobId === urgent.id));
    const [held] = await store.holds.list();
    expect(held).toMatchObject({ jobId: urgent.id, nodeNames: expect.any(Array) });

    // The leader goes away; another process's loop takes the lease and decides with the stored holds.
    const leader = (await store.leases.holder(CONTROL_LEASE))!.holder;
    await store.leases.release(CONTROL_LEASE, leader);
    const seenBySuccessor: SchedulingSnapshot[] = [];
    const { decide } = await import('../../src/core/scheduler/index.ts');
    const successor = await startPlatform(store, {
      seed: false,
      holder: 'successor',
      policy: (snapshot, now) => {
        seenBySuccessor.push(snapshot);
        return decide(snapshot, now);
      },
    });
    await successor.loop.tick();
    expect(seenBySuccessor[0]?.holds).toEqual([held]);
    // A loop that no longer holds the lease cannot overwrite its successor's holds (whatever they are by now).
    const successors = await store.holds.list();
    const stale = [{ ...held!, jobId: victim.id }, ...successors];
    expect(await store.holds.replace(stale, CONTROL_LEASE, leader)).toBe(false);
    expect(await store.holds.list()).toEqual(successors);
    await successor.close();
    await platform.close();
    await store.close();
  });

  it('keeps a preemption’s own grace through a failover: the next leader stops the run when the last one would have', async () => {
    const store = await database.open();
    // The policy's default grace is 3 s, but this preemption gives 40 s; the engine only records the cancels, so the
    // victim runs on through them, as a run checkpointing within its grace does.
    const noStop: CancelThrough = async () => {};
    const { platform, cancels, create } = await preemptingPlatform(store, 3, noStop, { preemptionGraceSeconds: 40 });
    const victim = await create('qiming-ai', 'victim', 'sleep 60');
    await tickUntil(platform.loop, isState(store, victim.id, 'running'));
    await create('zhiyuan-llm', 'urgent', 'sleep 1', { nodes: 2, acceleratorsPerNode: 8 });
    await tickUntil(platform.loop, async () => cancels.length > 0);
    expect(cancels[0]!.graceSeconds).toBeGreaterThan(35);
    expect((await store.jobs.get(ALL, victim.id))!.preemptGraceSeconds).toBe(40);

    // The leader goes away; a successor with the same policy default takes the lease over and sends its own cancel.
    await platform.loop.stop(); // gives the lease up
    const { DEFAULT_POLICY } = await import('../../src/core/scheduler/index.ts');
    const successor = await startPlatform(store, {
      seed: false,
      holder: 'successor',
      policyConfig: { ...DEFAULT_POLICY, preemption: { ...DEFAULT_POLICY.preemption, graceSeconds: 3 } },
    });
    const successorCancels = await recordCancels(store, successor, noStop);
    await tickUntil(successor.loop, async () => successorCancels.length > 0);
    // What is left of the preemption's 40 s, not of the successor's 3 s default, so no early kill.
    const elapsed = Math.ceil((successorCancels[0]!.at - cancels[0]!.at) / 1000);
    expect(successorCancels[0]!.graceSeconds).toBeGreaterThan(35 - elapsed);
    expect(successorCancels[0]!.graceSeconds).toBeLessThanOrEqual(40);
    await successor.close();
    await platform.close();
    await store.close();
  });

  it('sends the kill when the grace is over, to an engine that only signalled the run', async () => {
    const store = await database.open();
    // As the Slurm engine does: a cancel with a grace only signals (here: nothing at all, a run that ignores
    // SIGTERM); only a cancel without one stops the run.
    const { platform, cancels, create } = await preemptingPlatform(store, 3, async (local, id, options) => {
      if ((options.graceSeconds ?? 0) === 0) await local.cancel(id, { graceSeconds: 0 });
    });
    const victim = await create('qiming-ai', 'victim', 'sleep 60');
    await tickUntil(platform.loop, isState(store, victim.id, 'running'));
    await create('zhiyuan-llm', 'urgent', 'sleep 1', { nodes: 2, acceleratorsPerNode: 8 });
    await tickUntil(platform.loop, async () => (await store.jobs.get(ALL, victim.id))!.attempt === 2);
    // First the stop signal with the grace, then, once it was over (not the 30 s after which a lost cancel is sent
    // again), the kill.
    expect(cancels.length).toBeGreaterThanOrEqual(2);
    expect(cancels[0]!.graceSeconds).toBeGreaterThan(0);
    const kill = cancels.find((c) => c.graceSeconds === 0)!;
    expect(kill.at - cancels[0]!.at).toBeGreaterThanOrEqual(cancels[0]!.graceSeconds! * 1000 - 100);
    expect(kill.at - cancels[0]!.at).toBeLessThan(15_000);
    expect((await store.jobs.events(victim.id)).map((e) => e.to)).toContain('preempted');
    await platform.close();
    await store.close();
  });
});

describeEachDatabase('control-plane restart', (database) => {
  it('re-attaches a job that runs through a restart and meters it once', async () => {
    const db = await reopenable(database.kind, database.freshUrl);
    const dataDir = mkdtempSync(join(tmpdir(), 'suanli-restart-'));
    let store = await db.open();
    let platform = await startPlatform(store, { dataDir });
    const job = await submit(store, 'sleep 3; echo finished');
    await tickUntil(platform.loop, isState(store, job.id, 'running'));
    // The process goes away: its loop, engines and database connection; the job's processes keep running.
    await platform.close();
    await store.close();

    store = await db.open();
    platform = await startPlatform(store, { dataDir });
    expect(await stateOf(store, job.id)).toBe('running');
    await tickUntil(platform.loop, isState(store, job.id, 'succeeded'));
    await tickUntil(platform.loop, metered(store, job.id));
    expect(await store.usage.list(ALL, { jobId: job.id })).toHaveLength(1);
    expect(engineJobs(dataDir).filter((e) => e.jobId === job.id)).toHaveLength(1);
    await platform.close();
    await store.close();
    db.cleanup();
    rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  });

  it('settles a dispatch that crashed between the engine’s answer and the database write, submitting once', async () => {
    const db = await reopenable(database.kind, database.freshUrl);
    const dataDir = mkdtempSync(join(tmpdir(), 'suanli-indoubt-'));
    let store = await db.open();
    let platform = await startPlatform(store, { dataDir, holder: 'crashed', leaseTtlMs: 300 });
    const job = await submit(store, 'echo hi');
    // Act out the crash by hand: admit, claim and submit, but never record the engine's answer.
    const { buildSnapshot } = await import('../../src/server/control/snapshot.ts');
    const { decide } = await import('../../src/core/scheduler/index.ts');
    const placement = decide((await buildSnapshot(store, new Date())).snapshot, new Date()).placements[0]!;
    const tag = `suanli-${job.id}-1`;
    await store.jobs.transition(job.id, 'pending', 'admitted', {
      reason: 'placed',
      actor: 'crashed',
      now: new Date(),
      patch: { ...placement, attempt: 1, dispatchTag: tag },
    });
    expect(await store.leases.acquire(CONTROL_LEASE, 'crashed', 300)).not.toBeNull();
    expect(await store.jobs.claimDispatch(job.id, CONTROL_LEASE, 'crashed', new Date())).toBe(true);
    const cluster = (await store.federation.getCluster(placement.clusterId))!;
    const admitted = (await store.jobs.get(ALL, job.id))!;
    await platform.engines.for(cluster).submit({
      jobId: job.id,
      tag,
      spec: admitted.spec,
      pool: placement.poolId.slice(placement.clusterId.length + 1),
      nodeNames: placement.nodeNames,
    });
    await platform.engines.close();
    await platform.app.close();
    await store.close();

    // A new process: it waits out the dead holder's lease, asks the engine for the tag and finds the job.
    store = await db.open();
    platform = await startPlatform(store, { dataDir, holder: 'restarted', leaseTtlMs: 300 });
    await tickUntil(platform.loop, isState(store, job.id, 'succeeded'));
    expect(engineJobs(dataDir).filter((e) => e.jobId === job.id)).toHaveLength(1);
    const events = await store.jobs.events(job.id);
    expect(events.filter((e) => e.to === 'dispatched')).toHaveLength(1);
    expect(events.find((e) => e.to === 'dispatched')?.reason).toMatch(/recovered/);
    await platform.close();
    await store.close();
    db.cleanup();
    rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  });
});

(postgresUrl() ? describe : describe.skip)('two control planes on one PostgreSQL', () => {
  it('never dispatch the same job twice, even when the lease changes hands', async () => {
    const { freshPostgresDatabase } = await import('../helpers/databases.ts');
    const databaseUrl = await freshPostgresDatabase(postgresUrl());
    const dataDir = mkdtempSync(join(tmpdir(), 'suanli-two-'));
    const storeA = await createStore({ databaseUrl, maxConnections: 5 });
    const storeB = await createStore({ databaseUrl, maxConnections: 5 });
    const a = await startPlatform(storeA, { dataDir, holder: 'plane-a', leaseTtlMs: 400 });
    const b = await startPlatform(storeB, { dataDir, holder: 'plane-b', leaseTtlMs: 400, seed: false });
    const jobs = [];
    for (let i = 0; i < 16; i++) jobs.push(await submit(storeA, `echo ${i}`));
    // Both loops tick as fast as they can, concurrently; halfway, A stops and B must take over, including jobs
    // submitted after A has gone.
    const both = async (until: () => Promise<boolean>) => {
      const deadline = Date.now() + 60_000;
      while (!(await until())) {
        if (Date.now() > deadline) throw new Error('jobs did not finish');
        await Promise.all([a.loop.tick(), b.loop.tick()]);
      }
    };
    const finished = async (n: number) =>
      (await storeA.jobs.list(ALL, { states: ['succeeded'], limit: 1000 })).length >= n;
    expect((await a.loop.tick()).leader).toBe(true);
    await both(() => finished(8));
    await a.loop.stop();
    for (let i = 16; i < 24; i++) jobs.push(await submit(storeA, `echo ${i}`));
    await tickUntil(b.loop, () => finished(jobs.length), 60_000);

    const submitted = engineJobs(dataDir);
    for (const job of jobs) expect(submitted.filter((e) => e.jobId === job.id)).toHaveLength(1);
    const dispatchEvents = await storeA.db
      .selectFrom('job_events')
      .select(['job_id', 'actor'])
      .where('to_state', '=', 'dispatched')
      .execute();
    expect(dispatchEvents).toHaveLength(jobs.length);
    expect(new Set(dispatchEvents.map((e) => e.job_id)).size).toBe(jobs.length);
    // Both planes really acted: A before it stopped, B after it took the lease over.
    expect(new Set(dispatchEvents.map((e) => e.actor))).toEqual(new Set(['plane-a', 'plane-b']));
    // Metered once each: usage arrives in metering passes beside the ticks, so wait for it, then count exactly.
    const usage = () => storeA.usage.list(ALL, { limit: 1000 });
    await tickUntil(b.loop, async () => (await usage()).length >= jobs.length, 30_000);
    expect(await usage()).toHaveLength(jobs.length);
    await a.close();
    await b.close();
    await storeA.close();
    await storeB.close();
    rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }, 120_000);
});

describeEachDatabase('a submission wakes the loop', (database) => {
  it('places a job at once, not at the next timer tick', async () => {
    const store = await database.open();
    // A minute between timer ticks: only the submission's nudge can place the job within the test's time.
    const platform = await startPlatform(store, { intervalMs: 60_000 });
    platform.loop.start();
    while ((await store.leases.holder(CONTROL_LEASE)) === null) await new Promise((resolve) => setTimeout(resolve, 20));
    const response = await platform.app.inject({
      method: 'POST',
      url: '/api/v1/jobs',
      headers: { authorization: `Bearer ${platform.token('qiming-ai-admin')}` },
      payload: HELLO_JOB,
    });
    expect(response.statusCode, response.body).toBe(201);
    const id = response.json<{ id: string }>().id;
    const deadline = Date.now() + 5_000;
    while ((await store.jobs.get(ALL, id))?.state === 'pending' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await store.jobs.get(ALL, id))?.state).not.toBe('pending');
    await platform.close();
    await store.close();
  });

  it('wakes the leader in another server process over the same database', async () => {
    const url = await database.freshUrl();
    if (!url) return; // PGlite is one process's database
    const leaderStore = await createStore({ databaseUrl: url, maxConnections: 3 });
    const apiStore = await createStore({ databaseUrl: url, maxConnections: 3 });
    let ticks = 0;
    const leader = await startPlatform(leaderStore, { intervalMs: 60_000, onTick: () => ticks++ });
    // The API-only server: the same tokens (one database), its own loop never started.
    const api = await startPlatform(apiStore, { seed: false });
    leader.loop.start();
    // After the first tick has ended, only a notification can start another within the test's time.
    while (ticks === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/v1/jobs',
      headers: { authorization: `Bearer ${leader.token('qiming-ai-admin')}` },
      payload: HELLO_JOB,
    });
    expect(response.statusCode, response.body).toBe(201);
    const id = response.json<{ id: string }>().id;
    const deadline = Date.now() + 5_000;
    while ((await apiStore.jobs.get(ALL, id))?.state === 'pending' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await apiStore.jobs.get(ALL, id))?.state).not.toBe('pending');
    await api.close();
    await leader.close();
    await apiStore.close();
    await leaderStore.close();
  });
});
