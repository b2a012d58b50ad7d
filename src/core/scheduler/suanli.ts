/**
 * The suanli policy: one pass over the queue in policy order (ordering.ts). For each job: static checks (shared per
 * job shape), quotas and reserved shares (accounting.ts), the cheapest fitting pool (placement.ts) with the gang
 * all-or-nothing in one pool, EASY backfill behind the first blocked job (backfill.ts), and preemption for strategic
 * jobs and reserved-share reclaim within a per-cycle bound (preemption.ts). Capacity a preemption frees is held for
 * the job it was freed for (`holds`, passed back by the control plane each cycle) ahead of the queue, so it cannot go
 * to another job that would then be preempted in turn. Pure and deterministic.
 */
import { Ledger, groupLabel, projectKey } from './accounting.ts';
import { Holders, admitBackfill, reserve, type Reservation } from './backfill.ts';
import { PoolState } from './capacity.ts';
import { comparePools } from './fcfs.ts';
import { compareStrings } from './filter.ts';
import { orderQueue, type Entry } from './ordering.ts';
import { makeScorer, rank, type Scorer } from './placement.ts';
import { DEFAULT_POLICY, type PolicyConfig } from './policy-config.ts';
import { candidatesByPool, chooseVictims, gangNodes, type Budget, type Candidate, type Claimed } from './preemption.ts';
import { Ahead, busyReason, inAbout, plural, staticReason } from './reasons.ts';
import { ShapeCache, type Shape } from './shapes.ts';
import type {
  CapacityHold,
  Decisions,
  PendingReason,
  Placement,
  Preemption,
  RunningAllocation,
  SchedulingSnapshot,
} from './types.ts';
import { formatP } from './units.ts';

export function suanli(snapshot: SchedulingSnapshot, now: Date, config: PolicyConfig = DEFAULT_POLICY): Decisions {
  return new Cycle(snapshot, now, config).run();
}

class Cycle {
  private readonly pools: PoolState[];
  private readonly shapes: ShapeCache;
  private readonly ledger: Ledger;
  private readonly holders: Holders;
  private readonly victims: Map<number, Candidate[]>;
  /** Running allocations per pool, whatever the configuration: holds need the stopping ones. */
  private readonly allocations: Map<number, Candidate[]>;
  /** Stopping jobs preempted for a job that still waits: victim id → that job's id. */
  private readonly stopsFor = new Map<string, string>();
  private readonly holdsIn: readonly CapacityHold[];
  private readonly beneficiaries: ReadonlySet<string>;
  private readonly holdsOut: CapacityHold[] = [];
  /** Jobs settled before the queue pass (their hold was kept, used or given up with a reason). */
  private readonly settled = new Set<string>();
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
  /**
   * Per pool index: accelerators per node that claimed victims and stopping jobs free beyond what the holds on them
   * need. A later preempting job counts them as free (it preempts nothing more if it fits there), so small jobs of a
   * group share the node one victim frees instead of each reclaiming a node of its own.
   */
  private readonly spare = new Map<number, number[]>();
  /** Pools (indices) with any spare capacity. */
  private readonly sparePools = new Set<number>();
  /** Bumped when spare capacity grows: a victim search that failed before may succeed after. */
  private spareVersion = 0;
  /** Jobs preempted this cycle. */
  private readonly preemptedNow = new Set<string>();
  private readonly budget: Budget;
  private readonly ahead = new Ahead();
  private readonly now: number;
  /** Per pool index: accelerators its engine's queue may still take this cycle. */
  private readonly queueRoom: number[];
  private scorer: Scorer | null = null;

  constructor(
    snapshot: SchedulingSnapshot,
    private readonly nowDate: Date,
    private readonly config: PolicyConfig,
  ) {
    const now = nowDate.getTime();
    this.now = now;
    this.pools = [...snapshot.pools].sort(comparePools).map((p, i) => new PoolState(p, i));
    this.shapes = new ShapeCache(this.pools);
    const running = byJobId(snapshot.running ?? []);
    this.ledger = new Ledger(config, snapshot, this.pools, running);
    const { backfill, preemption } = config;
    this.holders = new Holders(
      this.pools,
      running,
      now,
      backfill.unknownRuntimeSeconds * 1000,
      preemption.graceSeconds * 1000,
    );
    this.allocations = candidatesByPool(this.pools, running, now);
    this.victims = preemption.enabled ? this.allocations : new Map();
    const waiting = new Set(snapshot.pending.map((j) => j.id));
    for (const r of running)
      if (r.stopRequested === true && r.preemptedFor !== undefined && waiting.has(r.preemptedFor))
        this.stopsFor.set(r.jobId, r.preemptedFor);
    this.holdsIn = snapshot.holds ?? [];
    this.beneficiaries = new Set(this.stopsFor.values());
    this.budget = { jobs: preemption.maxJobsPerCycle, p: preemption.maxPPerCycle };
    this.queue = orderQueue(snapshot.pending, now, config, this.shapes, this.ledger);
    this.queueRoom = this.pools.map((p) =>
      p.pool.queueAhead ? Math.max(0, p.pool.queueAhead.limit - p.pool.queueAhead.queued) : 0,
    );
  }

  run(): Decisions {
    const scorer = makeScorer(this.config.scoring, this.pools);
    this.scorer = scorer;
    this.applyHolds(scorer);
    for (const entry of this.queue) {
      const { job, shape } = entry;
      if (this.settled.has(job.id)) continue;
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
    return {
      placements: this.placements,
      pending: this.pending,
      preemptions: this.preemptions,
      holds: this.holdsOut,
    };
  }

  /**
   * Before the queue pass: the capacity held for jobs that preemptions made room for is taken out of the free
   * capacity, then each such job (in queue order) starts on its held nodes once they are all free, or elsewhere if it
   * fits now (giving the hold back), or keeps waiting with its hold. A hold whose job no longer waits, that expired,
   * or that can no longer fill (a node down, its capacity taken by someone else) is dropped.
   */
  private applyHolds(scorer: Scorer): void {
    if (this.holdsIn.length === 0) return;
    const position = new Map(this.queue.map((e, i) => [e.job.id, i]));
    const byPool = new Map(this.pools.map((p) => [p.pool.poolId, p]));
    const expiry = this.config.preemption.holdSeconds * 1000;
    const holds = this.holdsIn
      .filter((h) => position.has(h.jobId))
      .sort(
        (a, b) =>
          (position.get(a.jobId) as number) - (position.get(b.jobId) as number) ||
          a.since.getTime() - b.since.getTime() ||
          compareStrings(a.poolId, b.poolId),
      );
    /** Per pool: accelerators of stopping jobs per node not yet counted toward a hold. */
    const stopping = new Map<number, number[]>();
    const kept: Array<{ entry: Entry; pool: PoolState; nodes: number[]; withheld: number[]; since: Date }> = [];
    /** Holds kept waiting, and the stopping jobs they wait for: what those free beyond the holds is spare. */
    const waitingHolds: Array<{ pool: PoolState; nodes: number[]; short: number[] }> = [];
    const waitedFor = new Map<string, Candidate>();
    for (const h of holds) {
      const entry = this.queue[position.get(h.jobId) as number] as Entry;
      const { shape } = entry;
      const pool = byPool.get(h.poolId);
      if (this.settled.has(h.jobId) || pool === undefined || !pool.pool.healthy) continue;
      if (this.now - h.since.getTime() >= expiry) continue;
      if (h.acceleratorsPerNode !== shape.perNode || h.nodeNames.length !== shape.count) continue;
      if (!shape.eligible.includes(pool)) continue;
      const nodes = h.nodeNames.map((n) => pool.nodeIndex(n));
      if (new Set(nodes).size !== nodes.length || nodes.some((i) => i < 0 || !pool.up[i])) continue;
      let left = stopping.get(pool.index);
      if (left === undefined) {
        left = new Array<number>(pool.names.length).fill(0);
        for (const c of this.allocations.get(pool.index) ?? [])
          if (c.alloc.stopRequested === true)
            for (const i of c.nodes) left[i] = (left[i] as number) + c.alloc.acceleratorsPerNode;
        stopping.set(pool.index, left);
      }
      const withheld = nodes.map((i) => Math.min(pool.free[i] as number, shape.perNode));
      const short = nodes.map((i, k) => shape.perNode - (withheld[k] as number));
      if (nodes.some((i, k) => (short[k] as number) > (left[i] as number))) continue;
      nodes.forEach((i, k) => {
        left[i] = (left[i] as number) - (short[k] as number);
        pool.adjust(i, -(withheld[k] as number));
      });
      this.settled.add(h.jobId);
      kept.push({ entry, pool, nodes, withheld, since: h.since });
    }
    for (const { entry, pool, nodes, withheld, since } of kept) {
      const { job, shape } = entry;
      const giveBack = () => nodes.forEach((i, k) => pool.adjust(i, withheld[k] as number));
      const p = shape.perNode * shape.count * pool.pPerAccel;
      const refused = this.ledger.refusal(job, entry.group, p, true);
      if (refused !== null) {
        giveBack();
        this.wait(entry, refused);
        continue;
      }
      if (withheld.every((w) => w === shape.perNode)) {
        this.commit(entry, pool, nodes, p);
        continue;
      }
      // Still stopping there: start elsewhere if it fits now, else keep the hold.
      if (this.place(entry, scorer) === 'placed') {
        giveBack();
        continue;
      }
      const stops = (this.allocations.get(pool.index) ?? []).filter(
        (c) => c.alloc.stopRequested === true && c.nodes.some((i) => nodes.includes(i)),
      );
      for (const c of stops) {
        this.claimed.add(c.alloc.jobId);
        waitedFor.set(c.alloc.jobId, c);
      }
      waitingHolds.push({ pool, nodes, short: withheld.map((w) => shape.perNode - w) });
      this.keep(entry, pool, nodes, since);
      this.wait(
        entry,
        `waiting for ${plural(stops.length, 'preempted job')} to stop on ${pool.label}; its nodes are held for it`,
      );
    }
    for (const c of waitedFor.values()) this.addSpare(c.pool, c.nodes, c.alloc.acceleratorsPerNode);
    for (const { pool, nodes, short } of waitingHolds)
      nodes.forEach((i, k) => this.addSpare(pool, [i], -(short[k] as number)));
  }

  /** Adds `delta` accelerators to the spare capacity of `nodes` (up ones) of `pool`, never below 0. */
  private addSpare(pool: PoolState, nodes: readonly number[], delta: number): void {
    let spare = this.spare.get(pool.index);
    if (spare === undefined) this.spare.set(pool.index, (spare = new Array<number>(pool.names.length).fill(0)));
    for (const i of nodes) if (pool.up[i]) spare[i] = Math.max(0, (spare[i] as number) + delta);
    if (delta > 0) this.spareVersion++;
    if (spare.some((a) => a > 0)) this.sparePools.add(pool.index);
    else this.sparePools.delete(pool.index);
  }

  /** Holds `nodes` of `pool` for the job across cycles: counted as its use now, and kept from every other job. */
  private keep(entry: Entry, pool: PoolState, nodes: number[], since: Date): void {
    const { job, shape } = entry;
    const p = shape.perNode * shape.count * pool.pPerAccel;
    this.ledger.hold(job.tenantId, projectKey(job), entry.group, p, pool.domestic);
    const { graceSeconds } = this.config.preemption;
    this.holders.add(pool.index, {
      nodes,
      perNode: shape.perNode,
      end: this.now + (graceSeconds + job.spec.timeLimitSeconds) * 1000,
      known: true,
    });
    this.holdsOut.push({
      jobId: job.id,
      poolId: pool.pool.poolId,
      nodeNames: nodes.map((i) => pool.names[i] as string),
      acceleratorsPerNode: shape.perNode,
      since,
    });
  }

  /** Records a placement on nodes whose capacity was already taken from the pool. */
  private commit(entry: Entry, pool: PoolState, nodes: number[], p: number): void {
    const { job, shape } = entry;
    const end = this.now + job.spec.timeLimitSeconds * 1000;
    this.holders.add(pool.index, { nodes, perNode: shape.perNode, end, known: true });
    this.ledger.hold(job.tenantId, projectKey(job), entry.group, p, pool.domestic);
    this.placements.push({
      jobId: job.id,
      clusterId: pool.pool.clusterId,
      poolId: pool.pool.poolId,
      nodeNames: nodes.map((i) => pool.names[i] as string),
    });
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
      pool.take(nodes, shape.perNode);
      this.commit(entry, pool, nodes, p);
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
    if (this.queueAhead(entry)) return;
    let suffix = this.ahead.context(entry.cls);
    if (this.reservation === null && this.config.backfill.enabled) {
      this.reservation = reserve(entry.job.id, shape.eligible, this.holders, shape.perNode, shape.count, this.now);
      if (this.reservation?.known === true)
        suffix = `; next in line: expected to start on ${this.reservation.pool.label} ${inAbout(this.reservation.start - this.now)}`;
    }
    this.waitBusy(entry, suffix);
  }

  /**
   * Nothing fits now and nothing is preempted: hand the job to the queue of a pool whose engine keeps one, if that
   * queue has room and the job's quotas and shares allow it there. It then counts as using those accelerators, so
   * the queue holds no more than the policy would let run; the engine starts it when its nodes free up.
   */
  private queueAhead(entry: Entry): boolean {
    const { job, shape } = entry;
    const need = shape.perNode * shape.count;
    const room = shape.eligible.filter(
      (p) =>
        (this.queueRoom[p.index] as number) >= need && p.pool.healthy && p.fitsWhenEmpty(shape.perNode, shape.count),
    );
    if (room.length === 0 || this.scorer === null) return false;
    const preferDomestic = shape.domesticChoice && this.ledger.belowDomesticFloor();
    for (const pool of rank(this.scorer, room, shape, job.preferredRegions, preferDomestic)) {
      const p = need * pool.pPerAccel;
      // Not on free capacity: a full federation is no share refusal, but quotas and a group's share still hold.
      if (this.ledger.refusal(job, entry.group, p, false) !== null) continue;
      this.queueRoom[pool.index] = (this.queueRoom[pool.index] as number) - need;
      this.ledger.hold(job.tenantId, projectKey(job), entry.group, p, pool.domestic);
      this.placements.push({
        jobId: job.id,
        clusterId: pool.pool.clusterId,
        poolId: pool.pool.poolId,
        nodeNames: [],
        queued: true,
      });
      return true;
    }
    return false;
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
    // Out of budget, a job can still use spare capacity (it preempts nothing more).
    const spent = this.budget.jobs <= 0 || this.budget.p <= 0;
    if (spent && this.sparePools.size === 0) return null;
    // Within a cycle free capacity, candidates (claims) and budget only shrink, so a failed search stays failed
    // unless more groups start borrowing: the key names those.
    // A job that stopping jobs were preempted for sees capacity no other job does: its searches are its own.
    const own = this.beneficiaries.has(job.id) ? `\u0000${job.id}` : '';
    const key = `${shape.key}\u0000${cls}\u0000${reclaiming ? `${group}\u0000${this.ledger.borrowingGroups()}` : ''}${own}\u0000${this.spareVersion}`;
    if (this.preemptFailed.has(key)) return null;

    const minRunMs = preemption.minRuntimeSeconds * 1000;
    // Admitted but not started counts as just started.
    const seasoned = (c: Candidate) => c.alloc.startedAt !== null && this.now - c.alloc.startedAt.getTime() >= minRunMs;
    const byClass = (c: Candidate) => strategicOver.has(c.alloc.priorityClass);
    // Reclaim only where the job, once placed there, is still within its group's nominal share: a reclaim that would
    // make it a borrower in turn invites the next reclaim.
    const entitledIn = new Map<PoolState, boolean>();
    const byReclaim = (c: Candidate) => {
      const victimGroup = this.ledger.groupOf(c.alloc.tenantCategory);
      if (!reclaimOver.has(c.alloc.priorityClass) || victimGroup === group || !this.ledger.borrowing(victimGroup))
        return false;
      let ok = entitledIn.get(c.pool);
      if (ok === undefined)
        entitledIn.set(c.pool, (ok = this.ledger.entitled(group, shape.perNode * shape.count * c.pool.pPerAccel)));
      return ok;
    };
    const allowed = (c: Candidate) => seasoned(c) && (byClass(c) || (reclaiming && byReclaim(c)));
    // A job that may only reclaim looks only where it stays within its share (spare capacity there needs no victim).
    const pools = shape.eligible.filter(
      (pool) =>
        (!spent || this.sparePools.has(pool.index)) &&
        (strategicOver.size > 0 || this.ledger.entitled(group, shape.perNode * shape.count * pool.pPerAccel)),
    );
    const claimed: Claimed = {
      has: (id) => this.claimed.has(id) || (this.stopsFor.get(id) ?? job.id) !== job.id,
    };
    const found = chooseVictims(
      pools,
      this.victims,
      allowed,
      claimed,
      shape.perNode,
      shape.count,
      this.budget,
      this.spare,
    );
    const p = found === null ? 0 : shape.perNode * shape.count * found.pool.pPerAccel;
    if (found === null || this.ledger.quotaRefusal(job, p) !== null) {
      this.preemptFailed.add(key);
      return null;
    }
    // The gang's nodes are held for it from now on: what is free on them now, then what earlier preemptions free
    // beyond their holds (spare), then what its own victims and the stopping jobs there free. What those free beyond
    // the gang is spare for the next preempting job.
    const { pool } = found;
    const nodes = gangNodes(found, shape.perNode, shape.count, this.spare.get(pool.index));
    const waitsOn = nodes.filter((i) => (pool.free[i] as number) < shape.perNode);
    const stops = found.stopping.filter((c) => c.nodes.some((i) => nodes.includes(i)));
    for (const c of stops) this.claimed.add(c.alloc.jobId);
    for (const c of [...found.victims, ...stops]) this.addSpare(pool, c.nodes, c.alloc.acceleratorsPerNode);
    for (const i of nodes) {
      const fromFree = Math.min(pool.free[i] as number, shape.perNode);
      pool.adjust(i, -fromFree);
      this.addSpare(pool, [i], fromFree - shape.perNode);
    }
    this.keep(entry, pool, nodes, this.nowDate);
    const graceSeconds = preemption.graceSeconds;
    for (const c of found.victims) {
      this.claimed.add(c.alloc.jobId);
      this.preemptedNow.add(c.alloc.jobId);
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
        forJobId: job.id,
      });
    }
    if (found.victims.length === 0) {
      // The jobs stopping, or preempted this cycle, on the nodes the gang waits for.
      const stopping = (this.allocations.get(pool.index) ?? []).filter(
        (c) =>
          (c.alloc.stopRequested === true || this.preemptedNow.has(c.alloc.jobId)) &&
          c.nodes.some((i) => waitsOn.includes(i)),
      );
      return `waiting for ${plural(stopping.length, 'preempted job')} to stop on ${pool.label}`;
    }
    return `preempting ${plural(found.victims.length, 'job')} on ${found.pool.label} to start it (grace ${graceSeconds} s)`;
  }
}

/** Running allocations by job id (sums over them then do not depend on input order); one pass when already sorted. */
function byJobId(running: readonly RunningAllocation[]): RunningAllocation[] {
  let sorted = true;
  for (let i = 1; i < running.length && sorted; i++)
    sorted = compareStrings((running[i - 1] as RunningAllocation).jobId, (running[i] as RunningAllocation).jobId) < 0;
  return sorted ? [...running] : [...running].sort((a, b) => compareStrings(a.jobId, b.jobId));
}

function unchanged(versions: readonly number[], pools: readonly PoolState[]): boolean {
  for (let i = 0; i < pools.length; i++) if ((pools[i] as PoolState).version !== versions[i]) return false;
  return true;
}
