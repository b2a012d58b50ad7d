/** What one tick did, and the counts of cluster passes that finished after their tick. */

export interface TickReport {
  leader: boolean;
  admitted: number;
  dispatched: number;
  finished: number;
  preempted: number;
  /** Jobs taken back from clusters that stopped answering. */
  withdrawn: number;
  /** Ended runs whose usage was stored from the engine's accounting. */
  metered: number;
  /** Usage records posted to the ledger (charged, vouchers and subsidies applied). */
  charged: number;
  durationMs: number;
}

export function emptyReport(): TickReport {
  return {
    leader: false,
    admitted: 0,
    dispatched: 0,
    finished: 0,
    preempted: 0,
    withdrawn: 0,
    metered: 0,
    charged: 0,
    durationMs: 0,
  };
}

const COUNTS = ['dispatched', 'finished', 'withdrawn', 'metered', 'charged'] as const;

export function addCounts(report: TickReport, counts: Partial<TickReport>): void {
  for (const key of COUNTS) report[key] += counts[key] ?? 0;
}

/** Counts of passes that ended after their tick, for the next tick's report. */
export class LateCounts {
  private counts: Partial<TickReport> = {};
  add(counts: Partial<TickReport>): void {
    for (const key of COUNTS) this.counts[key] = (this.counts[key] ?? 0) + (counts[key] ?? 0);
  }
  take(): Partial<TickReport> {
    const counts = this.counts;
    this.counts = {};
    return counts;
  }
}
