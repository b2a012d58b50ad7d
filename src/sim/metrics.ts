/** Per-run metrics from an engine result: pure, so the same result always gives the same JSON. */
import { PRIORITY_CLASSES, TENANT_CATEGORIES } from '../core/domain.ts';
import type { JobOutcome, SimResult } from './engine.ts';
import { mean, percentileSorted } from './fairness.ts';

export interface Dist {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface GroupStats {
  jobs: number;
  /** Seconds from submit to the start of the run that completed. */
  queueing: Dist;
  /** Seconds from submit to completion. */
  completion: Dist;
}

export interface SimMetrics {
  trace: string;
  policy: string;
  jobs: number;
  finished: number;
  unfinished: number;
  makespanHours: number;
  capacityAccelerators: number;
  /** Allocated / available accelerator-seconds over the run, 0..1. */
  utilisation: number;
  /** The same without the run time of stopped (lost) runs. */
  usefulUtilisation: number;
  overall: GroupStats;
  byClass: Record<string, GroupStats>;
  byCategory: Record<string, GroupStats>;
  /** Strategic jobs: seconds from submit to their first start. */
  strategicFirstWait: Dist;
  /** Per reserved category: its reserve as a share of capacity, and the share of its demand time it was honoured. */
  reservedHonoured: Record<string, { share: number; honoured: number }>;
  /** Of accelerator time of jobs that accept domestic chips, the share run on them, 0..1. */
  domesticShare: number;
  /** Time-averaged Jain index of held P / max-min fair entitlement over tenants with demand. */
  jain: number;
  /** Time-averaged free accelerators no pending job could use, and as a share of capacity. */
  fragmentedAccelerators: number;
  fragmentedShare: number;
  preemptions: number;
  preemptedJobs: number;
  preemptionsRefused: number;
  failureStops: number;
  /** Accelerator-hours of runs stopped before completion (no checkpoints), and their share of all run time. */
  lostAcceleratorHours: number;
  lostShare: number;
  invalidPlacements: number;
  schedulingPoints: number;
  meanSnapshotJobs: number;
  maxPending: number;
}

const EMPTY: Dist = { n: 0, mean: NaN, p50: NaN, p95: NaN, p99: NaN, max: NaN };

export function dist(values: readonly number[]): Dist {
  if (values.length === 0) return EMPTY;
  const sorted = Float64Array.from(values).sort();
  return {
    n: sorted.length,
    mean: mean(sorted),
    p50: percentileSorted(sorted, 50),
    p95: percentileSorted(sorted, 95),
    p99: percentileSorted(sorted, 99),
    max: sorted[sorted.length - 1] as number,
  };
}

function group(jobs: readonly JobOutcome[]): GroupStats {
  const done = jobs.filter((j) => !Number.isNaN(j.end));
  return {
    jobs: jobs.length,
    queueing: dist(done.map((j) => j.lastStart - j.submit)),
    completion: dist(done.map((j) => j.end - j.submit)),
  };
}

function groupBy(jobs: readonly JobOutcome[], keys: readonly string[], key: (j: JobOutcome) => string) {
  const out: Record<string, GroupStats> = {};
  for (const k of keys) {
    const members = jobs.filter((j) => key(j) === k);
    if (members.length > 0) out[k] = group(members);
  }
  return out;
}

export function summarise(r: SimResult): SimMetrics {
  const finished = r.jobs.filter((j) => !Number.isNaN(j.end)).length;
  let domestic = 0;
  let accepting = 0;
  let lost = 0;
  let run = 0;
  for (const j of r.jobs) {
    run += j.acceleratorSeconds;
    lost += j.lostAcceleratorSeconds;
    if (!j.acceptsDomestic) continue;
    accepting += j.acceleratorSeconds;
    domestic += j.domesticAcceleratorSeconds;
  }
  const strategic = r.jobs.filter((j) => j.priorityClass === 'strategic' && !Number.isNaN(j.firstStart));
  const capacity = r.capacityAccelerators;
  const fragmented = r.makespan > 0 ? r.fragmentedAcceleratorSeconds / r.makespan : 0;
  return {
    trace: r.trace,
    policy: r.policy,
    jobs: r.jobs.length,
    finished,
    unfinished: r.jobs.length - finished,
    makespanHours: r.makespan / 3600,
    capacityAccelerators: capacity,
    utilisation: r.availableAcceleratorSeconds > 0 ? r.busyAcceleratorSeconds / r.availableAcceleratorSeconds : 0,
    usefulUtilisation:
      r.availableAcceleratorSeconds > 0 ? (r.busyAcceleratorSeconds - lost) / r.availableAcceleratorSeconds : 0,
    overall: group(r.jobs),
    byClass: groupBy(r.jobs, PRIORITY_CLASSES, (j) => j.priorityClass),
    byCategory: groupBy(r.jobs, TENANT_CATEGORIES, (j) => j.tenantCategory),
    strategicFirstWait: dist(strategic.map((j) => j.firstStart - j.submit)),
    reservedHonoured: Object.fromEntries(
      Object.entries(r.reserved).map(([c, v]) => [
        c,
        { share: v.share, honoured: v.demandSeconds > 0 ? v.honouredSeconds / v.demandSeconds : 1 },
      ]),
    ),
    domesticShare: accepting > 0 ? domestic / accepting : 0,
    jain: r.jainTime > 0 ? r.jainTimeWeighted / r.jainTime : 1,
    fragmentedAccelerators: fragmented,
    fragmentedShare: capacity > 0 ? fragmented / capacity : 0,
    preemptions: r.preemptions,
    preemptedJobs: r.jobs.filter((j) => j.preemptions > 0).length,
    preemptionsRefused: r.preemptionsRefused,
    failureStops: r.failureStops,
    lostAcceleratorHours: lost / 3600,
    lostShare: run > 0 ? lost / run : 0,
    invalidPlacements: r.invalidPlacements,
    schedulingPoints: r.schedulingPoints,
    meanSnapshotJobs: r.schedulingPoints > 0 ? r.snapshotJobsTotal / r.schedulingPoints : 0,
    maxPending: r.maxPendingSeen,
  };
}

/** Utilisation per bucket of `width` seconds (a multiple of the engine's bucket), 0..1. */
export function utilisationSeries(r: SimResult, width: number): number[] {
  const k = Math.max(1, Math.round(width / r.bucketSeconds));
  const out: number[] = [];
  for (let i = 0; i < r.busySeries.length; i += k) {
    let busy = 0;
    let avail = 0;
    for (let b = i; b < Math.min(i + k, r.busySeries.length); b++) {
      busy += r.busySeries[b] ?? 0;
      avail += r.availableSeries[b] ?? 0;
    }
    out.push(avail > 0 ? busy / avail : 0);
  }
  return out;
}
