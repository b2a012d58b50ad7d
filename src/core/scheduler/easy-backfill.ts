/**
 * FIFO with EASY backfill: the first job that must wait gets a reservation at the earliest time its gang fits (from
 * running jobs' `startedAt + timeLimitSeconds`); a later job starts now only if it fits and does not delay that
 * reservation. The classic baseline (Lifka 1995; Mu'alem and Feitelson 2001).
 */
import { firstInFirstOut } from './fifo.ts';
import type { Decisions, SchedulingSnapshot } from './types.ts';

export function easyBackfill(snapshot: SchedulingSnapshot, now: Date): Decisions {
  return firstInFirstOut(snapshot, now, true);
}
