/**
 * Submission throughput against the Slurm lab (scripts/slurm-up): N trivial one-accelerator jobs sent
 *   1. straight to the two clusters' slurmrestd (POST /slurm/v0.0.38/job/submit, keep-alive, one at a time), and
 *   2. through suanli end to end: POST /api/v1/jobs (or /jobs/batch with --batch K) over HTTP → control loop (place,
 *      dispatch) → Slurm,
 * in the same run on the same lab, half of them to each cluster. Reports jobs/s for submission, the time until
 * every job is COMPLETED and the CPU each kind of process spent per job, and writes bench/results/slurm-<date>[…].md.
 *
 *   npx tsx bench/slurm.ts [--jobs 200] [--runs 3] [--clients 1] [--batch 1] [--api-processes 1] [--dispatch-concurrency 2]
 *                          [--queue-ahead JOBS] [--lab FILE] [--interval-ms 1000] [--database-url URL | --pglite] [--warm-up 20]
 *                          [--profile-dir DIR]
 *                          [--no-write]
 *   (or: npm run bench:slurm -- --jobs 200)
 *
 * suanli runs as a province runs it over PostgreSQL (a throwaway one unless --database-url): the API in separate
 * `suanli server --no-loop` processes and the control loop in this process (demo federation, the loop's production
 * defaults unless --interval-ms says otherwise), with the lab's two clusters connected through POST /api/v1/clusters;
 * with --pglite (or --api-processes 0) everything runs in this one process. The demo's local clusters at the same
 * providers are moved to another provider so that jobs constrained to hefei-aicc / wuhu-hub land on Slurm only.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../src/server/app.ts';
import type { AppContext } from '../src/server/context.ts';
import { startApiProcess } from './api-process.ts';
import { processesCpu, type ProcessCpu } from './process-cpu.ts';
import { startSubmitClient, type SubmitRequest } from './submit-client.ts';
import { binDir, startPostgres } from './throwaway-postgres.ts';
import { ControlLoop, DEFAULT_DISPATCH_CONCURRENCY, type TickReport } from '../src/server/control/loop.ts';
import { seedDemo } from '../src/server/demo.ts';
import { EngineRegistry } from '../src/server/engines.ts';
import { createMetrics } from '../src/server/metrics.ts';
import type { Engine } from '../src/engines/engine.ts';
import { httpRequest } from '../src/engines/slurm/http.ts';
import { submissionBody } from '../src/engines/slurm/v0038.ts';
import type { ClusterRecord } from '../src/store/federation.ts';
import { ALL, createStore, type Store } from '../src/store/index.ts';
import { arg } from './args.ts';

interface LabCluster {
  name: string;
  restUrl: string;
  user: string;
  token: string;
  partitions: string[];
  nodes: string[];
  gres: { type: string; perNode: number };
  slurmConf: string;
}

interface Target {
  lab: LabCluster;
  clusterId: string;
  providerId: string;
  model: string;
}

const JOBS = Number(arg('jobs') ?? 200);
const LAB_FILE = arg('lab') ?? process.env.SUANLI_SLURM_LAB ?? '/tmp/suanli-slurm-lab/lab.json';
const INTERVAL_MS = Number(arg('interval-ms') ?? 1000);
const DATABASE_URL = arg('database-url');
/** The embedded store instead of PostgreSQL: what `npm run demo` uses, not what a province runs. */
const PGLITE = process.argv.includes('--pglite');
/** Accelerators per partition suanli may leave waiting in Slurm's queue (cluster config queueAheadAccelerators). */
const QUEUE_AHEAD = Number(arg('queue-ahead') ?? JOBS);
/** Submitting clients at once, on both paths (many tenants submit at the same time). */
const CLIENTS = Number(arg('clients') ?? 1);
/**
 * API server processes (`suanli server --no-loop`) beside the process running the control loop, as a province runs
 * suanli over PostgreSQL; 0 serves the API from the loop's own process (always so with --pglite, one process's store).
 */
const API_PROCESSES = PGLITE ? 0 : Number(arg('api-processes') ?? 1);
/** Jobs per suanli request: 1 posts each to /jobs; more sends them to /jobs/batch (slurmrestd takes one at a time). */
const BATCH = Number(arg('batch') ?? 1);
/** Rounds of (direct, suanli); the report gives each and details the median one by ratio. */
const RUNS = Number(arg('runs') ?? 3);
/** Submits in flight at once per cluster (the loop's dispatchConcurrency). */
const DISPATCH_CONCURRENCY = Number(arg('dispatch-concurrency') ?? DEFAULT_DISPATCH_CONCURRENCY);

const WRITE = !process.argv.includes('--no-write');
/**
 * Jobs sent the whole way on each path before each timed part, and waited for: a platform in service is warm (its
 * processes compiled, its connections to PostgreSQL and slurmrestd open), as slurmrestd is.
 */
const WARMUP = Number(arg('warm-up') ?? 20);
/** Writes V8 CPU profiles of the API processes there (run the bench itself under `node --cpu-prof` for the loop's). */
const PROFILE_DIR = arg('profile-dir');
if (!Number.isInteger(JOBS) || JOBS < 1) throw new Error('--jobs must be a positive integer');
if (!Number.isInteger(QUEUE_AHEAD) || QUEUE_AHEAD < 0) throw new Error('--queue-ahead must be a whole number');
if (!Number.isInteger(CLIENTS) || CLIENTS < 1) throw new Error('--clients must be a positive integer');
if (!Number.isInteger(API_PROCESSES) || API_PROCESSES < 0) throw new Error('--api-processes must be a whole number');
if (!Number.isInteger(BATCH) || BATCH < 1 || BATCH > 1000) throw new Error('--batch must be 1 to 1000');
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error('--runs must be a positive integer');
if (!Number.isInteger(WARMUP) || WARMUP < 0) throw new Error('--warm-up must be a whole number');
if (!existsSync(LAB_FILE)) {
  console.error(`no Slurm lab at ${LAB_FILE}: run scripts/slurm-up first (or pass --lab)`);
  process.exit(2);
}
const lab = JSON.parse(readFileSync(LAB_FILE, 'utf8')) as { clusters: LabCluster[] };
const labCluster = (name: string) => {
  const found = lab.clusters.find((c) => c.name === name);
  if (!found) throw new Error(`the lab has no cluster ${name}`);
  return found;
};
const TARGETS: Target[] = [
  { lab: labCluster('hefei'), clusterId: 'hefei-slurm', providerId: 'hefei-aicc', model: 'A100-80GB' },
  { lab: labCluster('wuhu'), clusterId: 'wuhu-slurm', providerId: 'wuhu-hub', model: 'H100-SXM' },
];
const SLOTS = TARGETS.reduce((n, t) => n + t.lab.nodes.length * t.lab.gres.perNode, 0);
/** The clients that submit on both paths, in a process of their own (bench/submit-client.ts). */
const submitClient = startSubmitClient();

/**
 * CPU seconds used so far per kind of process on the machine (/proc), so that each path's cost per job can be told
 * apart from the load of whatever else shares the machine: suanli's own processes (this one, the API processes,
 * PostgreSQL) and Slurm's (slurmrestd, slurmctld, slurmdbd, MariaDB, slurmd and the jobs' steps).
 */
function cpuByKind(apiPids: readonly number[] = [], postgresPid = -1): Map<string, number> {
  const kindOf = (p: ProcessCpu): string | null => {
    if (p.pid === process.pid) return 'suanli: control loop (the bench process)';
    if (p.pid === submitClient.pid) return 'bench: submitting clients';
    if (apiPids.includes(p.pid)) return 'suanli: API processes';
    if (p.pid === postgresPid || p.ppid === postgresPid) return 'PostgreSQL';
    if (['slurmrestd', 'slurmctld', 'slurmdbd', 'mariadbd', 'slurmd', 'slurmstepd', 'munged'].includes(p.name)) {
      return `Slurm: ${p.name}`;
    }
    return null;
  };
  const totals = new Map<string, number>();
  for (const p of processesCpu()) {
    const kind = kindOf(p);
    if (kind) totals.set(kind, (totals.get(kind) ?? 0) + p.cpuSeconds);
  }
  return totals;
}

function cpuDelta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  return new Map([...after].map(([kind, cpu]) => [kind, cpu - (before.get(kind) ?? 0)]));
}

const now = () => performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => (ms / 1000).toFixed(2);
const rate = (n: number, ms: number) => (n / (ms / 1000)).toFixed(1);

// --- slurmrestd ----------------------------------------------------------------------------------------------

function slurmHeaders(c: LabCluster): Record<string, string> {
  return { 'X-SLURM-USER-NAME': c.user, 'X-SLURM-USER-TOKEN': c.token, accept: 'application/json' };
}

/**
 * Every request of the bench, on either path, goes through the HTTP client suanli's engine uses (kept-alive
 * node:http): the two paths' clients then cost the same, and neither is handicapped by a heavier one.
 */
async function request(url: string, method: string, headers: Record<string, string>, body?: unknown) {
  const answer = await httpRequest(new URL(url), {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    timeoutMs: 60_000,
  });
  return { status: answer.status, text: answer.text, json: <T>() => JSON.parse(answer.text) as T };
}

async function slurmJobs(c: LabCluster): Promise<Map<string, string>> {
  const response = await request(`${c.restUrl}/slurm/v0.0.38/jobs`, 'GET', slurmHeaders(c));
  const body = response.json<{ jobs?: Array<{ job_id: number; job_state: string }> }>();
  return new Map((body.jobs ?? []).map((j) => [String(j.job_id), j.job_state]));
}

const FINAL_SLURM = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'BOOT_FAIL', 'OUT_OF_MEMORY']);

/** Polls both controllers until every given job has ended; returns when, and how many did not complete. */
async function waitCompleted(ids: Map<string, string[]>, deadlineMs: number): Promise<{ at: number; bad: number }> {
  for (;;) {
    let open = 0;
    let bad = 0;
    for (const target of TARGETS) {
      const states = await slurmJobs(target.lab);
      for (const id of ids.get(target.lab.name) ?? []) {
        const state = states.get(id);
        if (!state || !FINAL_SLURM.has(state)) open++;
        else if (state !== 'COMPLETED') bad++;
      }
    }
    if (open === 0) return { at: now(), bad };
    if (now() > deadlineMs) throw new Error(`${open} jobs still not finished on Slurm`);
    await sleep(250);
  }
}

/** Polls both controllers until `count` jobs whose comment is one of `tags` are COMPLETED; returns when. */
async function waitTaggedCompleted(tags: Set<string>, count: number, deadlineMs: number, stop: () => boolean) {
  for (;;) {
    let completed = 0;
    for (const target of TARGETS) {
      const response = await request(`${target.lab.restUrl}/slurm/v0.0.38/jobs`, 'GET', slurmHeaders(target.lab));
      const body = response.json<{ jobs?: Array<{ job_state: string; comment?: string }> }>();
      for (const job of body.jobs ?? []) {
        if (job.job_state === 'COMPLETED' && tags.has(job.comment ?? '')) completed++;
      }
    }
    if (completed >= count) return now();
    if (now() > deadlineMs || stop()) return Number.NaN;
    await sleep(250);
  }
}

async function cancelAll(ids: Map<string, string[]>): Promise<void> {
  for (const target of TARGETS) {
    const states = await slurmJobs(target.lab).catch(() => new Map<string, string>());
    for (const id of ids.get(target.lab.name) ?? []) {
      const state = states.get(id);
      if (state && !FINAL_SLURM.has(state)) {
        await request(`${target.lab.restUrl}/slurm/v0.0.38/job/${id}`, 'DELETE', slurmHeaders(target.lab)).catch(
          () => undefined,
        );
      }
    }
  }
}

/** Waits until neither controller has a pending or running job (other work would skew the timings). */
async function waitIdle(deadlineMs: number): Promise<void> {
  for (;;) {
    let busy = 0;
    for (const target of TARGETS) {
      for (const state of (await slurmJobs(target.lab)).values()) if (!FINAL_SLURM.has(state)) busy++;
    }
    if (busy === 0) return;
    if (now() > deadlineMs) {
      console.warn(`  (the lab still has ${busy} unfinished jobs of someone else; going on)`);
      return;
    }
    await sleep(500);
  }
}

// --- 1. straight to slurmrestd -------------------------------------------------------------------------------

interface Result {
  submitMs: number;
  completedMs: number;
  notCompleted: number;
  /** CPU seconds per kind of process from the first submission until the last was on Slurm. */
  cpu: Map<string, number>;
}

/** The i-th direct submission: the body suanli's engine sends, less the node list (here Slurm picks the node). */
function directRequest(i: number, tag: string, workDir: string): SubmitRequest {
  const c = TARGETS[i % TARGETS.length]!.lab;
  const body = submissionBody({
    script: '#!/bin/sh\n# submitted by bench/slurm.ts\ntrue\n',
    name: `direct-${i}`,
    partition: c.partitions[0]!,
    nodeNames: [],
    nodes: 1,
    gres: `gpu:${c.gres.type}:1`,
    timeLimitMinutes: 1,
    comment: tag,
    environment: { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' },
    workDir,
    stdout: `${workDir}/${tag}-%j.out`,
  });
  return {
    url: `${c.restUrl}/slurm/v0.0.38/job/submit`,
    method: 'POST',
    headers: { ...slurmHeaders(c), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
}

/** Job ids by cluster name from the direct submissions' answers, in order. */
function directIds(answers: Array<{ status: number; text: string }>): Map<string, string[]> {
  const ids = new Map<string, string[]>(TARGETS.map((t) => [t.lab.name, []]));
  answers.forEach((response, i: number) => {
    const c = TARGETS[i % TARGETS.length]!.lab;
    const answer = JSON.parse(response.text) as { job_id?: number; errors?: unknown[] };
    if (response.status !== 200 || answer.job_id === undefined) {
      throw new Error(`${c.name} refused a job: HTTP ${response.status} ${JSON.stringify(answer.errors)}`);
    }
    ids.get(c.name)!.push(String(answer.job_id));
  });
  return ids;
}

async function direct(run: string, workDir: string): Promise<Result> {
  if (WARMUP > 0) {
    const requests = Array.from({ length: WARMUP }, (_, i) => directRequest(i, `bench-${run}-warm-${i}`, workDir));
    const warm = await submitClient.run({ requests, clients: 1 });
    await waitCompleted(directIds(warm.answers), now() + 120_000);
    await waitIdle(now() + 120_000);
  }
  let ids = new Map<string, string[]>(TARGETS.map((t) => [t.lab.name, []]));
  const requests = Array.from({ length: JOBS }, (_, i) => directRequest(i, `bench-${run}-direct-${i}`, workDir));
  const cpuBefore = cpuByKind();
  try {
    const round = await submitClient.run({ requests, clients: CLIENTS });
    const cpu = cpuDelta(cpuBefore, cpuByKind());
    ids = directIds(round.answers);
    const start = round.startedAt;
    const submitted = round.endedAt;
    const done = await waitCompleted(ids, submitted + 600_000);
    return { submitMs: submitted - start, completedMs: done.at - start, notCompleted: done.bad, cpu };
  } finally {
    await cancelAll(ids);
  }
}

// --- 2. through suanli ---------------------------------------------------------------------------------------

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Calls and time per engine method, and how many accounting calls had no record yet. */
interface CallStats {
  calls: number;
  ms: number;
  empty: number;
}

/** The server's engine registry, timing every call the control loop and the API make on Slurm engines. */
class TimedEngineRegistry extends EngineRegistry {
  readonly stats = new Map<string, CallStats>();
  /** When each submit to Slurm returned (performance.now()). */
  readonly submitted: number[] = [];
  /** Called when the `JOBS`th submit has returned. */
  onAllSubmitted: () => void = () => {};
  private readonly wrapped = new WeakMap<Engine, Engine>();

  override for(cluster: ClusterRecord): Engine {
    const engine = super.for(cluster);
    if (cluster.engine !== 'slurm') return engine;
    let timed = this.wrapped.get(engine);
    if (!timed) {
      timed = new Proxy(engine, {
        get: (target, property, receiver) => {
          const value: unknown = Reflect.get(target, property, receiver);
          if (typeof value !== 'function' || typeof property !== 'string') return value;
          return async (...args: unknown[]) => {
            const started = now();
            const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            const entry = this.stats.get(property) ?? { calls: 0, ms: 0, empty: 0 };
            entry.calls++;
            entry.ms += now() - started;
            if (result === null) entry.empty++;
            if (property === 'submit' && this.submitted.push(now()) === JOBS) this.onAllSubmitted();
            this.stats.set(property, entry);
            return result;
          };
        },
      });
      this.wrapped.set(engine, timed);
    }
    return timed;
  }
}

/** A one-accelerator job for the i-th target, as the tenant submits it. */
function suanliSpec(i: number, name = 'suanli') {
  const target = TARGETS[i % TARGETS.length]!;
  return {
    apiVersion: 'suanli.io/v1',
    kind: 'Job',
    metadata: { name: `${name}-${i}`, project: 'demo' },
    spec: {
      resources: { accelerator: { model: target.model }, acceleratorsPerNode: 1, nodes: 1 },
      timeLimit: '1m',
      command: ['true'],
      constraints: { providers: [target.providerId] },
    },
  };
}

interface SuanliResult extends Result {
  acceptMs: number;
  dispatchedMs: number;
  firstWaveMs: number;
  firstWave: number;
  succeededMs: number;
  ticks: number;
  tickMeanMs: number;
  tickMaxMs: number;
  maxDispatchedPerTick: number;
  dispatchTicks: number;
  dispatchTickMeanMs: number;
  store: string;
  calls: Map<string, CallStats>;
}

async function viaSuanli(run: string, dir: string, workDir: string): Promise<SuanliResult> {
  // As a province runs it: over PostgreSQL (a throwaway one unless --database-url), or PGlite with --pglite.
  const postgres = DATABASE_URL || PGLITE ? null : await startPostgres(binDir());
  const tokenFile = join(dir, 'slurm.jwt');
  writeFileSync(tokenFile, `${TARGETS[0]!.lab.token}\n`, { mode: 0o600 });
  const databaseUrl = DATABASE_URL ?? postgres?.url;
  const store: Store = await createStore(databaseUrl ? { databaseUrl } : {});
  const clock = () => new Date();
  const tokens = await seedDemo(store, { now: clock(), workDir: (id) => join(dir, 'engines', id) });
  for (const id of ['hefei-1', 'wuhu-1']) {
    const local = (await store.federation.getCluster(id))!;
    await store.federation.upsertCluster({
      id: local.id,
      name: local.name,
      engine: local.engine,
      config: local.config,
      providerId: 'suzhou-wanbei',
    });
  }
  const engines = new TimedEngineRegistry(dir);
  const context: AppContext = { store, engines, metrics: createMetrics(store), clock, version: 'bench' };
  const app = await buildApp(context);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const own = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const apis = await Promise.all(
    Array.from({ length: databaseUrl ? API_PROCESSES : 0 }, (_, i) =>
      startApiProcess(
        databaseUrl!,
        join(dir, `api-${i}`),
        PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [],
      ),
    ),
  );
  // Submissions go round the API processes (as a load balancer in front of them would); setup to this process's API.
  const bases = apis.length > 0 ? apis.map((a) => a.url) : [own];
  let turn = 0;
  const call = async (token: string, method: string, path: string, body?: unknown, base = own) => {
    const response = await request(`${base}/api/v1${path}`, method, { authorization: `Bearer ${token}` }, body);
    if (response.status >= 300) throw new Error(`${method} ${path}: HTTP ${response.status}: ${response.text}`);
    return response.json<Record<string, unknown>>();
  };
  const office = tokens.users['office']!.token;
  const tenant = tokens.users['qiming-ai-admin']!.token;
  for (const target of TARGETS) {
    await call(office, 'POST', '/clusters', {
      id: target.clusterId,
      providerId: target.providerId,
      engine: 'slurm',
      config: {
        restUrl: target.lab.restUrl,
        user: target.lab.user,
        tokenFile,
        partitions: target.lab.partitions,
        workDir,
        queueAheadAccelerators: QUEUE_AHEAD,
      },
    });
  }

  const ticks: Array<TickReport & { at: number }> = [];
  let finished = 0;
  let succeededAt = 0;
  const firstWave = Math.min(JOBS, SLOTS);
  const loop = new ControlLoop({
    store,
    engines,
    holder: `bench-${run}`,
    clock,
    log: { info() {}, warn() {}, error: (obj, msg) => console.error(msg, obj) },
    intervalMs: INTERVAL_MS,
    dispatchConcurrency: DISPATCH_CONCURRENCY,
    onTick: (report) => {
      ticks.push({ ...report, at: now() });
      finished += report.finished;
      if (!succeededAt && finished >= JOBS) succeededAt = now();
    },
  });
  loop.start();
  await sleep(200); // the first tick reads every cluster's inventory
  if (WARMUP > 0) {
    const warm = await submitClient.run({
      requests: Array.from({ length: WARMUP }, (_, i) => ({
        url: `${bases[i % bases.length]}/api/v1/jobs`,
        method: 'POST',
        headers: { authorization: `Bearer ${tenant}`, 'content-type': 'application/json' },
        body: JSON.stringify(suanliSpec(i, 'warm-up')),
      })),
      clients: 1,
    });
    if (warm.answers.some((a) => a.status !== 201)) throw new Error('warm-up: a submission was refused');
    const deadline = now() + 120_000;
    while (finished < WARMUP) {
      if (now() > deadline) throw new Error(`warm-up: only ${finished} of ${WARMUP} jobs finished`);
      await sleep(100);
    }
    finished = 0;
    ticks.length = 0;
    engines.submitted.length = 0;
    engines.stats.clear();
    await waitIdle(now() + 120_000);
  }

  const ids: string[] = [];
  const tags = new Set<string>();
  let stopPolling = false;
  const apiPids = apis.map((a) => a.child.pid!);
  const cpuBefore = cpuByKind(apiPids, postgres?.pid);
  let cpu = new Map<string, number>();
  // When the client sent its first request (set from its answer; until then, about now).
  let start = now();
  // Slurm's view, polled as for the direct jobs once all are submitted (polling earlier would load slurmrestd while
  // suanli submits, which the direct path is spared): when is the last of them COMPLETED?
  let completed: Promise<number> = Promise.resolve(Number.NaN);
  engines.onAllSubmitted = () => {
    cpu = cpuDelta(cpuBefore, cpuByKind(apiPids, postgres?.pid));
    completed = waitTaggedCompleted(tags, JOBS, start + 900_000, () => stopPolling);
  };
  try {
    const stored = (job: Record<string, unknown>) => {
      ids.push(String(job['id']));
      tags.add(`suanli-${String(job['id'])}-1`);
    };
    // One job per request (POST /jobs), or each request the next BATCH jobs (POST /jobs/batch); requests go round
    // the API processes as a load balancer in front of them would send them.
    const requests: SubmitRequest[] = [];
    for (let i = 0; i < JOBS; i += BATCH) {
      const indexes = Array.from({ length: Math.min(BATCH, JOBS - i) }, (_, k) => i + k);
      requests.push({
        url: `${bases[turn++ % bases.length]}/api/v1/jobs${BATCH === 1 ? '' : '/batch'}`,
        method: 'POST',
        headers: { authorization: `Bearer ${tenant}`, 'content-type': 'application/json' },
        body: JSON.stringify(BATCH === 1 ? suanliSpec(i) : { jobs: indexes.map((k) => suanliSpec(k)) }),
      });
    }
    const round = await submitClient.run({ requests, clients: CLIENTS });
    start = round.startedAt;
    const accepted = round.endedAt;
    for (const answer of round.answers) {
      if (answer.status !== 201) throw new Error(`POST /jobs: HTTP ${answer.status}: ${answer.text}`);
      const body = JSON.parse(answer.text) as Record<string, unknown> & { items?: Array<Record<string, unknown>> };
      for (const job of body.items ?? [body]) stored(job);
    }
    const deadline = accepted + 900_000;
    while (!succeededAt) {
      if (now() > deadline) throw new Error(`only ${finished} of ${JOBS} jobs finished in suanli`);
      await sleep(100);
    }
    for (const id of ids) {
      const job = (await call(tenant, 'GET', `/jobs/${id}`)) as { state: string };
      if (job.state !== 'succeeded') throw new Error(`job ${id} ended ${job.state}`);
    }
    const completedAt = await completed;
    // When Slurm accepted the first wave and the last job (the tick's report comes only after its follow phase).
    const firstWaveAt = engines.submitted[firstWave - 1] ?? Number.NaN;
    const dispatchedAt = engines.submitted[JOBS - 1] ?? Number.NaN;
    const dispatchTicks = ticks.filter((t) => t.dispatched > 0);
    return {
      acceptMs: accepted - start,
      submitMs: dispatchedAt - start,
      dispatchedMs: dispatchedAt - start,
      firstWaveMs: firstWaveAt - start,
      firstWave,
      succeededMs: succeededAt - start,
      completedMs: completedAt - start,
      notCompleted: 0,
      cpu,
      ticks: ticks.length,
      tickMeanMs: ticks.reduce((s, t) => s + t.durationMs, 0) / Math.max(1, ticks.length),
      tickMaxMs: Math.max(0, ...ticks.map((t) => t.durationMs)),
      maxDispatchedPerTick: Math.max(0, ...ticks.map((t) => t.dispatched)),
      dispatchTicks: dispatchTicks.length,
      dispatchTickMeanMs: dispatchTicks.reduce((s, t) => s + t.durationMs, 0) / Math.max(1, dispatchTicks.length),
      store: store.description,
      calls: engines.stats,
    };
  } finally {
    stopPolling = true;
    await completed;
    await loop.stop();
    const leftovers = new Map<string, string[]>(TARGETS.map((t) => [t.lab.name, []]));
    for (const id of ids) {
      const job = await store.jobs.get(ALL, id).catch(() => null);
      const target = TARGETS.find((t) => t.clusterId === job?.clusterId);
      if (job?.engineJobId && target) leftovers.get(target.lab.name)!.push(job.engineJobId);
    }
    await cancelAll(leftovers).catch(() => undefined);
    await Promise.all(apis.map((a) => stopProcess(a.child)));
    await app.close();
    await engines.close();
    await store.close();
    await postgres?.stop();
  }
}

// --- report --------------------------------------------------------------------------------------------------

function machine(): string {
  const cpus = os.cpus();
  const slurm = (() => {
    try {
      return execFileSync('sinfo', ['-V'], {
        encoding: 'utf8',
        env: { ...process.env, SLURM_CONF: TARGETS[0]!.lab.slurmConf },
      }).trim();
    } catch {
      return 'slurm (version unknown)';
    }
  })();
  return (
    `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
    `${os.platform()} ${os.release()}, Node ${process.version}; ${slurm} (lab: scripts/slurm-up, one machine)`
  );
}

async function main(): Promise<void> {
  const run = Date.now().toString(36);
  const dir = mkdtempSync(join(os.tmpdir(), 'suanli-bench-slurm-'));
  chmodSync(dir, 0o755);
  const workDir = join(dir, 'jobs');
  mkdirSync(workDir);
  chmodSync(workDir, 0o1777); // jobs run as the lab's Unix user and write their output here
  const date = new Date().toISOString().slice(0, 10);
  console.log(`bench/slurm.ts: ${JOBS} jobs, lab ${LAB_FILE}, ${SLOTS} accelerators in the lab`);
  try {
    // Rounds of direct then suanli, back to back: on a shared machine either path's rate moves 2-3× within minutes,
    // so each round's ratio compares two measurements taken moments apart, and the median round is reported.
    const rounds: Array<{ d: Result; s: SuanliResult; ratio: number }> = [];
    for (let round = 1; round <= RUNS; round++) {
      await waitIdle(now() + 120_000);
      console.log(`round ${round} of ${RUNS}: direct to slurmrestd …`);
      const d = await direct(`${run}-${round}`, workDir);
      console.log(
        `  submitted in ${seconds(d.submitMs)} s (${rate(JOBS, d.submitMs)} jobs/s); all ended on Slurm after ` +
          `${seconds(d.completedMs)} s (${d.notCompleted} not COMPLETED)`,
      );
      await waitIdle(now() + 120_000);
      console.log(`round ${round} of ${RUNS}: through suanli …`);
      const s = await viaSuanli(`${run}-${round}`, dir, workDir);
      rounds.push({ d, s, ratio: d.submitMs / s.dispatchedMs });
      console.log(
        `  suanli submitted all after ${seconds(s.dispatchedMs)} s (${rate(JOBS, s.dispatchedMs)} jobs/s): ` +
          `ratio ${(d.submitMs / s.dispatchedMs).toFixed(2)}`,
      );
    }
    const byRatio = [...rounds].sort((a, b) => a.ratio - b.ratio);
    const median = byRatio[Math.floor((byRatio.length - 1) / 2)]!;
    const { d, s } = median;
    const roundLines = rounds.map(
      (r, i) =>
        `| ${i + 1}${r === median ? ' (median)' : ''} | ${seconds(r.d.submitMs)} | ${rate(JOBS, r.d.submitMs)} | ` +
        `${seconds(r.s.acceptMs)} | ${seconds(r.s.dispatchedMs)} | ${rate(JOBS, r.s.dispatchedMs)} | ${r.ratio.toFixed(2)} |`,
    );
    console.log(
      `  API accepted in ${seconds(s.acceptMs)} s (${rate(JOBS, s.acceptMs)} jobs/s); all dispatched to Slurm after ` +
        `${seconds(s.dispatchedMs)} s (${rate(JOBS, s.dispatchedMs)} jobs/s); first ${s.firstWave} dispatched after ` +
        `${seconds(s.firstWaveMs)} s; all COMPLETED on Slurm after ${seconds(s.completedMs)} s; all succeeded in ` +
        `suanli after ${seconds(s.succeededMs)} s`,
    );
    console.log(
      `  loop: ${s.ticks} ticks, mean ${s.tickMeanMs.toFixed(0)} ms, max ${s.tickMaxMs} ms; ${s.dispatchTicks} ticks ` +
        `dispatched (mean ${s.dispatchTickMeanMs.toFixed(0)} ms), at most ${s.maxDispatchedPerTick} jobs in one tick`,
    );
    const calls = [...s.calls.entries()]
      .filter(([, c]) => c.calls > 0)
      .map(([name, c]) => ({
        name,
        line:
          `| ${name} | ${c.calls} | ${(c.ms / 1000).toFixed(1)} | ${(c.ms / c.calls).toFixed(1)} | ` +
          `${name === 'accounting' ? c.empty : ''} |`,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    for (const [name, c] of s.calls) {
      console.log(
        `  engine.${name}: ${c.calls} calls, ${(c.ms / 1000).toFixed(1)} s, ${(c.ms / c.calls).toFixed(1)} ms each` +
          (name === 'accounting' ? ` (${c.empty} without a record yet)` : ''),
      );
    }
    const kinds = [...new Set([...d.cpu.keys(), ...s.cpu.keys()])].sort();
    const cpuMs = (cpu: Map<string, number>, kind: string) => ((cpu.get(kind) ?? 0) * 1000) / JOBS;
    const cpuLines = [...kinds, 'all'].map((kind) => {
      const total = (cpu: Map<string, number>) =>
        kind === 'all' ? [...cpu.values()].reduce((a, b) => a + b, 0) : (cpu.get(kind) ?? 0);
      return `| ${kind} | ${((total(d.cpu) * 1000) / JOBS).toFixed(2)} | ${((total(s.cpu) * 1000) / JOBS).toFixed(2)} |`;
    });
    for (const kind of kinds) {
      console.log(
        `  CPU ${kind}: direct ${cpuMs(d.cpu, kind).toFixed(2)} ms/job, suanli ${cpuMs(s.cpu, kind).toFixed(2)} ms/job`,
      );
    }
    const ratio = d.submitMs / s.dispatchedMs;
    const perCall = (name: string) => {
      const c = s.calls.get(name);
      return c && c.calls > 0 ? (c.ms / c.calls).toFixed(1) : '–';
    };
    // The clusters are followed side by side: wall time is about the sum over the busier cluster.
    const firstWaveRatio = s.firstWave / (s.firstWaveMs / 1000) / (JOBS / (d.submitMs / 1000));
    console.log(
      `  ratio suanli/direct (submission, all ${JOBS}): ${ratio.toFixed(2)}; ` +
        `first ${s.firstWave}: ${firstWaveRatio.toFixed(2)}`,
    );
    const apiWhere =
      API_PROCESSES > 0 && !PGLITE
        ? `${API_PROCESSES} API process(es) (\`suanli server --no-loop\`) beside the loop's`
        : "the API in the loop's own process";
    const load = os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(', ');
    const report = `# Slurm submission benchmark, ${date}

- Machine: ${machine()}
- Command: \`npx tsx bench/slurm.ts --jobs ${JOBS}${CLIENTS !== 1 ? ` --clients ${CLIENTS}` : ''}${QUEUE_AHEAD !== JOBS ? ` --queue-ahead ${QUEUE_AHEAD}` : ''}${INTERVAL_MS !== 1000 ? ` --interval-ms ${INTERVAL_MS}` : ''}${DATABASE_URL ? ' --database-url postgres://…' : ''}${PGLITE ? ' --pglite' : ''}${BATCH !== 1 ? ` --batch ${BATCH}` : ''}${API_PROCESSES !== 1 && !PGLITE ? ` --api-processes ${API_PROCESSES}` : ''}${DISPATCH_CONCURRENCY !== DEFAULT_DISPATCH_CONCURRENCY ? ` --dispatch-concurrency ${DISPATCH_CONCURRENCY}` : ''}${RUNS !== 3 ? ` --runs ${RUNS}` : ''}${WARMUP !== 20 ? ` --warm-up ${WARMUP}` : ''}\` (bench/slurm.ts)
- Lab: two clusters, hefei (3 nodes × 4 A100) and wuhu (2 nodes × 8 H100): ${SLOTS} accelerators; each job asks
  for one accelerator on one node and runs \`true\` (time limit 1 min), half of them on each cluster.
- Clients: on both paths, ${CLIENTS} client(s) in a process of their own (bench/submit-client.ts), sending with the
  HTTP client suanli's engine uses (kept-alive node:http); the times are from its first request. Before each timed
  part, ${WARMUP} jobs go the whole way on that path and are waited for (a platform in service is warm, as
  slurmrestd is).
- Direct: the same v0.0.38 submission body suanli's engine sends (without its node list), POSTed to each cluster's
  slurmrestd over keep-alive connections by ${CLIENTS} client(s) at once; Slurm queues what does not fit.
- suanli: ${apiWhere} over ${s.store}; ${BATCH === 1 ? '`POST /api/v1/jobs`, one job per request,' : `\`POST /api/v1/jobs/batch\`, ${BATCH} jobs per request,`} over HTTP by
  ${CLIENTS} client(s) at once; each submission wakes the control loop (NOTIFY; timer ${INTERVAL_MS} ms), which runs in this
  process; jobs go onto free accelerators or, up to \`queueAheadAccelerators\` = ${QUEUE_AHEAD} per partition, into
  Slurm's own queue (docs/scheduling.md, "Queueing ahead"); up to ${DISPATCH_CONCURRENCY} submits in flight per cluster;
  metering and the ledger run beside the ticks.
- Load average when the run ended: ${load}.

| path | N | all submitted (s) | submission jobs/s | all COMPLETED on Slurm (s) |
| --- | ---: | ---: | ---: | ---: |
| direct to slurmrestd | ${JOBS} | ${seconds(d.submitMs)} | ${rate(JOBS, d.submitMs)} | ${seconds(d.completedMs)} |
| suanli (API → loop → Slurm) | ${JOBS} | ${seconds(s.dispatchedMs)} | ${rate(JOBS, s.dispatchedMs)} | ${seconds(s.completedMs)} |

**Ratio suanli / direct (submission jobs/s, all ${JOBS}), median of ${RUNS} round(s): ${ratio.toFixed(2)}** (target ≥ 0.8).

Each round submits the ${JOBS} jobs straight to slurmrestd, then through suanli, back to back:

| round | direct: all submitted (s) | direct jobs/s | suanli: API accepted all (s) | suanli: all on Slurm (s) | suanli jobs/s | ratio |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${roundLines.join('\n')}

The rest of this report is the median round.

suanli in detail:

- API accepted all ${JOBS} in ${seconds(s.acceptMs)} s (${rate(JOBS, s.acceptMs)} jobs/s).
- The first ${s.firstWave} jobs (as many as the lab has accelerators) were on Slurm ${seconds(s.firstWaveMs)} s after the
  first API call (${rate(s.firstWave, s.firstWaveMs)} jobs/s, ${firstWaveRatio.toFixed(2)} × direct).
- All ${JOBS} had succeeded in suanli (accounting stored) after ${seconds(s.succeededMs)} s.
- Loop: ${s.ticks} ticks, mean ${s.tickMeanMs.toFixed(0)} ms, max ${s.tickMaxMs} ms; ${s.dispatchTicks} ticks dispatched
  something (mean ${s.dispatchTickMeanMs.toFixed(0)} ms), at most ${s.maxDispatchedPerTick} jobs in one tick.

Where the time goes:

- \`engine.submit\` took ${perCall('submit')} ms per job (up to ${DISPATCH_CONCURRENCY} at once per cluster), a direct POST
  ${(d.submitMs / JOBS).toFixed(1)} ms; the loop submitted up to ${s.maxDispatchedPerTick} jobs in one tick.
- \`engine.accountingMany\` (one slurmdbd query per cluster and pass, beside the ticks) took
  ${seconds(s.calls.get('accountingMany')?.ms ?? 0)} s summed over both clusters.
- The API accepted jobs at ${rate(JOBS, s.acceptMs)} jobs/s, ${(JOBS / (s.acceptMs / 1000) / (JOBS / (d.submitMs / 1000))).toFixed(2)} × direct.

CPU milliseconds per job, by kind of process, from the first submission until the last job was on Slurm (/proc; the
machine's other work is left out, so these move much less with load than the rates above):

| process | direct | suanli |
| --- | ---: | ---: |
${cpuLines.join('\n')}

Slurm engine calls made by the control loop and the API during the suanli run (inside ticks; one after another within a cluster):

| call | calls | total s | ms per call | accounting: no record yet |
| --- | ---: | ---: | ---: | ---: |
${calls.map((c) => c.line).join('\n')}
`;
    if (WRITE) {
      // Default settings write slurm-<date>.md; other settings add what differs, e.g. slurm-<date>-jobs28.md.
      const variant = [
        JOBS !== 200 ? `jobs${JOBS}` : '',
        INTERVAL_MS !== 1000 ? `interval${INTERVAL_MS}` : '',
        DATABASE_URL ? 'postgres' : '',
        PGLITE ? 'pglite' : '',
        CLIENTS !== 1 ? `clients${CLIENTS}` : '',
        QUEUE_AHEAD !== JOBS ? `ahead${QUEUE_AHEAD}` : '',
        BATCH !== 1 ? `batch${BATCH}` : '',
        API_PROCESSES !== 1 && !PGLITE ? `api${API_PROCESSES}` : '',
        DISPATCH_CONCURRENCY !== DEFAULT_DISPATCH_CONCURRENCY ? `dispatch${DISPATCH_CONCURRENCY}` : '',
      ].filter((v) => v);
      const name = `slurm-${[date, ...variant].join('-')}.md`;
      const out = join(dirname(fileURLToPath(import.meta.url)), 'results', name);
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, report);
      console.log(`wrote ${out}`);
    }
  } finally {
    submitClient.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
