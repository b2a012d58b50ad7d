/**
 * Alibaba GPU v2023 "openb" (FGD, ATC'23): node and pod lists, and FGD's static replay (docs/simulator.md, "openb").
 * FGD places pods one by one on the 1,213 GPU nodes, never removes them, and reports the GPU allocation ratio
 * against the arrived workload. The platform allocates whole accelerators, so a fractional pod (gpu_milli < 1000)
 * takes one whole accelerator here; both ratios are reported (see `FgdPoint`).
 */
import { findAccelerator } from '../core/accelerators.ts';
import type { SchedulingPolicy, SnapshotPool } from '../core/scheduler/types.ts';
import { seededRandom, shuffle } from './hash.ts';
import { traceJobSpec } from './model.ts';

export interface OpenbNode {
  name: string;
  gpus: number;
  /** The trace's label: P100, T4, V100M16, V100M32, A10, G1, G2, G3. */
  model: string;
}

export interface OpenbPod {
  name: string;
  numGpu: number;
  /** Per-GPU share in 1/1000 (< 1000 only when numGpu = 1). */
  gpuMilli: number;
  gpuSpec: string[];
  creation: number;
  deletion: number | null;
  scheduled: number | null;
}

function int(record: Record<string, string>, key: string, what: string): number {
  const v = Number(record[key]);
  if (!Number.isInteger(v) || v < 0) throw new Error(`openb ${what}: bad ${key} ${JSON.stringify(record[key])}`);
  return v;
}

export function parseOpenbNode(r: Record<string, string>): OpenbNode {
  const name = r.sn ?? '';
  if (name === '') throw new Error('openb node: empty sn');
  return { name, gpus: int(r, 'gpu', name), model: r.model ?? '' };
}

export function parseOpenbPod(r: Record<string, string>): OpenbPod {
  const name = r.name ?? '';
  if (name === '') throw new Error('openb pod: empty name');
  const optional = (key: string): number | null => (r[key] === undefined || r[key] === '' ? null : int(r, key, name));
  return {
    name,
    numGpu: int(r, 'num_gpu', name),
    gpuMilli: int(r, 'gpu_milli', name),
    gpuSpec: (r.gpu_spec ?? '').split('|').filter((s) => s !== ''),
    creation: int(r, 'creation_time', name),
    deletion: optional('deletion_time'),
    scheduled: optional('scheduled_time'),
  };
}

/** GPU request in milli-GPUs: num_gpu × gpu_milli. */
export function podMilli(p: OpenbPod): number {
  return p.numGpu * p.gpuMilli;
}

/** Whole accelerators the platform gives a pod: num_gpu, and one for a fractional share. */
export function podWholeGpus(p: OpenbPod): number {
  return p.numGpu;
}

/** Trace label → catalogue model; the undisclosed G1/G2/G3 keep their label (not in the catalogue). */
export function openbModel(label: string): string {
  return findAccelerator(label)?.model ?? (label === 'V100M16' ? 'V100-16GB' : label);
}

/** Member clusters by model, as the trace README suggests: G2, T4, P100, V100*, and G1/G3/A10 together. */
export function openbCluster(label: string): string {
  if (label.startsWith('V100')) return 'openb-v100';
  if (label === 'G2' || label === 'T4' || label === 'P100') return `openb-${label.toLowerCase()}`;
  return 'openb-other';
}

export function openbPools(nodes: readonly OpenbNode[]): SnapshotPool[] {
  const byPool = new Map<string, OpenbNode[]>();
  for (const n of nodes) {
    if (n.gpus === 0) continue;
    const list = byPool.get(n.model) ?? [];
    list.push(n);
    byPool.set(n.model, list);
  }
  return [...byPool.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([label, list]) => {
      const cluster = openbCluster(label);
      return {
        clusterId: cluster,
        clusterName: cluster,
        providerId: 'alibaba-openb',
        providerName: 'alibaba-openb',
        regions: ['openb'],
        healthy: true,
        poolId: `${cluster}/${label.toLowerCase()}`,
        poolName: label.toLowerCase(),
        acceleratorModel: openbModel(label),
        fenPerAcceleratorHour: null,
        nodes: list.map((n) => ({ name: n.name, accelerators: n.gpus, free: n.gpus, state: 'idle' as const })),
      };
    });
}

/**
 * FGD's workload: GPU pods sorted by name, shuffled with the seed, then "tuned up" by appending pods drawn
 * uniformly with replacement until the request reaches `tune` × cluster GPUs. Our shuffle is mulberry32, not Go's
 * math/rand, so the order differs from FGD's for the same seed; only means over seeds compare.
 */
export function fgdWorkload(pods: readonly OpenbPod[], clusterGpus: number, seed: number, tune = 1.3): OpenbPod[] {
  const gpuPods = pods.filter((p) => podMilli(p) > 0).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const random = seededRandom(seed);
  const list = shuffle(gpuPods, random);
  let total = list.reduce((s, p) => s + podMilli(p), 0);
  const target = tune * clusterGpus * 1000;
  while (total < target && gpuPods.length > 0) {
    const p = gpuPods[Math.floor(random() * gpuPods.length)] as OpenbPod;
    list.push(p);
    total += podMilli(p);
  }
  return list;
}

export interface FgdPoint {
  /** Arrived workload: requested GPU-milli so far / cluster GPU-milli, percent (0..130). */
  arrived: number;
  /** FGD's metric: requested GPU-milli of placed pods / cluster GPU-milli, percent. */
  allocated: number;
  /** Whole accelerators held / cluster accelerators, percent (fractional pods hold a whole one). */
  occupied: number;
  failed: number;
}

/** Places pods one by one with a platform policy (one pending job per cycle); pods never leave. */
export function fgdReplay(
  pools: readonly SnapshotPool[],
  workload: readonly OpenbPod[],
  policy: SchedulingPolicy,
): FgdPoint[] {
  const state = pools.map((p) => ({ ...p, nodes: p.nodes.map((n) => ({ ...n })) }));
  const nodeOf = new Map(
    state.flatMap((p, pi) => p.nodes.map((n, k) => [`${p.poolId}\u0000${n.name}`, [pi, k] as const])),
  );
  const clusterGpus = state.reduce((s, p) => s + p.nodes.reduce((t, n) => t + n.accelerators, 0), 0);
  const clusterMilli = clusterGpus * 1000;
  const snapshotPools = state.map((p) => ({ ...p, nodes: [...p.nodes] }));
  const points: FgdPoint[] = [];
  let arrivedMilli = 0;
  let allocatedMilli = 0;
  let occupied = 0;
  let failed = 0;
  let next = 0;
  const now = new Date(0);
  workload.forEach((pod, i) => {
    arrivedMilli += podMilli(pod);
    const spec = traceJobSpec(
      pod.name,
      'openb/default',
      podWholeGpus(pod),
      1,
      3600,
      'normal',
      pod.gpuSpec.length > 0 ? { anyOf: pod.gpuSpec.map(openbModel) } : {},
    );
    const decisions = policy(
      {
        pools: snapshotPools,
        pending: [{ id: `${i}`, tenantId: 'openb', submittedAt: now, spec }],
        running: [],
        usage: [],
      },
      now,
    );
    const pl = decisions.placements[0];
    const at = pl && pl.nodeNames.length === 1 ? nodeOf.get(`${pl.poolId}\u0000${pl.nodeNames[0]}`) : undefined;
    const node = at ? state[at[0]]?.nodes[at[1]] : undefined;
    if (at && node && node.free >= spec.acceleratorsPerNode) {
      node.free -= spec.acceleratorsPerNode;
      node.state = node.free === 0 ? 'allocated' : 'mixed';
      // A fresh node object so that policies caching by identity see the change.
      const sp = snapshotPools[at[0]]!;
      sp.nodes[at[1]] = { ...node };
      snapshotPools[at[0]] = { ...sp };
      allocatedMilli += podMilli(pod);
      occupied += spec.acceleratorsPerNode;
    } else failed++;
    while (next <= 130 && arrivedMilli >= (next / 100) * clusterMilli) {
      points.push({
        arrived: next,
        allocated: (100 * allocatedMilli) / clusterMilli,
        occupied: (100 * occupied) / clusterGpus,
        failed,
      });
      next++;
    }
  });
  return points;
}

/** A reference packer with GPU sharing (milli granularity, GPU only): best fit, for checking the replay harness. */
export function fgdBestFitShared(nodes: readonly OpenbNode[], workload: readonly OpenbPod[]): FgdPoint[] {
  const gpus = nodes
    .filter((n) => n.gpus > 0)
    .map((n) => ({ model: n.model, free: new Array<number>(n.gpus).fill(1000) }));
  const clusterGpus = gpus.reduce((s, n) => s + n.free.length, 0);
  const clusterMilli = clusterGpus * 1000;
  const points: FgdPoint[] = [];
  let arrivedMilli = 0;
  let allocatedMilli = 0;
  let failed = 0;
  let next = 0;
  for (const pod of workload) {
    arrivedMilli += podMilli(pod);
    let best = -1;
    let bestLeft = Infinity;
    gpus.forEach((n, i) => {
      if (pod.gpuSpec.length > 0 && !pod.gpuSpec.includes(n.model)) return;
      const fits =
        pod.gpuMilli < 1000
          ? n.free.some((f) => f >= pod.gpuMilli)
          : n.free.filter((f) => f === 1000).length >= pod.numGpu;
      if (!fits) return;
      const left = n.free.reduce((s, f) => s + f, 0) - podMilli(pod);
      if (left < bestLeft) {
        bestLeft = left;
        best = i;
      }
    });
    const n = best >= 0 ? gpus[best] : undefined;
    if (n === undefined) failed++;
    else {
      if (pod.gpuMilli < 1000) {
        // The fullest GPU that still fits.
        let g = -1;
        n.free.forEach((f, k) => {
          if (f >= pod.gpuMilli && (g < 0 || f < (n.free[g] as number))) g = k;
        });
        n.free[g] = (n.free[g] as number) - pod.gpuMilli;
      } else {
        let left = pod.numGpu;
        for (let k = 0; k < n.free.length && left > 0; k++)
          if (n.free[k] === 1000) {
            n.free[k] = 0;
            left--;
          }
      }
      allocatedMilli += podMilli(pod);
    }
    while (next <= 130 && arrivedMilli >= (next / 100) * clusterMilli) {
      const used = gpus.reduce((s, x) => s + x.free.filter((f) => f < 1000).length, 0);
      points.push({
        arrived: next,
        allocated: (100 * allocatedMilli) / clusterMilli,
        occupied: (100 * used) / clusterGpus,
        failed,
      });
      next++;
    }
  }
  return points;
}

/** Mean allocation ratio at 100 % and 130 % arrived per policy, from FGD's `analysis_allo_discrete.csv`. */
export function publishedAllocation(
  records: readonly Record<string, string>[],
  workload = 'openb_pod_list_default',
): Array<{ policy: string; at100: number; at130: number; seeds: number }> {
  const by = new Map<string, { a: number[]; b: number[] }>();
  for (const r of records) {
    if (r.workload !== workload) continue;
    const key = r.sc_policy ?? '';
    const e = by.get(key) ?? { a: [], b: [] };
    e.a.push(Number(r['100']));
    e.b.push(Number(r['130']));
    by.set(key, e);
  }
  const avg = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  return [...by.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([policy, e]) => ({ policy, at100: avg(e.a), at130: avg(e.b), seeds: e.a.length }));
}
