/**
 * The policies the simulator compares. They come from the scheduler's `POLICIES` table when it exists; until then
 * 'suanli' is FCFS-first-fit (`fcfs`) and 'fifo' is strict FIFO built from it (the queue stops at the first job
 * that does not fit), both marked as stand-ins in every report.
 */
import * as scheduler from '../core/scheduler/index.ts';
import { compareJobs, fcfs } from '../core/scheduler/fcfs.ts';
import type { SchedulingPolicy } from '../core/scheduler/types.ts';

export interface NamedPolicy {
  name: string;
  policy: SchedulingPolicy;
  /** Set when the scheduler's own policy is missing and a stand-in runs instead. */
  standIn?: string;
}

/** Strict FIFO: first-fit in submit order, stopping at the first job that cannot start. */
export const strictFifo: SchedulingPolicy = (snapshot, now) => {
  const decisions = fcfs(snapshot, now);
  const placed = new Set(decisions.placements.map((p) => p.jobId));
  const order = [...snapshot.pending].sort(compareJobs);
  const blocked = order.findIndex((j) => !placed.has(j.id));
  if (blocked < 0) return decisions;
  const allowed = new Set(order.slice(0, blocked).map((j) => j.id));
  return {
    placements: decisions.placements.filter((p) => allowed.has(p.jobId)),
    pending: order
      .filter((j) => !allowed.has(j.id))
      .map((j) => ({ jobId: j.id, reason: 'waiting behind the queue head' })),
  };
};

const STAND_INS: Record<string, { policy: SchedulingPolicy; note: string }> = {
  fifo: { policy: strictFifo, note: 'strict FIFO over fcfs (src/sim/policies.ts)' },
  suanli: { policy: fcfs, note: 'fcfs first-fit (src/core/scheduler/fcfs.ts)' },
};

/** The scheduler's POLICIES table, read without a compile-time dependency on it (it may not exist yet). */
export function schedulerPolicies(): Record<string, SchedulingPolicy> {
  const table = (scheduler as Record<string, unknown>)['POLICIES'];
  return typeof table === 'object' && table !== null ? (table as Record<string, SchedulingPolicy>) : {};
}

/** Resolves names to policies; names with neither a policy nor a stand-in are returned in `missing`. */
export function resolvePolicies(names: readonly string[]): { policies: NamedPolicy[]; missing: string[] } {
  const table = schedulerPolicies();
  const policies: NamedPolicy[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const own = table[name];
    const standIn = STAND_INS[name];
    if (typeof own === 'function') policies.push({ name, policy: own });
    else if (standIn !== undefined) policies.push({ name, policy: standIn.policy, standIn: standIn.note });
    else missing.push(name);
  }
  return { policies, missing };
}
