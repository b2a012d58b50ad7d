/**
 * The scheduler's public face: `decide` is the one function the control plane calls each cycle.
 * The policy behind it is swappable; callers depend only on the types in types.ts.
 */
import type { Decisions, SchedulingSnapshot } from './types.ts';
import { fcfs } from './fcfs.ts';

export type * from './types.ts';

/** Places what can be placed now and explains the rest. Pure and deterministic. */
export function decide(snapshot: SchedulingSnapshot, now: Date): Decisions {
  return fcfs(snapshot, now);
}
