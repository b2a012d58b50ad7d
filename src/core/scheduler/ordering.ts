/**
 * Queue order for the suanli policy, as one sort key per job:
 *   1. band: class points plus aging, in steps of `bandPoints` (strategic first; waiting promotes a job);
 *   2. reserved-share entitlement: a job whose reserved group is under its nominal share goes first in its band;
 *   3. fair share: the tenant's decayed P·h plus what its earlier jobs in the band would use, over its weight,
 *      so tenants interleave by virtual usage (weighted fair queueing; Slurm fair-tree and Kueue admission fair
 *      sharing order by the same ratio);
 *   4. points (older first), submission time, id: a total order, so input order never matters.
 */
import type { PriorityClass } from '../domain.ts';
import type { Ledger } from './accounting.ts';
import { compareStrings } from './filter.ts';
import type { PolicyConfig } from './policy-config.ts';
import type { Shape, ShapeCache } from './shapes.ts';
import type { SnapshotJob } from './types.ts';

export interface Entry {
  job: SnapshotJob;
  submitted: number;
  shape: Shape;
  cls: PriorityClass;
  group: string;
  points: number;
  band: number;
  entitled: boolean;
  fair: number;
}

const MS_PER_HOUR = 3_600_000;

export function priorityPoints(job: SnapshotJob, now: number, config: PolicyConfig['priority']): number {
  const waited = Math.max(0, now - job.submittedAt.getTime()) / MS_PER_HOUR;
  const aging = waited * config.agingPointsPerHour;
  return (
    config.base[job.spec.priorityClass] +
    (config.maxAgingPoints === null ? aging : Math.min(aging, config.maxAgingPoints))
  );
}

function byAge(a: Entry, b: Entry): number {
  return b.points - a.points || a.submitted - b.submitted || compareStrings(a.job.id, b.job.id);
}

function compareEntries(a: Entry, b: Entry): number {
  // Inlined byAge: this comparator runs n log n times on 100k-job queues.
  return (
    b.band - a.band ||
    (b.entitled ? 1 : 0) - (a.entitled ? 1 : 0) ||
    a.fair - b.fair ||
    b.points - a.points ||
    a.submitted - b.submitted ||
    compareStrings(a.job.id, b.job.id)
  );
}

export function orderQueue(
  pending: readonly SnapshotJob[],
  now: number,
  config: PolicyConfig,
  shapes: ShapeCache,
  ledger: Ledger,
): Entry[] {
  const entries = pending.map((job): Entry => {
    const points = priorityPoints(job, now, config.priority);
    const group = ledger.groupOf(job.tenantCategory);
    return {
      job,
      submitted: job.submittedAt.getTime(),
      shape: shapes.of(job.spec),
      cls: job.spec.priorityClass,
      group,
      points,
      band: Math.floor(points / config.priority.bandPoints),
      entitled: ledger.entitled(group),
      fair: 0,
    };
  });
  if (config.fairShare.enabled) {
    // Virtual usage: each job adds its estimated P·h for the tenant's later jobs in the same band.
    const byBand = new Map<number, Map<string, Entry[]>>();
    for (const e of entries) {
      let tenants = byBand.get(e.band);
      if (tenants === undefined) byBand.set(e.band, (tenants = new Map()));
      const list = tenants.get(e.job.tenantId);
      if (list) list.push(e);
      else tenants.set(e.job.tenantId, [e]);
    }
    for (const list of [...byBand.values()].flatMap((tenants) => [...tenants.values()])) {
      list.sort(byAge);
      const first = list[0] as Entry;
      const tenant = first.job.tenantId;
      const weight = config.fairShare.weights[tenant] ?? config.fairShare.defaultWeight;
      let used = ledger.decayedPh(tenant);
      for (const e of list) {
        e.fair = weight > 0 ? used / weight : Number.MAX_VALUE;
        const { spec } = e.job;
        used += (spec.acceleratorsPerNode * spec.nodes * e.shape.minPPerAccel * spec.timeLimitSeconds) / 3600;
      }
    }
  }
  return entries.sort(compareEntries);
}
