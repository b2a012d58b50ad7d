/**
 * The cost of following jobs on the Slurm lab (scripts/slurm-up) as the control loop does: N jobs submitted
 * through the engine, then engine.status(all ids) once a second until every job has ended. Reports the calls,
 * their time and the REST requests they made, by endpoint.
 *
 *   npx tsx bench/slurm-status.ts [--jobs 90] [--seconds 20] [--finished 0] [--cluster hefei] [--lab FILE]
 *
 * Jobs take no accelerator (one CPU each: the lab's hefei runs 96 at once) and sleep --seconds: most of the
 * following happens while nothing changes, as with long training jobs. --finished N first runs N trivial jobs
 * that are not followed: the controller keeps them for MinJobAge (300 s), as it keeps a burst's jobs, and they
 * are in every whole list it answers. Only the two clusters' own jobs are in the lab, so the figures depend on
 * what ran there in the last 5 minutes: compare runs made one after the other.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createSlurmEngine } from '../src/engines/slurm/engine.ts';
import type { EngineJobStatus } from '../src/engines/engine.ts';
import { arg } from './args.ts';

interface LabCluster {
  name: string;
  restUrl: string;
  user: string;
  token: string;
  partitions: string[];
}

const JOBS = Number(arg('jobs') ?? 90);
const SECONDS = Number(arg('seconds') ?? 20);
const FINISHED = Number(arg('finished') ?? 0);
const CLUSTER = arg('cluster') ?? 'hefei';
const LAB_FILE = arg('lab') ?? process.env.SUANLI_SLURM_LAB ?? '/tmp/suanli-slurm-lab/lab.json';
const FINAL = new Set(['succeeded', 'failed', 'timeout', 'cancelled', 'preempted', 'lost']);

/** REST requests by endpoint and HTTP status ("GET /slurm/v0.0.38/job/{id} → 200"), counted around fetch. */
const requests = new Map<string, number>();
const originalFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const endpoint = `${init?.method ?? 'GET'} ${url.pathname.replace(/\/\d+$/, '/{id}')}${url.search.replace(/=\d+/, '=T')}`;
  return originalFetch(input, init).then((response) => {
    const key = `${endpoint} → ${response.status}`;
    requests.set(key, (requests.get(key) ?? 0) + 1);
    return response;
  });
};

const lab = JSON.parse(readFileSync(LAB_FILE, 'utf8')) as { clusters: LabCluster[] };
const cluster = lab.clusters.find((c) => c.name === CLUSTER);
if (!cluster) throw new Error(`${LAB_FILE} has no cluster ${CLUSTER}`);
const engine = createSlurmEngine({ ...cluster, token: cluster.token, accountingDelayMs: 0 });
const pool = cluster.partitions[0] ?? '';

const run = Date.now().toString(36);

/** Submits one job that takes no accelerator and sleeps `seconds`; answers its Slurm job id. */
async function submitSleeper(what: string, i: number, seconds: number): Promise<string> {
  const { engineJobId } = await engine.submit({
    jobId: `status-bench-${run}-${what}-${i}`,
    tag: `bench-status-${run}-${what}-${i}`,
    pool,
    nodeNames: [],
    spec: {
      apiVersion: 'suanli.io/v1',
      kind: 'Job',
      name: `status-bench-${what}-${i}`,
      project: 'bench',
      accelerator: {},
      acceleratorsPerNode: 0,
      nodes: 1,
      timeLimitSeconds: seconds + 120,
      command: ['sleep', String(seconds)],
      env: {},
      priorityClass: 'normal',
      constraints: {},
    },
  });
  return engineJobId;
}

for (let i = 0; i < FINISHED; i++) await submitSleeper('finished', i, 0);
const ids: string[] = [];
for (let i = 0; i < JOBS; i++) ids.push(await submitSleeper('followed', i, SECONDS));
requests.clear();

const times: number[] = [];
const started = performance.now();
let last: EngineJobStatus[] = [];
for (;;) {
  const t0 = performance.now();
  last = await engine.status(ids);
  times.push(performance.now() - t0);
  if (last.every((s) => FINAL.has(s.state))) break;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1000 - (performance.now() - t0))));
}
await engine.close();

const sorted = [...times].sort((a, b) => a - b);
const total = times.reduce((sum, t) => sum + t, 0);
const states = new Map<string, number>();
for (const s of last) states.set(s.state, (states.get(s.state) ?? 0) + 1);
console.log(
  `${JOBS} jobs of ${SECONDS} s on ${CLUSTER} (after ${FINISHED} finished ones), followed once a second until all ended`,
);
console.log(
  `  ended: ${[...states].map(([s, n]) => `${n} ${s}`).join(', ')} after ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
console.log(
  `  engine.status: ${times.length} calls, ${total.toFixed(0)} ms in all, ${(total / times.length).toFixed(1)} ms ` +
    `per call (median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(1)}, max ${sorted.at(-1)?.toFixed(1)})`,
);
for (const [endpoint, n] of [...requests].sort((a, b) => b[1] - a[1])) console.log(`  ${n} × ${endpoint}`);
