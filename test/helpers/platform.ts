/**
 * A whole platform in-process for tests: a migrated store (PGlite or PostgreSQL), the demo federation with its
 * tokens, local engines in a temp folder, the Fastify app (driven with inject, no port), and a control loop that
 * tests tick by hand or start.
 */
import type { AppContext } from '../../src/server/context.ts';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/server/app.ts';
import { ControlLoop, type TickReport } from '../../src/server/control/loop.ts';
import { seedDemo, type DemoTokens } from '../../src/server/demo.ts';
import { EngineRegistry } from '../../src/server/engines.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { parseJobSpec } from '../../src/core/job-spec.ts';
import type { Store, StoredJob } from '../../src/store/index.ts';
import type { PolicyConfig, SchedulingPolicy } from '../../src/core/scheduler/index.ts';
import { evaluateSubsidies } from '../../src/core/money/programmes/evaluate.ts';
import type { Programme, SubsidyProgramme } from '../../src/core/money/programmes/types.ts';

export interface TestPlatform {
  store: Store;
  app: FastifyInstance;
  engines: EngineRegistry;
  loop: ControlLoop;
  tokens: DemoTokens;
  dataDir: string;
  /** Token of a demo user by name, e.g. 'qiming-ai-admin', 'anhui-sci-univ-admin', 'office'. */
  token(user: string): string;
  close(): Promise<void>;
}

export const silentLog = { info() {}, warn() {}, error() {} };

export async function startPlatform(
  store: Store,
  options: {
    holder?: string;
    dataDir?: string;
    leaseTtlMs?: number;
    seed?: boolean;
    policy?: SchedulingPolicy;
    /** The suanli policy's configuration, for the loop and the API (as `suanli server --config` gives it). */
    policyConfig?: PolicyConfig;
    /** How often the loop re-reads clusters' inventory (default 60 s: the demo's local pools do not change). */
    inventoryEveryMs?: number;
    /** Milliseconds between ticks once started (default 50). */
    intervalMs?: number;
    /** How long a tick waits for slow clusters (the loop's default otherwise). */
    passBudgetMs?: number;
    /** Submits in flight at once per cluster (the loop's default otherwise). */
    dispatchConcurrency?: number;
    /** Serve the built web console from here (the browser tests). */
    consoleDir?: string;
    /** Called after each tick (the loop's onTick). */
    onTick?: (report: TickReport) => void;
    /** The programmes in force: the API's, and the loop's subsidy programmes with the real evaluator. */
    programmes?: Programme[];
    /** The platform's clock (default: the real one). */
    clock?: () => Date;
  } = {},
): Promise<TestPlatform> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'suanli-platform-'));
  const clock = options.clock ?? (() => new Date());
  const tokens =
    options.seed === false
      ? { roles: {} as DemoTokens['roles'], users: {} }
      : await seedDemo(store, { now: clock(), workDir: (id) => join(dataDir, 'engines', id) });
  const engines = new EngineRegistry(dataDir);
  const metrics = createMetrics(store);
  const context: AppContext = {
    store,
    engines,
    metrics,
    clock,
    version: 'test',
    ...(options.policyConfig ? { policy: options.policyConfig } : {}),
    ...(options.programmes ? { programmes: options.programmes } : {}),
  };
  const subsidyProgrammes = options.programmes?.filter((p): p is SubsidyProgramme => p.kind === 'SubsidyProgramme');
  const app = await buildApp(context, options.consoleDir ? { consoleDir: options.consoleDir } : {});
  const loop = new ControlLoop({
    store,
    engines,
    holder: options.holder ?? `test-${Math.random().toString(36).slice(2, 8)}`,
    clock,
    log: silentLog,
    intervalMs: options.intervalMs ?? 50,
    leaseTtlMs: options.leaseTtlMs ?? 5_000,
    inventoryEveryMs: options.inventoryEveryMs ?? 60_000,
    ...(options.policy ? { policy: options.policy } : {}),
    ...(options.policyConfig ? { policyConfig: options.policyConfig } : {}),
    ...(options.passBudgetMs !== undefined ? { passBudgetMs: options.passBudgetMs } : {}),
    ...(options.dispatchConcurrency !== undefined ? { dispatchConcurrency: options.dispatchConcurrency } : {}),
    ...(options.onTick ? { onTick: options.onTick } : {}),
    ...(subsidyProgrammes ? { subsidies: { programmes: subsidyProgrammes, evaluate: evaluateSubsidies } } : {}),
  });
  return {
    store,
    app,
    engines,
    loop,
    tokens,
    dataDir,
    token(user) {
      const entry = tokens.users[user];
      if (!entry) throw new Error(`no demo user ${user}`);
      return entry.token;
    },
    async close() {
      await loop.stop();
      await app.close();
      await engines.close();
      if (options.dataDir) return;
      // Local jobs outlive the platform by design; these are the test's own, and a runner still going would write
      // its status file into the folder while it is removed.
      await stopLocalRuns(dataDir);
      rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}

/** Kills the runners and ranks of every local job under `dataDir` (SIGKILL) and waits for them to be gone. */
async function stopLocalRuns(dataDir: string): Promise<void> {
  const enginesDir = join(dataDir, 'engines');
  if (!existsSync(enginesDir)) return;
  const pids: number[] = [];
  const read = (file: string): Record<string, unknown> | null => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch {
      return null;
    }
  };
  for (const cluster of readdirSync(enginesDir)) {
    const jobs = join(enginesDir, cluster, 'jobs');
    if (!existsSync(jobs)) continue;
    for (const job of readdirSync(jobs)) {
      const runner = read(join(jobs, job, 'runner.json'));
      const status = read(join(jobs, job, 'status.json'));
      if (typeof runner?.pid === 'number') pids.push(runner.pid);
      if (typeof status?.runnerPid === 'number') pids.push(status.runnerPid);
      for (const rank of (status?.ranks ?? []) as Array<{ pid?: number | null }>) if (rank.pid) pids.push(-rank.pid);
    }
  }
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 3_000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Ticks the loop until `done()` holds or the deadline passes. */
export async function tickUntil(loop: ControlLoop, done: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await loop.tick();
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const HELLO_JOB = {
  apiVersion: 'suanli.io/v1',
  kind: 'Job',
  metadata: { name: 'hello', project: 'demo' },
  spec: {
    resources: { accelerator: { model: 'H100-SXM' }, acceleratorsPerNode: 1, nodes: 1 },
    timeLimit: '5m',
    script: 'echo "on $SUANLI_ACCELERATOR_MODEL $SUANLI_ACCELERATORS"; sleep 1; echo done',
  },
};

/**
 * Stores a job of the demo tenant qiming-ai (project demo) straight in the store, as the API would: HELLO_JOB with
 * `spec` fields and `metadata` fields replaced. Throws naming the fields if the result is not a valid spec.
 */
export async function submitDemoJob(
  store: Store,
  spec: Record<string, unknown>,
  metadata: Record<string, unknown> = {},
): Promise<StoredJob> {
  const parsed = parseJobSpec({
    ...HELLO_JOB,
    metadata: { ...HELLO_JOB.metadata, ...metadata },
    spec: { ...HELLO_JOB.spec, ...spec },
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const { job } = await store.jobs.create({
    tenantId: 'qiming-ai',
    projectId: 'qiming-ai-demo',
    submittedBy: 'qiming-ai-admin',
    spec: parsed.spec,
    idempotencyKey: null,
    now: new Date(),
  });
  return job;
}
