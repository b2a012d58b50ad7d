/**
 * The API's cost per job submission, without Slurm or a control loop: N jobs POSTed one per request (or --batch K
 * per request) by --clients C concurrent clients to a `suanli server --no-loop` process over a throwaway PostgreSQL.
 * Prints requests/s, latency percentiles and the CPU that the API process and PostgreSQL spent per job: the part
 * of bench:slurm's suanli path that is the platform's own, measured alone.
 *
 *   npx tsx bench/api.ts [--jobs 2000] [--clients 1] [--batch 1] [--runs 3] [--no-write]
 *   (or: npm run bench:api -- --jobs 2000)
 *
 * Each run is a fresh database and API process; the median run (by jobs/s) is reported and written to
 * bench/results/api-<date>[-clientsC][-batchK].md.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpRequest } from '../src/engines/slurm/http.ts';
import { seedDemo } from '../src/server/demo.ts';
import { createStore } from '../src/store/index.ts';
import { startApiProcess } from './api-process.ts';
import { processesCpu, serverCpuSeconds } from './process-cpu.ts';
import { binDir, startPostgres } from './throwaway-postgres.ts';
import { arg } from './args.ts';

const JOBS = Number(arg('jobs') ?? 2000);
const CLIENTS = Number(arg('clients') ?? 1);
const BATCH = Number(arg('batch') ?? 1);
const RUNS = Number(arg('runs') ?? 3);
const WRITE = !process.argv.includes('--no-write');
/** Writes a V8 CPU profile of the API process there (open it in Chrome's DevTools). */
const PROFILE_DIR = arg('profile-dir');
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');

function cpuOf(pid: number): number {
  return processesCpu().find((p) => p.pid === pid)?.cpuSeconds ?? 0;
}

function spec(i: number) {
  return {
    apiVersion: 'suanli.io/v1',
    kind: 'Job',
    metadata: { name: `api-bench-${i}`, project: 'demo' },
    spec: {
      resources: { accelerator: { model: 'A100-80GB' }, acceleratorsPerNode: 1, nodes: 1 },
      timeLimit: '1m',
      script: 'true',
    },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface RunResult {
  ms: number;
  p50: number;
  p95: number;
  p99: number;
  apiCpuMs: number;
  postgresCpuMs: number;
}

async function run(): Promise<RunResult> {
  const postgres = await startPostgres(binDir());
  const databaseUrl = postgres.url;
  const dir = mkdtempSync(join(os.tmpdir(), 'suanli-bench-api-'));
  const store = await createStore({ databaseUrl });
  const tokens = await seedDemo(store, { now: new Date(), workDir: (id) => join(dir, 'engines', id) });
  await store.close();
  const token = tokens.users['qiming-ai-admin']!.token;
  const api = await startApiProcess(
    databaseUrl,
    join(dir, 'api'),
    PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR] : [],
  );
  const post = async (i: number) => {
    const body = BATCH === 1 ? spec(i) : { jobs: Array.from({ length: BATCH }, (_, k) => spec(i + k)) };
    // The HTTP client suanli's Slurm engine uses (kept-alive node:http), as bench/slurm.ts does.
    const response = await httpRequest(new URL(`${api.url}/api/v1/jobs${BATCH === 1 ? '' : '/batch'}`), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      timeoutMs: 60_000,
    });
    if (response.status !== 201) throw new Error(`POST: HTTP ${response.status}: ${response.text}`);
  };
  // Warm up: JIT, connection pool, prepared plans.
  for (let i = 0; i < 50; i++) await post(-1 - i * BATCH);

  const latencies: number[] = [];
  let next = 0;
  const apiCpu0 = cpuOf(api.child.pid!);
  const pgCpu0 = serverCpuSeconds(postgres.pid);
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (;;) {
        const i = next;
        next += BATCH;
        if (i >= JOBS) return;
        const t = performance.now();
        await post(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const ms = performance.now() - start;
  const apiCpu = cpuOf(api.child.pid!) - apiCpu0;
  const pgCpu = serverCpuSeconds(postgres.pid) - pgCpu0;
  latencies.sort((a, b) => a - b);
  api.child.kill('SIGTERM');
  await new Promise((resolve) => api.child.once('exit', resolve));
  await postgres.stop();
  rmSync(dir, { recursive: true, force: true });
  return {
    ms,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    apiCpuMs: (apiCpu * 1000) / JOBS,
    postgresCpuMs: (pgCpu * 1000) / JOBS,
  };
}

const f = (x: number) => x.toFixed(2);
const rate = (r: RunResult) => (JOBS / (r.ms / 1000)).toFixed(0);

async function main(): Promise<void> {
  const results: RunResult[] = [];
  for (let i = 1; i <= RUNS; i++) {
    const r = await run();
    results.push(r);
    console.log(
      `run ${i}: ${JOBS} jobs, ${CLIENTS} client(s), ${BATCH} per request: ${f(r.ms / 1000)} s, ${rate(r)} jobs/s; ` +
        `latency per request ms p50 ${f(r.p50)} p95 ${f(r.p95)} p99 ${f(r.p99)}; CPU ms per job: API ` +
        `${f(r.apiCpuMs)}, PostgreSQL ${f(r.postgresCpuMs)}`,
    );
  }
  const median = [...results].sort((a, b) => a.ms - b.ms)[Math.floor((results.length - 1) / 2)]!;
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
  const cpus = os.cpus();
  const date = new Date().toISOString().slice(0, 10);
  const command = `npm run bench:api -- --jobs ${JOBS}${CLIENTS !== 1 ? ` --clients ${CLIENTS}` : ''}${BATCH !== 1 ? ` --batch ${BATCH}` : ''}${RUNS !== 3 ? ` --runs ${RUNS}` : ''}`;
  const report = `# API submission benchmark, ${date}

- Machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}
- Command: \`${command}\` (bench/api.ts)
- What: ${JOBS} one-accelerator jobs ${BATCH === 1 ? 'POSTed one per request to `/api/v1/jobs`' : `POSTed ${BATCH} per request to \`/api/v1/jobs/batch\``} by ${CLIENTS} client(s) at once, over kept-alive HTTP,
  to one \`suanli server --no-loop\` process over a throwaway PostgreSQL (fsync off), demo federation; no control loop,
  no Slurm: the platform's own cost of accepting a submission (authenticate, validate, store with its first event,
  notify the loop, answer). 50 requests warm up first; each run is a fresh database and process.
- CPU: the API process's and the PostgreSQL server's (/proc), per job.
- Load average when the run ended: ${load}.

| run | s | jobs/s | p50 ms | p95 ms | p99 ms | API CPU ms/job | PostgreSQL CPU ms/job |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${results.map((r, i) => `| ${i + 1}${r === median ? ' (median)' : ''} | ${f(r.ms / 1000)} | ${rate(r)} | ${f(r.p50)} | ${f(r.p95)} | ${f(r.p99)} | ${f(r.apiCpuMs)} | ${f(r.postgresCpuMs)} |`).join('\n')}

Median: **${rate(median)} jobs/s**, ${f(median.apiCpuMs + median.postgresCpuMs)} ms of CPU per job (API and PostgreSQL).
`;
  console.log(`median: ${rate(median)} jobs/s`);
  if (WRITE) {
    const suffix = `${CLIENTS !== 1 ? `-clients${CLIENTS}` : ''}${BATCH !== 1 ? `-batch${BATCH}` : ''}`;
    const file = join(REPO, 'bench', 'results', `api-${date}${suffix}.md`);
    writeFileSync(file, report);
    console.log(`wrote ${file}`);
  }
}

await main();
