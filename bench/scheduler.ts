/**
 * One scheduling cycle over 1k, 10k and 100k pending jobs on 50 clusters × 250 nodes × 8 accelerators.
 * Synthetic, deterministic data from a seeded PRNG (mulberry32); half the federation is busy with known running jobs.
 * Prints the median cycle time per size and policy and writes bench/results/scheduler-<YYYY-MM-DD>.md.
 *
 *   npx tsx bench/scheduler.ts          (or: npm run bench:scheduler)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PriorityClass, TenantCategory } from '../src/core/domain.ts';
import {
  POLICIES,
  type PolicyName,
  type RunningAllocation,
  type SchedulingSnapshot,
  type SnapshotJob,
  type SnapshotPool,
} from '../src/core/scheduler/index.ts';

const CLUSTERS = 50;
const NODES = 250;
const PER_NODE = 8;
const SIZES = [1_000, 10_000, 100_000];
const RUNS: Record<number, number> = { 1_000: 7, 10_000: 5, 100_000: 5 };
const NOW = new Date('2025-09-01T08:00:00Z');

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)] as T;
}

const MODELS = ['A100-80GB', 'H800', 'H100-SXM', 'A800-80GB', 'Ascend-910B', 'MLU590', 'K100-AI', 'L40S'];
const REGIONS = ['hefei', 'wuhu', 'wanbei', 'wannan', 'suzhou-ah'];
const CATEGORIES: TenantCategory[] = ['enterprise', 'enterprise', 'startup', 'university', 'research-institute'];

function federation(rand: () => number): { pools: SnapshotPool[]; running: RunningAllocation[] } {
  const pools: SnapshotPool[] = [];
  const running: RunningAllocation[] = [];
  for (let c = 0; c < CLUSTERS; c++) {
    const clusterName = `cluster-${String(c).padStart(2, '0')}`;
    const model = MODELS[c % MODELS.length] as string;
    const pool: SnapshotPool = {
      clusterId: `c${c}`,
      clusterName,
      providerId: `prov${c % 20}`,
      providerName: `provider-${c % 20}`,
      regions: ['anhui', REGIONS[c % REGIONS.length] as string],
      healthy: c % 25 !== 7,
      poolId: `p${c}`,
      poolName: 'gpu',
      acceleratorModel: model,
      fenPerAcceleratorHour: 600 + Math.floor(rand() * 1400),
      greenPowerBasisPoints: Math.floor(rand() * 10_000),
      nodes: [],
    };
    for (let n = 0; n < NODES; n++) {
      const name = `node-${String(n).padStart(3, '0')}`;
      // Half the federation busy: whole-node gangs and partial single-node jobs, all with known end times.
      const used = rand() < 0.35 ? PER_NODE : rand() < 0.3 ? pick(rand, [1, 2, 4]) : 0;
      const down = rand() < 0.01;
      pool.nodes.push({
        name,
        accelerators: PER_NODE,
        free: PER_NODE - used,
        state: down ? 'down' : used ? 'mixed' : 'idle',
      });
      if (used > 0) {
        running.push({
          jobId: `r-${c}-${n}`,
          tenantId: `t${Math.floor(rand() * 300)}`,
          tenantCategory: pick(rand, CATEGORIES),
          priorityClass: pick(rand, ['strategic', 'normal', 'normal', 'best-effort'] as PriorityClass[]),
          clusterId: pool.clusterId,
          poolId: pool.poolId,
          nodeNames: [name],
          acceleratorsPerNode: used,
          acceleratorModel: model,
          startedAt: new Date(NOW.getTime() - Math.floor(rand() * 86_400_000)),
          timeLimitSeconds: 3600 * (1 + Math.floor(rand() * 72)),
        });
      }
    }
    pools.push(pool);
  }
  return { pools, running };
}

function pendingJobs(rand: () => number, count: number): SnapshotJob[] {
  const jobs: SnapshotJob[] = [];
  for (let i = 0; i < count; i++) {
    const gang = rand() < 0.15;
    const r = rand();
    const accelerator =
      r < 0.3 ? { model: pick(rand, MODELS) } : r < 0.4 ? { domesticOnly: true } : r < 0.5 ? { minMemoryGiB: 64 } : {};
    const c = rand();
    const constraints =
      c < 0.15
        ? { regions: [pick(rand, REGIONS)] }
        : c < 0.25
          ? { maxFenPerAcceleratorHour: 800 + Math.floor(rand() * 1000) }
          : {};
    const tenant = Math.floor(rand() * 300);
    jobs.push({
      id: `job-${String(i).padStart(6, '0')}`,
      tenantId: `t${tenant}`,
      tenantCategory: CATEGORIES[tenant % CATEGORIES.length] as TenantCategory,
      projectId: `proj-${tenant}-${i % 3}`,
      submittedAt: new Date(NOW.getTime() - Math.floor(rand() * 7 * 86_400_000)),
      spec: {
        apiVersion: 'suanli.io/v1',
        kind: 'Job',
        name: `job-${i}`,
        project: `proj-${i % 3}`,
        accelerator,
        acceleratorsPerNode: gang ? PER_NODE : pick(rand, [1, 1, 2, 4, 8]),
        nodes: gang ? pick(rand, [2, 4, 8, 16]) : 1,
        timeLimitSeconds: 600 * (1 + Math.floor(rand() * 144)),
        command: ['train'],
        env: {},
        priorityClass: pick(rand, ['strategic', 'normal', 'normal', 'normal', 'best-effort'] as PriorityClass[]),
        constraints,
      },
    });
  }
  return jobs;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const policyNames = (process.argv[2]?.split(',') ?? ['suanli', 'fifo-backfill', 'fifo']) as PolicyName[];
const rows: string[] = [];
for (const size of SIZES) {
  const rand = mulberry32(20250901 + size);
  const { pools, running } = federation(rand);
  const snapshot: SchedulingSnapshot = {
    pools,
    running,
    pending: pendingJobs(rand, size),
    usage: Array.from({ length: 300 }, (_, t) => ({ tenantId: `t${t}`, decayedPh: Math.floor(rand() * 5000) })),
  };
  for (const name of policyNames) {
    const policy = POLICIES[name];
    policy(snapshot, NOW); // warm-up: JIT and the catalogue caches
    const times: number[] = [];
    const cpu: number[] = [];
    let result = policy(snapshot, NOW);
    for (let k = 0; k < (RUNS[size] ?? 3); k++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      result = policy(snapshot, NOW);
      times.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
    const ms = median(times);
    const line =
      `| ${name} | ${size.toLocaleString('en')} | ${ms.toFixed(1)} | ${Math.min(...times).toFixed(1)} | ` +
      `${median(cpu).toFixed(1)} | ` +
      `${Math.max(...times).toFixed(1)} | ${result.placements.length} | ${result.pending.length} | ` +
      `${result.preemptions?.length ?? 0} |`;
    rows.push(line);
    console.log(
      `${name.padEnd(14)} ${String(size).padStart(7)} pending: median ${ms.toFixed(1)} ms wall, ` +
        `${median(cpu).toFixed(1)} ms CPU (${times.length} runs)`,
    );
  }
}

const date = new Date().toISOString().slice(0, 10);
const cpu = os.cpus()[0]?.model ?? 'unknown';
const report =
  `# Scheduler cycle benchmark, ${date}

- Machine: ${cpu}, ${os.cpus().length} cores, ${os.platform()} ${os.release()}, Node ${process.version} (one thread)
- Command: \`npx tsx bench/scheduler.ts\` (bench/scheduler.ts)
- Federation: ${CLUSTERS} clusters × ${NODES} nodes × ${PER_NODE} accelerators (one pool each, ${MODELS.length} models), ` +
  `about half busy with ${'known running jobs'}; 2 clusters unhealthy, ~1% of nodes down.
- Queue: synthetic jobs from a seeded PRNG: 15% gangs of 2–16 whole nodes, the rest 1–8 accelerators on one node;
  30% name a model, 10% domestic only, 10% a memory minimum, 15% a region, 10% a maximum price; 300 tenants.
- Time: one cycle per policy (snapshot built beforehand, one warm-up run), median of the runs. Wall time, and the
  process's CPU time (user + system, all threads, so it includes V8's parallel GC helpers) for hosts under load.
- Load average when the run ended: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}.

| policy | pending jobs | median ms (wall) | min ms (wall) | median ms (process CPU) | max ms (wall) | placed | pending | preempted |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}
`;
const out = join(dirname(fileURLToPath(import.meta.url)), 'results', `scheduler-${date}.md`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, report);
console.log(`wrote ${out}`);
