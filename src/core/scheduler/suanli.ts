/**
 * The suanli policy: one pass over the queue in policy order (ordering.ts). For each job: static checks (shared per
 * job shape), quotas and reserved shares (accounting.ts), the cheapest fitting pool (placement.ts) with the gang
 * all-or-nothing in one pool, EASY backfill behind the first blocked job (backfill.ts), and preemption for strategic
 * jobs and reserved-share reclaim within a per-cycle bound (preemption.ts). Pure and deterministic.
 */
import { Ledger, groupLabel, projectKey } from './accounting.ts';
import { Holders, admitBackfill, reserve, type Reservation } from './backfill.ts';
import { PoolState } from './capacity.ts';
import { comparePools } from './fcfs.ts';
import { compareStrings } from './filter.ts';
import { orderQueue, type Entry } from './ordering.ts';
import { makeScorer, rank, type Scorer } from './placement.ts';
import { DEFAULT_POLICY, type PolicyConfig } from './policy-config.ts';
import { candidatesByPool, chooseVictims, type Budget, type Candidate } from './preemption.ts';
import { Ahead, busyReason, inAbout, plural, staticReason } from './reasons.ts';
import { ShapeCache, type Shape } from './shapes.ts';
import type { Decisions, PendingReason, Placement, Preemption, SchedulingSnapshot } from './types.ts';
import { formatP } from './units.ts';

export function suanli(snapshot: SchedulingSnapshot, now: Date, config: PolicyConfig = DEFAULT_POLICY): Decisions {
  return new Cycle(snapshot, now.getTime(), config).run();
}

class Cycle {
  private readonly pools: PoolState[];
  private readonly shapes: ShapeCache;
  private readonly ledger: Ledger;
  private readonly holders: Holders;
  private readonly victims: Map<number, Candidate[]>;
  private readonly queue: Entry[];
  private readonly placements: Placement[] = [];
  private readonly pending: PendingReason[] = [];
  private readonly preemptions: Preemption[] = [];
  private reservation: Reservation | null = null;
  /** Per shape: "nothing fits", valid while its eligible pools' versions are unchanged (capacity only shrinks). */
  private readonly busyCache = new Map<string, number[]>();
  /**
   * Jobs nothing could take, by their index in `pending`: their pool-by-pool reasons are written once per shape after
   * the pass, from the final free capacity (which only shrank, so what did not fit then does not fit now).
   */
  private readonly busyJobs: Array<{ at: number; shape: Shape; suffix: string }> = [];
  private readonly neverCache = new Map<string, string>();
  /** Failed victim searches; they stay failed (see preempt). */
  private readonly preemptFailed = new Set<string>();
  private readonly claimed = new Set<string>();
  private readonly budget: Budget;
  private readonly ahead = new Ahead();

  constructor(
    snapshot: SchedulingSnapshot,
    private readonly now: number,
    private readonly config: PolicyConfig,
  ) {
    this.pools = [...snapshot.pools].sort(comparePools).map((p, i) => new PoolState(p, i));
    this.shapes = new ShapeCache(this.pools);
    const running = [...(snapshot.running ?? [])].sort((a, b) => compareStrings(a.jobId, b.jobId));
    this.ledger = new Ledger(config, snapshot, this.pools, running);
    const { backfill, preemption } = config;
    this.holders = new Holders(
      this.pools,
      running,
      now,
      backfill.unknownRuntimeSeconds * 1000,
      preemption.graceSeconds * 1000,
    );
    this.victims = preemption.enabled ? candidatesByPool(this.pools, running, now) : new Map();
    this.budget = { jobs: preemption.maxJobsPerCycle, p: preemption.maxPPerCycle };
    this.queue = orderQueue(snapshot.pending, now, config, this.shapes, this.ledger);
  }

  run(): Decisions {
    const scorer = makeScorer(this.config.scoring, this.pools);
    for (const entry of this.queue) {
      const { job, shape } = entry;
      if (shape.eligible.length === 0) {
        let reason = this.neverCache.get(shape.key);
        if (reason === undefined) this.neverCache.set(shape.key, (reason = staticReason(shape)));
        this.pending.push({ jobId: job.id, reason });
        continue;
      }
      const accelerators = shape.perNode * shape.count;
      // Quotas and shares first, on the cheapest model the job accepts: an over-quota job neither reserves nor preempts.
      const early = this.ledger.refusal(job, entry.group, accelerators * shape.minPPerAccel, false);
      if (early !== null) {
        this.wait(entry, early);
        continue;
      }
      const outcome = this.place(entry, scorer);
      if (outcome === 'placed') continue;
      const { refusal, delayed } = outcome;
      if (delayed && this.reservation !== null) {
        const r = this.reservation;
        this.wait(entry, `would delay ${r.jobId}, reserved to start on ${r.pool.label} ${inAbout(r.start - this.now)}`);
      } else if (refusal !== null) {
        this.wait(entry, refusal);
      } else {
        this.blocked(entry);
      }
    }
    const reasons = new Map<string, string>();
    for (const { at, shape, suffix } of this.busyJobs) {
      let reason = reasons.get(shape.key);
      if (reason === undefined) reasons.set(shape.key, (reason = busyReason(shape, shape.eligible)));
      (this.pending[at] as PendingReason).reason = reason + suffix;
    }
    return { placements: this.placements, pending: this.pending, preemptions: this.preemptions };
  }

  /** Places the job on the best pool that fits now, or says what stopped it; 'busy' = nothing fits anywhere. */
  private place(entry: Entry, scorer: Scorer): 'placed' | { refusal: string | null; delayed: boolean } {
    const { job, shape } = entry;
    const cached = this.busyCache.get(shape.key);
    if (cached !== undefined && unchanged(cached, shape.eligible)) return { refusal: null, delayed: false };
    const fitting = shape.eligible.filter((p) => p.fits(shape.perNode, shape.count));
    if (fitting.length === 0) {
      this.busyCache.set(
        shape.key,
        shape.eligible.map((p) => p.version),
      );
      return { refusal: null, delayed: false };
    }
    let refusal: string | null = null;
    let delayed = false;
    const preferDomestic = shape.domesticChoice && this.ledger.belowDomesticFloor();
    const end = this.now + job.spec.timeLimitSeconds * 1000;
    for (const pool of rank(scorer, fitting, shape, job.preferredRegions, preferDomestic)) {
      const p = shape.perNode * shape.count * pool.pPerAccel;
      const refused = this.ledger.refusal(job, entry.group, p, true);
      if (refused !== null) {
        refusal ??= refused;
        continue;
      }
      const nodes = pool.pick(shape.perNode, shape.count) as number[];
      if (this.config.backfill.enabled && !admitBackfill(this.reservation, pool, nodes, shape.perNode, end)) {
        delayed = true;
        continue;
      }
      const nodeNames = pool.take(nodes, shape.perNode);
      this.holders.add(pool.index, { nodes, perNode: shape.perNode, end, known: true });
      this.ledger.hold(job.tenantId, projectKey(job), entry.group, p, pool.domestic);
      this.placements.push({ jobId: job.id, clusterId: pool.pool.clusterId, poolId: pool.pool.poolId, nodeNames });
      return 'placed';
    }
    return { refusal, delayed };
  }

  private wait(entry: Entry, reason: string): void {
    this.pending.push({ jobId: entry.job.id, reason });
    this.ahead.add(entry.cls);
  }

  /** Nothing fits now: preempt if the policy allows, else take the reservation if it is free, else queue. */
  private blocked(entry: Entry): void {
    const { shape } = entry;
    const preempting = this.preempt(entry);
    if (preempting !== null) {
      this.waitBusy(entry, `; ${preempting}`);
      return;
    }
    let suffix = this.ahead.context(entry.cls);
    if (this.reservation === null && this.config.backfill.enabled) {
      this.reservation = reserve(entry.job.id, shape.eligible, this.holders, shape.perNode, shape.count, this.now);
      if (this.reservation?.known === true)
        suffix = `; next in line: expected to start on ${this.reservation.pool.label} ${inAbout(this.reservation.start - this.now)}`;
    }
    this.waitBusy(entry, suffix);
  }

  private waitBusy(entry: Entry, suffix: string): void {
    this.busyJobs.push({ at: this.pending.length, shape: entry.shape, suffix });
    this.wait(entry, '');
  }

  /** Decides preemptions for a blocked job; returns the words for its pending reason, or null. */
  private preempt(entry: Entry): string | null {
    const { job, shape, cls, group } = entry;
    const { preemption } = this.config;
    if (!preemption.enabled || this.victims.size === 0) return null;
    const strategicOver = new Set(preemption.mayPreempt[cls] ?? []);
    const reclaimOver = new Set(preemption.reclaimMayPreempt);
    const reclaiming = this.ledger.entitled(group, shape.perNode * shape.count * shape.minPPerAccel);
    if (strategicOver.size === 0 && !reclaiming) return null;
    if (this.budget.jobs <= 0 || this.budget.p <= 0) return null;
    // Within a cycle free capacity, candidates (claims) and budget only shrink, so a failed search stays failed
    // unless more groups start borrowing: the key names those.
    const key = `${shape.key}\u0000${cls}\u0000${reclaiming ? `${group}\u0000${this.ledger.borrowingGroups()}` : ''}`;
    if (this.preemptFailed.has(key)) return null;

    const byClass = (c: Candidate) => strategicOver.has(c.alloc.priorityClass);
    const byReclaim = (c: Candidate) => {
      const victimGroup = this.ledger.groupOf(c.alloc.tenantCategory);
      return reclaimOver.has(c.alloc.priorityClass) && victimGroup !== group && this.ledger.borrowing(victimGroup);
    };
    const allowed = (c: Candidate) => byClass(c) || (reclaiming && byReclaim(c));
    const found = chooseVictims(
      shape.eligible,
      this.victims,
      allowed,
      this.claimed,
      shape.perNode,
      shape.count,
      this.budget,
    );
    if (found === null) {
      this.preemptFailed.add(key);
      return null;
    }
    for (const c of found.stopping) this.claimed.add(c.alloc.jobId);
    const graceSeconds = preemption.graceSeconds;
    for (const c of found.victims) {
      this.claimed.add(c.alloc.jobId);
      this.budget.jobs -= 1;
      this.budget.p -= c.p;
      const lost = `${Number((c.lost / 3600).toFixed(1))} accelerator-hours of work since it started`;
      const why = byClass(c)
        ? `preempted for strategic job ${job.id}, which needs ${plural(shape.count, 'node')} × ${shape.perNode} on ${found.pool.label}`
        : `reclaimed for ${groupLabel(group)} share (job ${job.id}): ${groupLabel(this.ledger.groupOf(c.alloc.tenantCategory))} share was borrowing`;
      this.preemptions.push({
        jobId: c.alloc.jobId,
        reason: `${why}; it had the least lost work there (${lost}, ${formatP(c.p)})`,
        graceSeconds,
      });
    }
    if (found.victims.length === 0)
      return `waiting for ${plural(found.stopping.length, 'preempted job')} to stop on ${found.pool.label}`;
    return `preempting ${plural(found.victims.length, 'job')} on ${found.pool.label} to start it (grace ${graceSeconds} s)`;
  }
}

function unchanged(versions: readonly number[], pools: readonly PoolState[]): boolean {
  for (let i = 0; i < pools.length; i++) if ((pools[i] as PoolState).version !== versions[i]) return false;
  return true;
}
