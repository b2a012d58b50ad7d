/**
 * Microsoft Philly (Pollux artifact `traces/philly.csv`: timestamp, duration, num_gpus, gpu_time, cluster) to a
 * SimTrace. The trace has no GPU model, priority, tenant category or user: those are assigned here,
 * deterministically from hashes of the trace's own fields (see docs/simulator.md, "Philly").
 */
import { TENANT_CATEGORIES } from '../core/domain.ts';
import type { PriorityClass, TenantCategory } from '../core/domain.ts';
import { hashUnit } from './hash.ts';
import { timeLimitFor, traceJobSpec } from './model.ts';
import type { SimJob, SimPool, SimTenant, SimTrace } from './model.ts';

export interface PhillyRow {
  /** 0-based data row in the file: the job's stable identity. */
  row: number;
  /** Unix ms (the trace's wall time read as UTC). */
  submitMs: number;
  duration: number;
  gpus: number;
  vc: string;
}

/** Parses one record; throws with the row number on a malformed one. */
export function parsePhillyRecord(record: Record<string, string>, row: number): PhillyRow {
  const ts = record.timestamp ?? '';
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(ts);
  const duration = Number(record.duration);
  const gpus = Number(record.num_gpus);
  const vc = record.cluster ?? '';
  if (m === null) throw new Error(`philly row ${row}: bad timestamp ${JSON.stringify(ts)}`);
  if (!Number.isFinite(duration) || duration < 0) throw new Error(`philly row ${row}: bad duration`);
  if (!Number.isInteger(gpus) || gpus < 1) throw new Error(`philly row ${row}: bad num_gpus`);
  if (vc === '') throw new Error(`philly row ${row}: empty cluster (VC)`);
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return { row, submitMs: Date.UTC(y, mo - 1, d, h, mi, s), duration, gpus, vc };
}

/** A pool of the Philly federation before scaling. */
interface LayoutPool {
  cluster: string;
  provider: string;
  city: string;
  pool: string;
  model: string;
  nodes: number;
  perNode: number;
  fen: number;
}

/**
 * Three member clusters, 96 nodes × 8 = 768 accelerators, one of them domestic. Replayed without queueing the trace
 * asks for 374 GPUs on average (peak 1,243) but 594 in October, its busiest month; 576 GPUs left October's queue
 * growing for weeks, 768 keeps that month at ~77 % offered load (see docs/simulator.md).
 */
export const PHILLY_LAYOUT: readonly LayoutPool[] = [
  {
    cluster: 'hefei-1',
    provider: 'hefei-acc',
    city: 'Hefei',
    pool: 'a100',
    model: 'A100-80GB',
    nodes: 40,
    perNode: 8,
    fen: 1200,
  },
  {
    cluster: 'wuhu-1',
    provider: 'wuhu-dc',
    city: 'Wuhu',
    pool: '910b',
    model: 'Ascend-910B',
    nodes: 32,
    perNode: 8,
    fen: 900,
  },
  {
    cluster: 'suzhou-1',
    provider: 'suzhou-ai',
    city: 'Suzhou',
    pool: 'v100',
    model: 'V100-32GB',
    nodes: 24,
    perNode: 8,
    fen: 500,
  },
];

export function phillyPools(scale = 1): SimPool[] {
  return PHILLY_LAYOUT.map((p) => {
    // Every pool keeps at least 16 nodes so that the largest gang (128 GPUs = 16 × 8) fits in any of them.
    const count = Math.max(16, Math.round(p.nodes * scale));
    return {
      clusterId: p.cluster,
      clusterName: p.cluster,
      providerId: p.provider,
      providerName: p.provider,
      regions: ['anhui'],
      poolId: `${p.cluster}/${p.pool}`,
      poolName: p.pool,
      acceleratorModel: p.model,
      fenPerAcceleratorHour: p.fen,
      nodes: Array.from({ length: count }, (_, i) => ({
        name: `${p.cluster}-${p.pool}-n${String(i).padStart(3, '0')}`,
        accelerators: p.perNode,
      })),
    };
  });
}

/**
 * VC → category: ⌊hashUnit("philly-vc-0:<vc>") × 5⌋ indexes TENANT_CATEGORIES. Salt 0 is the first salt (0, 1, …)
 * that gives every category at least 2 of the 15 VCs and 700 jobs (unsalted, no VC was an enterprise).
 */
export function phillyCategory(vc: string): TenantCategory {
  const index = Math.floor(hashUnit(`philly-vc-0:${vc}`) * TENANT_CATEGORIES.length);
  return TENANT_CATEGORIES[index] ?? 'enterprise';
}

/** Strategic: 10 % of jobs with ≥ 8 GPUs; best-effort: 20 % of the rest; otherwise normal. */
export function phillyPriority(jobId: string, gpus: number): PriorityClass {
  if (gpus >= 8 && hashUnit(`strategic:${jobId}`) < 0.1) return 'strategic';
  return hashUnit(`class:${jobId}`) < 0.2 ? 'best-effort' : 'normal';
}

/** Fraction of jobs that need CUDA (accept only the federation's NVIDIA models); the rest accept any accelerator. */
export const CUDA_ONLY_FRACTION = 0.4;

/** GPUs → (per node, nodes): up to 8 on one node; above, the largest divisor ≤ 8 per node (12 → 6 × 2). */
export function gangShape(gpus: number): { perNode: number; nodes: number } {
  if (gpus <= 8) return { perNode: gpus, nodes: 1 };
  for (let per = 8; per > 1; per--) if (gpus % per === 0) return { perNode: per, nodes: gpus / per };
  return { perNode: 1, nodes: gpus };
}

export interface PhillyOptions {
  /** Keep the first N jobs by submit time. */
  limit?: number;
  /** Multiplies node counts of the layout. */
  scale?: number;
}

export function phillyTrace(rows: readonly PhillyRow[], options: PhillyOptions = {}): SimTrace {
  const sorted = [...rows].sort((a, b) => a.submitMs - b.submitMs || a.row - b.row);
  const kept = options.limit === undefined ? sorted : sorted.slice(0, options.limit);
  const epochMs = kept[0]?.submitMs ?? 0;
  const pools = phillyPools(options.scale ?? 1);
  const nvidia = PHILLY_LAYOUT.filter((p) => !p.model.startsWith('Ascend')).map((p) => p.model);
  const tenants = new Map<string, SimTenant>();
  const jobs: SimJob[] = kept.map((r) => {
    const id = `philly-${r.row}`;
    const tenantId = `vc-${r.vc}`;
    const category = phillyCategory(r.vc);
    if (!tenants.has(tenantId)) tenants.set(tenantId, { id: tenantId, category });
    const priorityClass = phillyPriority(id, r.gpus);
    const { perNode, nodes } = gangShape(r.gpus);
    const cudaOnly = hashUnit(`cuda:${id}`) < CUDA_ONLY_FRACTION;
    return {
      id,
      tenantId,
      tenantCategory: category,
      priorityClass,
      submit: (r.submitMs - epochMs) / 1000,
      duration: r.duration,
      spec: traceJobSpec(
        id,
        `${tenantId}/default`,
        perNode,
        nodes,
        timeLimitFor(r.duration),
        priorityClass,
        cudaOnly ? { anyOf: nvidia } : {},
      ),
    };
  });
  const total = pools.reduce((s, p) => s + p.nodes.reduce((t, n) => t + n.accelerators, 0), 0);
  return {
    name: 'philly-pollux',
    epochMs,
    pools,
    tenants: [...tenants.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    jobs,
    notes: [
      `${jobs.length} jobs; federation of ${pools.length} clusters, ${total} accelerators (${pools.map((p) => `${p.clusterName}: ${p.nodes.length}×8 ${p.acceleratorModel}`).join(', ')})`,
      'tenant = virtual cluster; category, priority class and CUDA-only flag from FNV-1a hashes (docs/simulator.md)',
    ],
  };
}
