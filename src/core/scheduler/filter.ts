/**
 * Which pools can take a job, and in words why the others cannot.
 * Checks run from the most permanent cause to the least, so a pool is blamed for what would still stop the job
 * after the queue drains, and "no member cluster can run this job" is said only when that is true.
 */
import { findAccelerator } from '../accelerators.ts';
import type { JobSpec } from '../domain.ts';
import { acceptableModels } from '../job-spec.ts';
import type { PoolRejection, RejectionKind, SnapshotNode, SnapshotPool } from './types.ts';

/** Causes that hold whatever else runs: if every pool fails for one of these, the job can never start as it is. */
const NEVER: ReadonlySet<RejectionKind> = new Set(['model', 'region', 'provider', 'price', 'too-small']);
/** Order in a pending reason: what the user can wait out first, then what they would have to change. */
const REPORT_ORDER: readonly RejectionKind[] = [
  'busy',
  'unhealthy',
  'price',
  'too-small',
  'region',
  'provider',
  'model',
];
const MAX_REASON_CHARS = 300;
/** Pools named per group before "+N more". */
const MAX_POOLS_PER_GROUP = 3;

export function poolLabel(pool: SnapshotPool): string {
  return `${pool.clusterName}/${pool.poolName}`;
}

/** Engines may report an alias ("910B"); the catalogue's canonical name is what requirements hold. */
export function canonicalModel(name: string): string {
  return findAccelerator(name)?.model ?? name;
}

/** The canonical models a job accepts; null when it accepts any accelerator (even one not in the catalogue). */
export function acceptedModels(spec: JobSpec): ReadonlySet<string> | null {
  const a = spec.accelerator;
  const any = a.model === undefined && a.anyOf === undefined && a.minMemoryGiB === undefined && a.domesticOnly !== true;
  return any ? null : new Set(acceptableModels(a));
}

/** Nodes that may take work now. */
export function isUp(node: SnapshotNode): boolean {
  return node.state !== 'down' && node.state !== 'drained';
}

/** What checkPool would otherwise compute from the pool's nodes; a caller that checks many jobs precomputes it. */
export interface PoolStats {
  /** The pool's canonical model. */
  model: string;
  /** Nodes (up or not) with at least this many accelerators. */
  bigEnough(perNode: number): number;
  largest: number;
}

/** Everything about a pool that does not depend on what is free at this moment. */
export function checkPool(
  spec: JobSpec,
  accepted: ReadonlySet<string> | null,
  pool: SnapshotPool,
  stats?: PoolStats,
): PoolRejection | null {
  return (
    checkModel(accepted, pool, stats?.model) ??
    checkConstraints(spec.constraints, pool) ??
    checkSize(spec.acceleratorsPerNode, spec.nodes, pool, stats) ??
    checkHealth(pool)
  );
}

// The parts of checkPool, in its order; exported so that a caller checking many jobs can cache each part apart.

export function checkModel(
  accepted: ReadonlySet<string> | null,
  pool: SnapshotPool,
  canonical?: string,
): PoolRejection | null {
  const model = canonical ?? canonicalModel(pool.acceleratorModel);
  if (accepted !== null && !accepted.has(model)) return reject(pool, 'model', `${model} not accepted`);
  return null;
}

export function checkConstraints(constraints: JobSpec['constraints'], pool: SnapshotPool): PoolRejection | null {
  const { regions, providers, maxFenPerAcceleratorHour: max } = constraints;
  if (regions !== undefined && !pool.regions.some((r) => regions.includes(r)))
    return reject(pool, 'region', `not in ${regions.join(' or ')}`);
  if (providers !== undefined && !providers.includes(pool.providerId) && !providers.includes(pool.providerName))
    return reject(pool, 'provider', `provider ${pool.providerName} not allowed`);
  if (max !== undefined) {
    const price = pool.fenPerAcceleratorHour;
    // Without a price the cost is unknown, so a stated maximum cannot be honoured.
    if (price === null) return reject(pool, 'price', 'no price set (you gave a maximum price)');
    if (price > max) return reject(pool, 'price', `above your maximum price (${price} > ${max} fen/h)`);
  }
  return null;
}

export function checkSize(perNode: number, count: number, pool: SnapshotPool, stats?: PoolStats): PoolRejection | null {
  // Down and drained nodes count here: they may come back, so they do not make the pool too small for ever.
  const bigEnough = stats?.bigEnough(perNode) ?? pool.nodes.filter((n) => n.accelerators >= perNode).length;
  if (bigEnough >= count) return null;
  const largest = stats?.largest ?? pool.nodes.reduce((m, n) => Math.max(m, n.accelerators), 0);
  return reject(
    pool,
    'too-small',
    count === 1 || bigEnough === 0
      ? `nodes have at most ${largest} accelerators (${perNode} needed per node)`
      : `too small (${bigEnough} nodes with ${perNode} accelerators, ${count} needed)`,
  );
}

export function checkHealth(pool: SnapshotPool): PoolRejection | null {
  return pool.healthy ? null : reject(pool, 'unhealthy', 'cluster unhealthy');
}

function reject(pool: SnapshotPool, kind: RejectionKind, cause: string): PoolRejection {
  return { pool: poolLabel(pool), kind, cause };
}

/**
 * The `count` nodes to place on, or null. Best fit: the fullest nodes that still fit go first, to keep whole
 * nodes free for large jobs. `free` is what is free now, by node name.
 */
export function pickNodes(
  nodes: readonly SnapshotNode[],
  free: ReadonlyMap<string, number>,
  perNode: number,
  count: number,
): string[] | null {
  const fitting = nodes
    .filter((n) => isUp(n) && (free.get(n.name) ?? 0) >= perNode)
    .sort((a, b) => (free.get(a.name) ?? 0) - (free.get(b.name) ?? 0) || compareStrings(a.name, b.name));
  return fitting.length >= count ? fitting.slice(0, count).map((n) => n.name) : null;
}

/** Why a pool that could run the job cannot right now. */
export function busyRejection(
  pool: SnapshotPool,
  free: ReadonlyMap<string, number>,
  perNode: number,
  count: number,
): PoolRejection {
  const model = canonicalModel(pool.acceleratorModel);
  const up = pool.nodes.filter((n) => isUp(n) && n.accelerators >= perNode);
  let cause: string;
  if (up.length < count) {
    cause = count === 1 ? 'all nodes down or drained' : `only ${up.length} of ${count} nodes up`;
  } else if (count === 1) {
    const best = up.reduce((m, n) => Math.max(m, free.get(n.name) ?? 0), 0);
    cause = best === 0 ? `no ${model} free` : `not enough ${model} free (${best} of ${perNode} needed)`;
  } else {
    const fit = up.filter((n) => (free.get(n.name) ?? 0) >= perNode).length;
    cause = `not enough ${model} free (${fit} of ${count} nodes with ${perNode} free)`;
  }
  return { pool: poolLabel(pool), kind: 'busy', cause };
}

/** One readable reason from every pool's rejection (given in the stable pool order). */
export function pendingReason(rejections: readonly PoolRejection[]): string {
  if (rejections.length === 0) return 'no member cluster can run this job: no pools are connected';
  const never = rejections.every((r) => NEVER.has(r.kind));

  // Pools that fail for the same cause share one entry, so a federation of many pools still reads in one line.
  const groups = new Map<string, { kind: RejectionKind; pools: string[] }>();
  for (const r of rejections) {
    const g = groups.get(r.cause);
    if (g) g.pools.push(r.pool);
    else groups.set(r.cause, { kind: r.kind, pools: [r.pool] });
  }
  // Stable sort: within a kind, groups keep the order of their first pool.
  const ordered = [...groups].sort(([, a], [, b]) => REPORT_ORDER.indexOf(a.kind) - REPORT_ORDER.indexOf(b.kind));

  const prefix = never ? 'no member cluster can run this job: ' : '';
  const parts: string[] = [];
  let length = prefix.length;
  let omitted = 0;
  for (const [cause, g] of ordered) {
    const names =
      g.pools.length > MAX_POOLS_PER_GROUP
        ? `${g.pools.slice(0, MAX_POOLS_PER_GROUP - 1).join(', ')} +${g.pools.length - MAX_POOLS_PER_GROUP + 1} more`
        : g.pools.join(', ');
    const part = `${names}: ${cause}`;
    // Leave room for the "+N more pools" tail.
    if (parts.length > 0 && length + 2 + part.length > MAX_REASON_CHARS - 20) {
      omitted += g.pools.length;
      continue;
    }
    parts.push(part);
    length += (parts.length > 1 ? 2 : 0) + part.length;
  }
  let text = prefix + parts.join('; ');
  if (omitted > 0) text += `; +${omitted} more pools`;
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS - 1)}…` : text;
}

/** Code-point order: locale-independent, so decisions do not depend on the host. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
