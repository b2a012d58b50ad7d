/**
 * EASY backfill (Lifka 1995; Slurm's sched/backfill with one reservation): the first job that cannot start gets a
 * reservation at the earliest time its gang fits, computed from when holders end (`startedAt + timeLimitSeconds`).
 * A later job may start now only if it ends before that time or leaves the reserved gang room on its nodes.
 */
import type { PoolState } from './capacity.ts';
import type { RunningAllocation } from './types.ts';

/** Something that holds accelerators on nodes of one pool until `end` (ms). */
export interface Holder {
  nodes: number[];
  perNode: number;
  end: number;
  /** False for busy accelerators no known job explains: their end is a guess. */
  known: boolean;
}

export interface Reservation {
  jobId: string;
  pool: PoolState;
  /** When the reserved gang can start, ms since the epoch. */
  start: number;
  perNode: number;
  count: number;
  /** Free accelerators per node at `start`, less what later-ending backfill has taken. */
  shadowFree: number[];
  /** Up nodes with `shadowFree >= perNode`. */
  fitting: number;
  /** False when the start rests on a guessed end (busy accelerators with no known job). */
  known: boolean;
}

/** Holders per pool (by pool index) from the running allocations, plus unknown holders of busy accelerators. */
export class Holders {
  private readonly byPool = new Map<number, Holder[]>();

  constructor(
    pools: readonly PoolState[],
    running: readonly RunningAllocation[],
    now: number,
    unknownRuntimeMs: number,
    graceMs: number,
  ) {
    const byId = new Map(pools.map((p) => [p.pool.poolId, p]));
    const known = new Map<number, number[]>();
    for (const r of running) {
      const pool = byId.get(r.poolId);
      if (pool === undefined) continue;
      const nodes = r.nodeNames.map((n) => pool.nodeIndex(n)).filter((i) => i >= 0);
      const start = r.startedAt?.getTime() ?? now;
      let end = Math.max(now, start + r.timeLimitSeconds * 1000);
      if (r.stopRequested === true) end = Math.min(end, now + graceMs);
      this.add(pool.index, { nodes, perNode: r.acceleratorsPerNode, end, known: true });
      const held = known.get(pool.index) ?? new Array<number>(pool.names.length).fill(0);
      for (const i of nodes) held[i] = (held[i] ?? 0) + r.acceleratorsPerNode;
      known.set(pool.index, held);
    }
    // Busy accelerators no known job explains (the control plane did not say, or an engine runs other work):
    // assume they free after `unknownRuntimeMs`.
    for (const pool of pools) {
      const held = known.get(pool.index);
      pool.free.forEach((free, i) => {
        if (!pool.up[i]) return;
        const unknown = (pool.sizes[i] as number) - free - (held?.[i] ?? 0);
        if (unknown > 0)
          this.add(pool.index, { nodes: [i], perNode: unknown, end: now + unknownRuntimeMs, known: false });
      });
    }
  }

  add(pool: number, holder: Holder): void {
    const list = this.byPool.get(pool);
    if (list) list.push(holder);
    else this.byPool.set(pool, [holder]);
  }

  of(pool: number): readonly Holder[] {
    return this.byPool.get(pool) ?? [];
  }
}

/** The earliest start of a gang in one pool from its holders' end times; null if it never fits. */
function earliest(pool: PoolState, holders: readonly Holder[], perNode: number, count: number, now: number) {
  const projected = [...pool.free];
  let fitting = 0;
  projected.forEach((f, i) => {
    if (pool.up[i] && f >= perNode) fitting++;
  });
  if (fitting >= count) return { start: now, projected, fitting, known: true };
  const events = [...holders].sort((a, b) => a.end - b.end);
  let known = true;
  for (let k = 0; k < events.length;) {
    const at = (events[k] as Holder).end;
    for (; k < events.length && (events[k] as Holder).end === at; k++) {
      const h = events[k] as Holder;
      known &&= h.known;
      for (const i of h.nodes) {
        if (!pool.up[i]) continue;
        const before = projected[i] as number;
        const after = Math.min(pool.sizes[i] as number, before + h.perNode);
        projected[i] = after;
        if (before < perNode && after >= perNode) fitting++;
      }
    }
    if (fitting >= count) return { start: at, projected, fitting, known };
  }
  return null;
}

/** The reservation for a blocked job over the pools it may use: earliest start, ties to the first pool. */
export function reserve(
  jobId: string,
  pools: readonly PoolState[],
  holders: Holders,
  perNode: number,
  count: number,
  now: number,
): Reservation | null {
  let best: Reservation | null = null;
  for (const pool of pools) {
    if (!pool.pool.healthy) continue;
    const found = earliest(pool, holders.of(pool.index), perNode, count, now);
    if (found === null || (best !== null && found.start >= best.start)) continue;
    const { start, projected, fitting, known } = found;
    best = { jobId, pool, start, perNode, count, shadowFree: projected, fitting, known };
  }
  return best;
}

/**
 * Whether a job placed now on `nodes` of `pool`, ending at `end`, leaves the reservation intact. When it does and the
 * job outlasts the reservation's start, the reservation's view of the nodes is updated.
 */
export function admitBackfill(
  reservation: Reservation | null,
  pool: PoolState,
  nodes: readonly number[],
  perNode: number,
  end: number,
): boolean {
  if (reservation === null || reservation.pool !== pool || end <= reservation.start) return true;
  const need = reservation.perNode;
  let fitting = reservation.fitting;
  for (const i of nodes) {
    const before = reservation.shadowFree[i] as number;
    if (before >= need && before - perNode < need) fitting--;
  }
  if (fitting < reservation.count) return false;
  for (const i of nodes) reservation.shadowFree[i] = (reservation.shadowFree[i] as number) - perNode;
  reservation.fitting = fitting;
  return true;
}
