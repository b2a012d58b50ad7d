/**
 * Baselines for comparison, with none of the policy: jobs strictly in submission order, each to the first pool (by
 * cluster and pool name) that can take it now. `fifo` stops at the first job that must wait: the head of the line
 * blocks everything behind it, with no backfill. easy-backfill.ts adds EASY backfill on the same loop.
 */
import { Holders, admitBackfill, reserve, type Reservation } from './backfill.ts';
import { PoolState } from './capacity.ts';
import { compareJobs, comparePools } from './fcfs.ts';
import { compareStrings } from './filter.ts';
import { busyReason, inAbout, staticReason } from './reasons.ts';
import { ShapeCache, type Shape } from './shapes.ts';
import type { Decisions, PendingReason, Placement, SchedulingSnapshot } from './types.ts';

/** Baselines assume busy accelerators with no known job free within the hour, as the suanli default does. */
const UNKNOWN_RUNTIME_MS = 3_600_000;

export function firstInFirstOut(snapshot: SchedulingSnapshot, now: Date, backfill: boolean): Decisions {
  const t = now.getTime();
  const pools = [...snapshot.pools].sort(comparePools).map((p, i) => new PoolState(p, i));
  const shapes = new ShapeCache(pools);
  const running = [...(snapshot.running ?? [])].sort((a, b) => compareStrings(a.jobId, b.jobId));
  const holders = new Holders(pools, running, t, UNKNOWN_RUNTIME_MS, 0);
  const placements: Placement[] = [];
  const pending: PendingReason[] = [];
  let head: string | null = null;
  let reservation: Reservation | null = null;
  // Pool-by-pool reasons are written after the pass, once per shape, from the final capacity (which only shrank).
  const busy: Array<{ at: number; shape: Shape; suffix: string }> = [];

  for (const job of [...snapshot.pending].sort(compareJobs)) {
    const shape = shapes.of(job.spec);
    if (shape.eligible.length === 0) {
      // A job no pool could ever run would block the queue for ever; it waits aside.
      pending.push({ jobId: job.id, reason: staticReason(shape) });
      continue;
    }
    if (head !== null && !backfill) {
      pending.push({ jobId: job.id, reason: `waiting behind ${head}, first in the queue (first in, first out)` });
      continue;
    }
    const end = t + job.spec.timeLimitSeconds * 1000;
    let delayed = false;
    let placed = false;
    for (const pool of shape.eligible) {
      if (!pool.fits(shape.perNode, shape.count)) continue;
      const nodes = pool.pick(shape.perNode, shape.count) as number[];
      if (!admitBackfill(reservation, pool, nodes, shape.perNode, end)) {
        delayed = true;
        continue;
      }
      const nodeNames = pool.take(nodes, shape.perNode);
      holders.add(pool.index, { nodes, perNode: shape.perNode, end, known: true });
      placements.push({ jobId: job.id, clusterId: pool.pool.clusterId, poolId: pool.pool.poolId, nodeNames });
      placed = true;
      break;
    }
    if (placed) continue;
    if (delayed && reservation !== null) {
      const r = reservation;
      pending.push({
        jobId: job.id,
        reason: `would delay ${r.jobId}, reserved to start on ${r.pool.label} ${inAbout(r.start - t)}`,
      });
      continue;
    }
    let reason = '';
    if (head === null) {
      head = job.id;
      if (backfill) {
        reservation = reserve(job.id, shape.eligible, holders, shape.perNode, shape.count, t);
        if (reservation?.known === true)
          reason += `; first in line: expected to start on ${reservation.pool.label} ${inAbout(reservation.start - t)}`;
      }
    } else {
      reason += `; waiting behind ${head}`;
    }
    busy.push({ at: pending.length, shape, suffix: reason });
    pending.push({ jobId: job.id, reason });
  }
  const reasons = new Map<string, string>();
  for (const { at, shape, suffix } of busy) {
    let reason = reasons.get(shape.key);
    if (reason === undefined) reasons.set(shape.key, (reason = busyReason(shape, shape.eligible)));
    (pending[at] as PendingReason).reason = reason + suffix;
  }
  return { placements, pending };
}

/** Strict FIFO: the head of the line blocks, nothing skips ahead. */
export function fifo(snapshot: SchedulingSnapshot, now: Date): Decisions {
  return firstInFirstOut(snapshot, now, false);
}
