/**
 * Victim choice: the fewest lost accelerator-seconds (accelerators × time already run) that let a gang start in one
 * pool. Greedy by lost work, then pruned of victims that turned out not to be needed; the pool with the least lost
 * work wins. Bounded per cycle by jobs and P, so one cycle never tears down much of a federation.
 */
import type { PoolState } from './capacity.ts';
import { compareStrings } from './filter.ts';
import type { RunningAllocation } from './types.ts';

export interface Candidate {
  alloc: RunningAllocation;
  pool: PoolState;
  nodes: number[];
  /** Accelerator-seconds of work lost if stopped now. */
  lost: number;
  p: number;
}

export interface Budget {
  jobs: number;
  p: number;
}

/** Jobs whose accelerators are spoken for: victims and stopping jobs another waiting job will use. */
export interface Claimed {
  has(jobId: string): boolean;
}

export interface VictimSet {
  pool: PoolState;
  victims: Candidate[];
  /** Stopping jobs (preempted earlier) whose accelerators the gang will use. */
  stopping: Candidate[];
  lost: number;
}

/** Running allocations per pool index, least lost work first. */
export function candidatesByPool(
  pools: readonly PoolState[],
  running: readonly RunningAllocation[],
  now: number,
): Map<number, Candidate[]> {
  const byId = new Map(pools.map((p) => [p.pool.poolId, p]));
  const out = new Map<number, Candidate[]>();
  for (const alloc of running) {
    const pool = byId.get(alloc.poolId);
    if (pool === undefined) continue;
    const nodes = alloc.nodeNames.map((n) => pool.nodeIndex(n)).filter((i) => i >= 0);
    const accelerators = alloc.nodeNames.length * alloc.acceleratorsPerNode;
    const elapsed = alloc.startedAt === null ? 0 : Math.max(0, now - alloc.startedAt.getTime()) / 1000;
    const c = { alloc, pool, nodes, lost: accelerators * elapsed, p: accelerators * pool.pPerAccel };
    const list = out.get(pool.index);
    if (list) list.push(c);
    else out.set(pool.index, [c]);
  }
  for (const list of out.values()) list.sort((a, b) => a.lost - b.lost || compareStrings(a.alloc.jobId, b.alloc.jobId));
  return out;
}

/** The cheapest victims in one pool, or null when even all allowed victims would not make room within budget. */
function inPool(
  pool: PoolState,
  candidates: readonly Candidate[],
  allowed: (c: Candidate) => boolean,
  claimed: Claimed,
  perNode: number,
  count: number,
  budget: Budget,
  spare: readonly number[] | undefined,
): VictimSet | null {
  // Capacity that earlier preemptions free beyond what their jobs need counts as free here: a job that fits in it
  // preempts nothing more.
  const projected = spare === undefined ? [...pool.free] : pool.free.map((f, i) => f + (spare[i] as number));
  let fitting = 0;
  projected.forEach((f, i) => {
    if (pool.up[i] && f >= perNode) fitting++;
  });
  const release = (c: Candidate, sign: 1 | -1): void => {
    for (const i of c.nodes) {
      if (!pool.up[i]) continue;
      const before = projected[i] as number;
      const after = before + sign * c.alloc.acceleratorsPerNode;
      projected[i] = after;
      if (before < perNode && after >= perNode) fitting++;
      if (before >= perNode && after < perNode) fitting--;
    }
  };
  const stopping: Candidate[] = [];
  for (const c of candidates) {
    if (c.alloc.stopRequested === true && !claimed.has(c.alloc.jobId)) {
      stopping.push(c);
      release(c, 1);
    }
  }
  const victims: Candidate[] = [];
  // Out of budget: only what is free, spare or stopping.
  for (const c of budget.jobs > 0 && budget.p > 0 ? candidates : []) {
    if (fitting >= count) break;
    if (c.alloc.stopRequested === true || claimed.has(c.alloc.jobId) || !allowed(c)) continue;
    victims.push(c);
    release(c, 1);
  }
  if (fitting < count) return null;
  // Costliest first: drop any victim the gang turns out not to need.
  for (let k = victims.length - 1; k >= 0; k--) {
    const c = victims[k] as Candidate;
    release(c, -1);
    if (fitting >= count) victims.splice(k, 1);
    else release(c, 1);
  }
  const p = victims.reduce((s, c) => s + c.p, 0);
  if (victims.length > budget.jobs || p > budget.p + 1e-9) return null;
  return { pool, victims, stopping, lost: victims.reduce((s, c) => s + c.lost, 0) };
}

/**
 * The pool and victims with the least lost work (then fewest victims, then pool order). `spare`, per pool index:
 * accelerators per node that earlier preemptions free and no hold needs.
 */
export function chooseVictims(
  pools: readonly PoolState[],
  byPool: ReadonlyMap<number, Candidate[]>,
  allowed: (c: Candidate) => boolean,
  claimed: Claimed,
  perNode: number,
  count: number,
  budget: Budget,
  spare: ReadonlyMap<number, readonly number[]> = new Map(),
): VictimSet | null {
  let best: VictimSet | null = null;
  for (const pool of pools) {
    if (!pool.pool.healthy) continue;
    const found = inPool(
      pool,
      byPool.get(pool.index) ?? [],
      allowed,
      claimed,
      perNode,
      count,
      budget,
      spare.get(pool.index),
    );
    if (found === null) continue;
    if (
      best === null ||
      found.lost < best.lost ||
      (found.lost === best.lost && found.victims.length < best.victims.length)
    )
      best = found;
  }
  return best;
}

/**
 * The nodes the gang will use once the victims and stopping jobs of `set` are gone: nodes they or earlier preemptions
 * (`spare`) free first (then nodes free now), fullest first, so the hold covers the capacity the preemption was for
 * and small jobs share a node being freed rather than each breaking one of their own.
 */
export function gangNodes(set: VictimSet, perNode: number, count: number, spare?: readonly number[]): number[] {
  const { pool } = set;
  const projected = spare === undefined ? [...pool.free] : pool.free.map((f, i) => f + (spare[i] as number));
  const touched = new Set<number>();
  spare?.forEach((s, i) => {
    if (s > 0 && pool.up[i]) touched.add(i);
  });
  for (const c of [...set.victims, ...set.stopping])
    for (const i of c.nodes) {
      if (!pool.up[i]) continue;
      projected[i] = (projected[i] as number) + c.alloc.acceleratorsPerNode;
      touched.add(i);
    }
  const fit: number[] = [];
  projected.forEach((f, i) => {
    if (pool.up[i] && f >= perNode) fit.push(i);
  });
  fit.sort(
    (a, b) =>
      (touched.has(b) ? 1 : 0) - (touched.has(a) ? 1 : 0) ||
      (projected[a] as number) - (projected[b] as number) ||
      a - b,
  );
  return fit.slice(0, count);
}
