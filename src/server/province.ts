/**
 * The programme office's view of the province, computed from the store on request: capacity (exact P) by city,
 * provider and accelerator model, utilisation over a window, the queue by priority class and tenant category, and
 * the reserved shares. Nothing here is stored; every figure can be re-derived from jobs, pools and usage records.
 */
import { findAccelerator } from '../core/accelerators.ts';
import { sumCapacityP } from '../core/compute.ts';
import type { JobState, Tenant, TenantCategory, UsageRecord } from '../core/domain.ts';
import type { PolicyConfig } from '../core/scheduler/policy-config.ts';
import { pPerAccelerator } from '../core/scheduler/units.ts';
import type { SnapshotPool } from '../core/scheduler/types.ts';
import type { StoredJob } from '../store/index.ts';

export interface CapacityRow {
  key: string;
  label: string;
  capacityP: string;
  busyP: string;
  accelerators: number;
  busyAccelerators: number;
}

interface PoolCounts {
  model: string;
  accelerators: number;
  busy: number;
}

function countsOf(pool: SnapshotPool): PoolCounts {
  const accelerators = pool.nodes.reduce((s, n) => s + n.accelerators, 0);
  const free = pool.nodes.reduce((s, n) => s + n.free, 0);
  return { model: pool.acceleratorModel, accelerators, busy: accelerators - free };
}

/** Models outside the catalogue count 0 P (capacityP would throw): they still show as accelerators. */
const known = (model: string) => findAccelerator(model) !== undefined;

function row(key: string, label: string, pools: PoolCounts[]): CapacityRow {
  const inCatalogue = pools.filter((p) => known(p.model));
  return {
    key,
    label,
    capacityP: sumCapacityP(inCatalogue.map((p) => ({ model: p.model, count: p.accelerators }))),
    busyP: sumCapacityP(inCatalogue.map((p) => ({ model: p.model, count: p.busy }))),
    accelerators: pools.reduce((s, p) => s + p.accelerators, 0),
    busyAccelerators: pools.reduce((s, p) => s + p.busy, 0),
  };
}

function groupRows(pools: SnapshotPool[], keyOf: (p: SnapshotPool) => [string, string]): CapacityRow[] {
  const groups = new Map<string, { label: string; pools: PoolCounts[] }>();
  for (const pool of pools) {
    const [key, label] = keyOf(pool);
    const group = groups.get(key) ?? { label, pools: [] };
    group.pools.push(countsOf(pool));
    groups.set(key, group);
  }
  return [...groups.entries()]
    .map(([key, g]) => row(key, g.label, g.pools))
    .sort((a, b) => Number(b.capacityP) - Number(a.capacityP) || a.key.localeCompare(b.key));
}

/** P of all accelerators in these pools, as a number (for shares of it). */
export function totalCapacityP(pools: SnapshotPool[]): number {
  return Number(row('total', 'total', pools.map(countsOf)).capacityP);
}

export function capacityBreakdown(pools: SnapshotPool[], cityOf: (providerId: string) => string) {
  const domestic = (p: SnapshotPool) => findAccelerator(p.acceleratorModel)?.domestic ?? false;
  return {
    total: row('total', 'total', pools.map(countsOf)),
    byCity: groupRows(pools, (p) => {
      const city = cityOf(p.providerId);
      return [city, city];
    }),
    byProvider: groupRows(pools, (p) => [p.providerId, p.providerName]),
    byModel: groupRows(pools, (p) => [p.acceleratorModel, p.acceleratorModel]),
    byOrigin: groupRows(pools, (p) => (domestic(p) ? ['domestic', 'domestic'] : ['foreign', 'foreign'])),
  };
}

/** A stretch of time during which `p` P was busy. */
interface BusyInterval {
  start: number;
  end: number;
  p: number;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Mean busy P in each of `buckets` equal steps of [from, to): finished runs from their usage records, runs still
 * going from their jobs (they have no record until they end). Each run counts for the part of a step it overlaps.
 */
export function utilisationSeries(
  usage: UsageRecord[],
  running: StoredJob[],
  modelOfPool: (poolId: string) => string | undefined,
  window: { from: Date; to: Date; buckets: number },
): Array<{ at: string; busyP: number }> {
  const intervals: BusyInterval[] = [];
  // pPerAccelerator counts a model outside the catalogue as 0 P.
  const perAccelerator = (model: string | undefined) => (model ? pPerAccelerator(model) : 0);
  for (const r of usage) {
    intervals.push({
      start: r.startedAt.getTime(),
      end: r.endedAt.getTime(),
      p: r.acceleratorCount * perAccelerator(r.acceleratorModel),
    });
  }
  const to = window.to.getTime();
  for (const job of running) {
    if (!job.startedAt || !job.poolId) continue;
    const count = job.nodeNames.length * job.spec.acceleratorsPerNode;
    intervals.push({ start: job.startedAt.getTime(), end: to, p: count * perAccelerator(modelOfPool(job.poolId)) });
  }
  const from = window.from.getTime();
  const step = (to - from) / window.buckets;
  return Array.from({ length: window.buckets }, (_, i) => {
    const a = from + i * step;
    const b = a + step;
    let pSeconds = 0;
    for (const run of intervals) {
      const overlap = Math.min(b, run.end) - Math.max(a, run.start);
      if (overlap > 0) pSeconds += overlap * run.p;
    }
    return { at: new Date(a).toISOString(), busyP: round3(pSeconds / step) };
  });
}

export interface QueueRow {
  key: string;
  pending: number;
  oldestWaitSeconds: number;
  meanWaitSeconds: number;
  started: number;
  meanStartWaitSeconds: number;
}

const STARTED_STATES: readonly JobState[] = ['running', 'succeeded', 'failed', 'cancelled', 'preempted', 'lost'];

/**
 * Queue length and waits: jobs pending now (waited so far), and jobs that started in the window (waited from
 * submission to start), grouped by `keyOf`.
 */
export function queueRows(
  pending: StoredJob[],
  startedRecently: StoredJob[],
  keyOf: (job: StoredJob) => string,
  keys: readonly string[],
  now: Date,
): QueueRow[] {
  const seconds = (ms: number) => Math.max(0, Math.round(ms / 1000));
  const mean = (xs: number[]) => (xs.length ? Math.round(xs.reduce((s, x) => s + x, 0) / xs.length) : 0);
  return keys.map((key) => {
    const waiting = pending
      .filter((j) => keyOf(j) === key)
      .map((j) => seconds(now.getTime() - j.submittedAt.getTime()));
    const started = startedRecently
      .filter((j) => keyOf(j) === key && j.startedAt && STARTED_STATES.includes(j.state))
      .map((j) => seconds(j.startedAt!.getTime() - j.submittedAt.getTime()));
    return {
      key,
      pending: waiting.length,
      oldestWaitSeconds: waiting.length ? Math.max(...waiting) : 0,
      meanWaitSeconds: mean(waiting),
      started: started.length,
      meanStartWaitSeconds: mean(started),
    };
  });
}

export interface ReservedShareRow {
  group: string;
  nominalP: number;
  usedP: number;
  /** Idle reserve that other groups are using now. */
  lentP: number;
  /** What this group uses beyond its nominal share (borrowed from idle reserves). */
  borrowedP: number;
}

/**
 * The reserved shares as the scheduler sees them (after Kueue's cohorts): each reserved category's nominal share of
 * the usable P, what its tenants hold now, and how much of its idle reserve is lent. Borrowing is spread over the
 * lending groups in proportion to what each may lend: the scheduler does not record whose reserve a job borrowed.
 */
export function reservedShares(
  policy: PolicyConfig,
  usableP: number,
  active: StoredJob[],
  categoryOf: (tenantId: string) => TenantCategory | undefined,
  modelOfPool: (poolId: string) => string | undefined,
): ReservedShareRow[] {
  const nominal = new Map<string, number>();
  const lendingLimit = new Map<string, number>();
  let reservedSum = 0;
  for (const [category, share] of Object.entries(policy.reserved)) {
    if (!share) continue;
    const p = Math.max(0, Math.min(share.p ?? ((share.basisPoints ?? 0) / 10_000) * usableP, usableP - reservedSum));
    nominal.set(category, p);
    lendingLimit.set(category, (p * share.lendingLimitBasisPoints) / 10_000);
    reservedSum += p;
  }
  nominal.set('shared', Math.max(0, usableP - reservedSum));
  lendingLimit.set('shared', Infinity);
  const used = new Map<string, number>();
  for (const job of active) {
    const model = job.poolId ? modelOfPool(job.poolId) : undefined;
    if (!model) continue;
    const category = categoryOf(job.tenantId) ?? 'enterprise';
    const group = policy.reserved[category] ? category : 'shared';
    const p = job.nodeNames.length * job.spec.acceleratorsPerNode * pPerAccelerator(model);
    used.set(group, (used.get(group) ?? 0) + p);
  }
  const groups = [...nominal.keys()];
  const borrowed = new Map(groups.map((g) => [g, Math.max(0, (used.get(g) ?? 0) - nominal.get(g)!)]));
  const lendable = new Map(
    groups.map((g) => [g, Math.min(Math.max(0, nominal.get(g)! - (used.get(g) ?? 0)), lendingLimit.get(g)!)]),
  );
  const totalBorrowed = [...borrowed.values()].reduce((s, x) => s + x, 0);
  const totalLendable = [...lendable.values()].reduce((s, x) => s + x, 0);
  return groups.map((group) => ({
    group,
    nominalP: round3(nominal.get(group)!),
    usedP: round3(used.get(group) ?? 0),
    lentP: round3(
      totalLendable > 0 ? Math.min(lendable.get(group)!, (totalBorrowed * lendable.get(group)!) / totalLendable) : 0,
    ),
    borrowedP: round3(borrowed.get(group)!),
  }));
}

export const tenantCategoryOf = (tenants: Tenant[]) => {
  const byId = new Map(tenants.map((t) => [t.id, t.category]));
  return (tenantId: string) => byId.get(tenantId);
};
