/**
 * The control loop: while this process holds the lease, each tick
 *   1. observes every member cluster in a pass of its own: inventory and health, withdrawals and in-doubt
 *      dispatches to settle, runs to follow, cancels to send (metering runs in a pass beside the tick),
 *   2. cancels what no engine has yet, runs a scheduling cycle over an immutable snapshot (`decide`, the pure core)
 *      and admits its placements,
 *   3. dispatches admitted jobs to their engines, a pass per cluster ("assume, then bind": the placement is stored
 *      before the submit).
 * Passes of a slow cluster outlive the tick rather than hold it up (docs/architecture.md, "One tick").
 * Several server processes may run this loop over one database; the lease lets one act at a time, and every state
 * change is conditional on the state it expects, so even a stale holder cannot move a job twice.
 */
import {
  DEFAULT_POLICY,
  suanliPolicy,
  type CapacityHold,
  type PolicyConfig,
  type SchedulingPolicy,
} from '../../core/scheduler/index.ts';
import type { Engine } from '../../engines/engine.ts';
import type { Store, StoredJob } from '../../store/index.ts';
import { JOBS_SUBMITTED_CHANNEL } from '../../store/jobs.ts';
import type { ClusterRecord } from '../../store/federation.ts';
import type { EngineRegistry } from '../engines.ts';
import { buildSnapshot } from './snapshot.ts';
import { Confirmations, dispatchJobs, recoverInDoubt } from './dispatch.ts';
import { followCluster } from './follow.ts';
import { meterCluster } from './meter.ts';
import { LEDGER_BATCH, type SubsidySource } from '../../store/ledger/index.ts';
import type { VoucherProgramme } from '../../core/money/programmes/types.ts';
import { settleWithdrawals, withdrawFromUnhealthy } from './withdraw.ts';
import { LeaseKeeper } from './lease-keeper.ts';
import { LateCounts, addCounts, emptyReport, type TickReport } from './tick-report.ts';

export type { TickReport } from './tick-report.ts';

export const CONTROL_LEASE = 'control-loop';
/** The shortest gap between ticks that submissions ask for (`ControlLoop.nudge`). */
const NUDGE_GAP_MS = 20;
/**
 * The longest reads of a cluster (observe, meter) wait for submissions: for a dispatch pass to that cluster to
 * finish, and on ticks that submissions asked for.
 */
const READ_DEFER_MS = 5_000;
/**
 * Reading a member's state (its controller's job list, its accounting) takes at most 1 / READ_DUTY of the time per
 * kind of read: a pass that took d ≥ SLOW_READ_MS is not started again for READ_DUTY × d ms (at most
 * MAX_READ_GAP_MS). The daemons are the provider's, serving its own users too; a whole job list of a busy
 * controller can take a second. Quicker passes keep the loop's interval.
 */
const READ_DUTY = 4;
const SLOW_READ_MS = 100;
const MAX_READ_GAP_MS = 15_000;
export const DEFAULT_DISPATCH_CONCURRENCY = 2;
/** How long a cancel sent to an engine has to take effect before it is sent again. */
const CANCEL_RESEND_MS = 30_000;

export interface LoopLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ControlLoopOptions {
  store: Store;
  engines: EngineRegistry;
  /** Unique per process: who holds the lease. */
  holder: string;
  clock: () => Date;
  log: LoopLogger;
  intervalMs?: number;
  leaseTtlMs?: number;
  inventoryEveryMs?: number;
  /** Consecutive failed polls after which a cluster is marked unhealthy. */
  unhealthyAfter?: number;
  /**
   * The suanli policy's configuration (the server configuration's `policy:` merged over DEFAULT_POLICY): the cycle
   * runs with it, fair share decays usage with its half-life, and preempted runs get its grace period.
   */
  policyConfig?: PolicyConfig;
  /** The scheduling policy; the suanli policy with `policyConfig` unless a test swaps it. */
  policy?: SchedulingPolicy;
  /** How long a tick waits for the clusters' passes before going on without a slow one (default 250 ms). */
  passBudgetMs?: number;
  /**
   * Submits in flight at once per cluster (default 2). More hides the round trip to a far slurmrestd; on the lab
   * (loopback, 2 cores) 4 per cluster made each submit 2-3× slower than 2 and the whole burst slower (docs/slurm.md).
   */
  dispatchConcurrency?: number;
  /** Called after each tick that acted (tests and metrics hook in here). */
  onTick?: (report: TickReport) => void;
  /** The subsidy programmes and their evaluator; without them usage is charged and vouchers applied, no subsidy. */
  subsidies?: SubsidySource;
  /** Voucher programmes whose terms limit what their vouchers pay. */
  voucherProgrammes?: readonly VoucherProgramme[];
}

export interface LoopContext {
  store: Store;
  engines: EngineRegistry;
  holder: string;
  now: Date;
  log: LoopLogger;
  leaseTtlMs: number;
}

export class ControlLoop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private readonly lastInventory = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly lastStarted = new Map<string, number>();
  /** `observe:<cluster>` / `meter:<cluster>` → when that read last started. */
  private readonly lastRead = new Map<string, number>();
  /** `observe:<cluster>` / `meter:<cluster>` → no such pass before this time (READ_DUTY). */
  private readonly readNotBefore = new Map<string, number>();
  private readonly late = new LateCounts();
  private stopped = false;
  private started = false;
  private ticking = false;
  private nudged = false;
  /** A submission asked for a tick since the last one started. */
  private submitted = false;
  private lastTickEnd = 0;
  /** Stops listening for submissions (set while listening). */
  private unlisten: Promise<(() => Promise<void>) | null> | null = null;
  private readonly failedPolls = new Map<string, number>();
  /**
   * Job → when its cancel is sent again if the run has not ended: 30 s after the last, or when the grace given to a
   * preempted run is over, so the engine that only signalled it then stops it.
   */
  private readonly cancelDue = new Map<string, number>();
  /**
   * Capacity the last cycle held for jobs that preemptions make room for, handed back to the next cycle. Kept in
   * memory: after a restart or failover it is rebuilt from the stopping victims' `preempt_for`.
   */
  private holds: CapacityHold[] = [];
  /** The lease epoch `holds` belong to: a loop that takes the lease (over) reads the stored holds first. */
  private holdsEpoch: number | null = null;
  readonly intervalMs: number;
  readonly leaseTtlMs: number;
  private readonly policyConfig: PolicyConfig;
  private readonly policy: SchedulingPolicy;
  private readonly inventoryEveryMs: number;
  private readonly passBudgetMs: number;
  private readonly dispatchConcurrency: number;

  constructor(private readonly options: ControlLoopOptions) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.leaseTtlMs = options.leaseTtlMs ?? 15_000;
    this.inventoryEveryMs = options.inventoryEveryMs ?? 30_000;
    this.passBudgetMs = options.passBudgetMs ?? 250;
    this.dispatchConcurrency = Math.max(1, options.dispatchConcurrency ?? DEFAULT_DISPATCH_CONCURRENCY);
    this.policyConfig = options.policyConfig ?? DEFAULT_POLICY;
    this.policy = options.policy ?? suanliPolicy(this.policyConfig);
  }

  start(): void {
    this.stopped = false;
    this.started = true;
    // A job submitted through any server process over this database wakes the loop at once, not at its next timer.
    this.unlisten ??= this.options.store
      .listen(JOBS_SUBMITTED_CHANNEL, () => this.nudge())
      .catch((error: unknown) => {
        this.options.log.warn({ err: error }, 'cannot listen for submissions; placing them on the timer');
        return null;
      });
    this.wakeIn(0);
  }

  /**
   * Asks for a tick soon (a job was submitted, here or in another process): at once when idle, right after the tick
   * in flight otherwise, and at most one every `NUDGE_GAP_MS`, so a burst of submissions costs a few ticks, not one
   * each.
   */
  nudge(): void {
    if (!this.started || this.stopped) return;
    this.submitted = true;
    if (this.ticking) {
      this.nudged = true;
      return;
    }
    this.wakeIn(Math.max(0, this.lastTickEnd + NUDGE_GAP_MS - Date.now()));
  }

  private wakeIn(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tickOnTimer(), delayMs);
  }

  private async tickOnTimer(): Promise<void> {
    this.timer = null;
    if (this.stopped || this.ticking) return;
    this.ticking = true;
    const forSubmissions = this.submitted;
    this.submitted = false;
    this.running = this.tick({ forSubmissions }).catch((error: unknown) =>
      this.options.log.error({ err: error }, 'control loop tick failed'),
    );
    await this.running;
    this.ticking = false;
    this.lastTickEnd = Date.now();
    if (this.stopped) return;
    const again = this.nudged;
    this.nudged = false;
    this.wakeIn(again ? NUDGE_GAP_MS : this.intervalMs);
  }

  /** Stops ticking, waits for a tick in flight and gives the lease up so another process can take over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await Promise.all(this.inFlight.values());
    const unlisten = await this.unlisten;
    this.unlisten = null;
    await unlisten?.();
    await this.options.store.leases.release(CONTROL_LEASE, this.options.holder).catch(() => undefined);
  }

  /**
   * One tick. `forSubmissions`: submissions asked for it, so reading the clusters waits (at most READ_DEFER_MS since
   * the last read): their answers (a controller's whole job list, a month of accounting) would slow the very submits
   * this tick is for, on the member's daemons as on ours.
   */
  async tick({ forSubmissions = false }: { forSubmissions?: boolean } = {}): Promise<TickReport> {
    const started = Date.now();
    const { store, holder } = this.options;
    const report = emptyReport();
    const epoch = await store.leases.acquire(CONTROL_LEASE, holder, this.leaseTtlMs);
    if (epoch === null) return { ...report, durationMs: Date.now() - started };
    report.leader = true;
    const lease = new LeaseKeeper(store, CONTROL_LEASE, holder, this.leaseTtlMs, epoch);
    const context = this.contextAt(this.options.clock());
    addCounts(report, this.late.take());

    // 1. Observe every cluster (inventory when due, withdrawals to settle, runs to follow, cancels to send). Each
    //    cluster's pass runs on its own, so a cluster that is slow to answer holds up neither the others nor this
    //    cycle: the tick waits for the passes at most `passBudgetMs`, and a pass still going then finishes later.
    //    Ticks that submissions ask for skip it (up to READ_DEFER_MS): the clusters' answers (a controller's whole job
    //    list) cost far more than placing the new jobs, and what they say can wait.
    const clusters = await store.federation.listClusters();
    if (this.due('observe', forSubmissions))
      await this.runPasses('observe', clusters, (cluster) => this.observeCluster(cluster));
    // Metering reads the engine's accounting (slurmdbd can take a second or more) and charging posts stored usage
    // to the ledger; nothing this tick decides needs either, so they run beside it, and at most once per interval
    // however often submissions nudge the loop.
    if (this.due('meter', forSubmissions))
      void this.runPasses('meter', clusters, (cluster) => this.meterCluster(cluster), 0);
    if (this.due('ledger'))
      void this.runOnce(
        'ledger',
        async () => ({ charged: await this.postToLedger(this.contextAt(this.options.clock())) }),
        0,
      );

    // 2. Decide, holding the lease: database work only.
    if (!(await lease.keep())) return this.finish(report, started);
    const byId = new Map((await store.federation.listClusters()).map((c) => [c.id, c]));
    for (const cluster of byId.values()) {
      if (!cluster.healthy) report.withdrawn += await withdrawFromUnhealthy(context, cluster);
    }
    await this.cancelUndispatched(context);
    Object.assign(report, await this.schedule(context, epoch));

    // 3. Hand admitted jobs to their clusters, each cluster on its own.
    await this.runPasses('dispatch', [...byId.values()], (cluster) => this.dispatchToCluster(cluster, lease));
    return this.finish(report, started);
  }

  /**
   * Whether work of this kind last started at least `intervalMs` ago, or READ_DEFER_MS when it is to wait for
   * submissions (and, if so, that it starts now).
   */
  private due(kind: string, waitForSubmissions = false): boolean {
    const now = Date.now();
    const gap = waitForSubmissions ? READ_DEFER_MS : this.intervalMs;
    if (now - (this.lastStarted.get(kind) ?? 0) < gap) return false;
    this.lastStarted.set(kind, now);
    return true;
  }

  private finish(report: TickReport, started: number): TickReport {
    addCounts(report, this.late.take());
    report.durationMs = Date.now() - started;
    this.options.onTick?.(report);
    return report;
  }

  private contextAt(now: Date): LoopContext {
    return {
      store: this.options.store,
      engines: this.options.engines,
      holder: this.options.holder,
      now,
      log: this.options.log,
      leaseTtlMs: this.leaseTtlMs,
    };
  }

  /**
   * Starts `work` for each cluster that has no pass of this kind in flight, and waits for them at most the pass
   * budget. Counts of a pass that finishes after the tick are added to the next tick's report.
   */
  private async runPasses(
    kind: 'observe' | 'meter' | 'dispatch',
    clusters: ClusterRecord[],
    work: (cluster: ClusterRecord) => Promise<Partial<TickReport>>,
    budgetMs = this.passBudgetMs,
  ): Promise<void> {
    const started: Promise<void>[] = [];
    for (const cluster of clusters) {
      const key = `${kind}:${cluster.id}`;
      if (this.inFlight.has(key)) continue;
      const pass = work(cluster)
        .then((counts) => this.late.add(counts))
        .catch((error: unknown) => this.options.log.error({ cluster: cluster.name, err: error }, `${kind} pass failed`))
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pass);
      started.push(pass);
    }
    if (started.length === 0 || budgetMs <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<void>((resolve) => (timer = setTimeout(resolve, budgetMs)));
    await Promise.race([Promise.all(started), budget]);
    clearTimeout(timer);
  }

  private async observeCluster(cluster: ClusterRecord): Promise<Partial<TickReport>> {
    // While a burst is being submitted to the cluster, reading its controller's whole job list would stall the
    // submits (slurmctld builds the list under its job read lock, and a submit waits for the write lock): follow it
    // once the burst is through, or after READ_DEFER_MS at the latest, so a steady stream cannot starve following.
    if (!this.readAllowed('observe', cluster)) return {};
    const started = Date.now();
    const context = this.contextAt(this.options.clock());
    const inventoryDue = Date.now() - (this.lastInventory.get(cluster.id) ?? 0) >= this.inventoryEveryMs;
    if (inventoryDue) {
      this.lastInventory.set(cluster.id, Date.now());
      cluster = (await this.refreshCluster(context, cluster)) ?? cluster;
    }
    // One that is unhealthy is left to the inventory refresh, which notices its return.
    const engine = cluster.healthy ? this.engineOrNull(context, cluster) : null;
    if (!engine) return {};
    try {
      await settleWithdrawals(context, cluster, engine);
      await recoverInDoubt(context, cluster, engine);
      const following = await context.store.jobs.inStates(['dispatched', 'running'], cluster.id);
      const finished = following.length > 0 ? await followCluster(context, cluster, engine, following) : 0;
      // After following: a run being stopped stays visible to the next scheduling cycle as stopping.
      await this.sendCancels(context, cluster, engine);
      if (following.length > 0) await this.pollSucceeded(context, cluster);
      this.spaceReads('observe', cluster, started);
      return { finished };
    } catch (error) {
      await this.pollFailed(context, cluster, error);
      return {};
    }
  }

  /**
   * Whether a read of this kind may start now: not before the spacing of the last one (READ_DUTY), and not while a
   * dispatch pass to the cluster is in flight, unless the last read started READ_DEFER_MS ago (and, if allowed,
   * notes that one starts now).
   */
  private readAllowed(kind: 'observe' | 'meter', cluster: ClusterRecord): boolean {
    const key = `${kind}:${cluster.id}`;
    const now = Date.now();
    if (now < (this.readNotBefore.get(key) ?? 0)) return false;
    const dispatching = this.inFlight.has(`dispatch:${cluster.id}`);
    if (dispatching && now - (this.lastRead.get(key) ?? 0) < READ_DEFER_MS) return false;
    this.lastRead.set(key, now);
    return true;
  }

  /** After a pass that succeeded (a failing one is retried at the interval, so a cluster's loss is seen in time). */
  private spaceReads(kind: 'observe' | 'meter', cluster: ClusterRecord, startedAt: number): void {
    const took = Date.now() - startedAt;
    const gap = took < SLOW_READ_MS ? 0 : Math.min(READ_DUTY * took, MAX_READ_GAP_MS);
    this.readNotBefore.set(`${kind}:${cluster.id}`, startedAt + gap);
  }

  private async meterCluster(cluster: ClusterRecord): Promise<Partial<TickReport>> {
    const context = this.contextAt(this.options.clock());
    const engine = cluster.healthy ? this.engineOrNull(context, cluster) : null;
    if (!engine || !this.readAllowed('meter', cluster)) return {};
    const started = Date.now();
    try {
      const metered = await meterCluster(context, cluster, engine);
      if (metered > 0) await this.pollSucceeded(context, cluster);
      this.spaceReads('meter', cluster, started);
      return { metered };
    } catch (error) {
      await this.pollFailed(context, cluster, error);
      return {};
    }
  }

  /**
   * Submits the cluster's admitted jobs, a few in flight at once: the engine's API answers concurrent requests, and
   * each job is claimed (a conditional update checking the lease) before its submit, so none goes twice. Jobs
   * admitted meanwhile (later ticks) are taken in the same pass, so a burst flows to the cluster without waiting
   * for this pass to end and the next to start.
   */
  private async dispatchToCluster(cluster: ClusterRecord, lease: LeaseKeeper): Promise<Partial<TickReport>> {
    let dispatched = 0;
    const tried = new Set<string>();
    const contextAt = () => this.contextAt(this.options.clock());
    const own = cluster.config.dispatchConcurrency;
    const options = {
      lease,
      // The cluster's own setting (checked when it was registered), else the loop's.
      concurrency: typeof own === 'number' && own >= 1 ? own : this.dispatchConcurrency,
      confirmations: new Confirmations(contextAt),
      stopped: () => this.stopped,
    };
    for (;;) {
      const admitted = (await this.options.store.jobs.inStates(['admitted'], cluster.id)).filter(
        (j) => !j.dispatchStartedAt && !tried.has(j.id),
      );
      if (admitted.length === 0 || this.stopped) return { dispatched };
      for (const job of admitted) tried.add(job.id);
      dispatched += await dispatchJobs(contextAt, admitted, cluster, options);
      if (!(await lease.keep())) return { dispatched };
    }
  }

  /**
   * Charges the usage stored so far (this tick's and any left from before a crash: the queue is in the database) and
   * returns expired vouchers' remainders to their pools. A failure is logged and retried next tick; the queue keeps
   * the records, so nothing is lost or charged twice.
   */
  private async postToLedger(context: LoopContext): Promise<number> {
    try {
      const source = this.options.subsidies;
      // The office's awarded rates are read each tick, so a decision applies from the next charge on.
      const subsidies = source && {
        ...source,
        options: { ...source.options, awardedRates: await context.store.ledger.awardedRates() },
      };
      const posting = await context.store.ledger.postPending({
        now: context.now,
        limit: LEDGER_BATCH,
        maxBatches: 10,
        subsidies,
        voucherProgrammes: this.options.voucherProgrammes,
        actor: 'control-loop',
      });
      for (const u of posting.unpriced) {
        context.log.warn({ usageRecord: u.usageRecordId, reason: u.reason }, 'usage not charged: no price in force');
      }
      await context.store.ledger.expireVouchers({ actor: 'control-loop', at: context.now });
      return posting.posted;
    } catch (error) {
      context.log.error({ err: error }, 'posting usage to the ledger failed; it stays queued');
      return 0;
    }
  }

  /** Runs `work` unless a run of it is in flight, waiting for it at most `budgetMs` (as runPasses). */
  private async runOnce(
    key: string,
    work: () => Promise<Partial<TickReport>>,
    budgetMs = this.passBudgetMs,
  ): Promise<void> {
    if (this.inFlight.has(key)) return;
    const run = work()
      .then((counts) => this.late.add(counts))
      .catch((error: unknown) => this.options.log.error({ err: error }, `${key} pass failed`))
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, run);
    if (budgetMs <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<void>((resolve) => (timer = setTimeout(resolve, budgetMs)));
    await Promise.race([run, budget]);
    clearTimeout(timer);
  }

  private engineOrNull(context: LoopContext, cluster: ClusterRecord): Engine | null {
    try {
      return context.engines.for(cluster);
    } catch (error) {
      context.log.warn({ cluster: cluster.name, err: error }, 'no engine for cluster');
      return null;
    }
  }

  /** Reads the cluster's inventory into the store; returns the cluster as it stands afterwards (health may change). */
  private async refreshCluster(context: LoopContext, cluster: ClusterRecord): Promise<ClusterRecord | null> {
    try {
      const engine = context.engines.for(cluster);
      const inventory = await engine.inventory();
      await context.store.federation.recordInventory(
        cluster.id,
        inventory.pools.map((p) => ({ id: `${cluster.id}:${p.name}`, ...p })),
        context.now,
      );
      await this.pollSucceeded(context, cluster);
    } catch (error) {
      await this.pollFailed(context, cluster, error);
    }
    return context.store.federation.getCluster(cluster.id);
  }

  private async pollSucceeded(context: LoopContext, cluster: ClusterRecord): Promise<void> {
    if ((this.failedPolls.get(cluster.id) ?? 0) === 0 && cluster.healthy) return;
    this.failedPolls.set(cluster.id, 0);
    await context.store.federation.setClusterHealth(cluster.id, true, null, 0);
    if (!cluster.healthy) context.log.info({ cluster: cluster.name }, 'cluster is healthy again');
  }

  private async pollFailed(context: LoopContext, cluster: ClusterRecord, error: unknown): Promise<void> {
    const failed = (this.failedPolls.get(cluster.id) ?? 0) + 1;
    this.failedPolls.set(cluster.id, failed);
    const message = error instanceof Error ? error.message : String(error);
    const unhealthy = failed >= (this.options.unhealthyAfter ?? 3);
    context.log.warn({ cluster: cluster.name, failed, err: message }, 'cluster poll failed');
    await context.store.federation.setClusterHealth(
      cluster.id,
      !unhealthy && cluster.healthy,
      unhealthy ? `${failed} polls failed; last: ${message}` : cluster.healthReason,
      failed,
    );
  }

  /** Cancellations that need no engine: jobs not yet handed to one, and preempted ones waiting to be requeued. */
  private async cancelUndispatched(context: LoopContext): Promise<void> {
    const { store, now, holder } = context;
    const change = { reason: 'cancelled at the user’s request', actor: holder, now };
    for (const job of await store.jobs.inStates(['pending', 'admitted', 'preempted'])) {
      if (!job.cancelRequested) continue;
      if (job.state === 'preempted') {
        await store.jobs.transition(job.id, 'preempted', 'pending', change);
      } else if (job.state === 'pending' || !job.dispatchStartedAt) {
        await store.jobs.transition(job.id, job.state, 'cancelled', { ...change, patch: { endedAt: now } });
      }
    }
  }

  /**
   * Asks the engine to stop runs whose cancellation was requested or that the scheduler preempts; follow.ts records
   * the outcome when the engine confirms. A request is repeated at most every 30 s. A preempted run gets what is
   * left of its grace period (counted from the preemption) to checkpoint before it is killed; a run cancelled by its
   * user gets the engine's own grace.
   */
  private async sendCancels(context: LoopContext, cluster: ClusterRecord, engine: Engine): Promise<void> {
    const { now } = context;
    const wanted = (await context.store.jobs.inStates(['dispatched', 'running'], cluster.id)).filter(
      (j) => j.engineJobId && (j.cancelRequested || j.preemptRequestedAt),
    );
    if (this.cancelDue.size > 10_000) {
      // Runs long ended: their cancels are not sent again.
      for (const [id, due] of this.cancelDue) if (due < now.getTime() - 3_600_000) this.cancelDue.delete(id);
    }
    for (const job of wanted) {
      if (now.getTime() < (this.cancelDue.get(job.id) ?? 0)) continue;
      const options = this.cancelOptions(job, now);
      try {
        await engine.cancel(job.engineJobId!, options);
        const grace = (options.graceSeconds ?? 0) * 1000;
        const again = grace > 0 ? Math.min(CANCEL_RESEND_MS, grace) : CANCEL_RESEND_MS;
        this.cancelDue.set(job.id, now.getTime() + again);
      } catch (error) {
        context.log.warn({ job: job.id, err: error }, 'cancel failed; will retry');
      }
    }
  }

  /** The cycle's holds, stored when they change so that a successor after a failover keeps them. */
  private async keepHolds(holds: CapacityHold[], holder: string): Promise<void> {
    const key = (list: CapacityHold[]) => JSON.stringify(list);
    if (key(holds) !== key(this.holds)) await this.options.store.holds.replace(holds, CONTROL_LEASE, holder);
    this.holds = holds;
  }

  /**
   * A preempted run gets what is left of the grace stored with its preemption (so a loop taking over after a
   * failover stops it when the one that decided it would have); the policy's default only for a preemption stored
   * before the grace was (migration 015).
   */
  private cancelOptions(job: StoredJob, now: Date): { graceSeconds?: number } {
    if (job.cancelRequested || !job.preemptRequestedAt) return {};
    const grace = job.preemptGraceSeconds ?? this.policyConfig.preemption.graceSeconds;
    const elapsed = Math.max(0, Math.floor((now.getTime() - job.preemptRequestedAt.getTime()) / 1000));
    return { graceSeconds: Math.max(0, grace - elapsed) };
  }

  private async schedule(context: LoopContext, epoch: number): Promise<{ admitted: number; preempted: number }> {
    const { store, now, holder } = context;
    if (this.holdsEpoch !== epoch) {
      this.holds = await store.holds.list();
      this.holdsEpoch = epoch;
    }
    const source = await buildSnapshot(store, now, this.policyConfig.fairShare.halfLifeHours);
    const { snapshot } = source;
    if (snapshot.pending.length === 0) {
      await this.keepHolds([], holder);
      return { admitted: 0, preempted: 0 };
    }
    const decisions = this.policy({ ...snapshot, holds: this.holds }, now);
    await this.keepHolds(decisions.holds ?? [], holder);
    const pending = new Map(source.pending.map((j): [string, StoredJob] => [j.id, j]));
    const admissions = [];
    const poolsById = new Map(snapshot.pools.map((p) => [p.poolId, p]));
    for (const placement of decisions.placements) {
      const job = pending.get(placement.jobId);
      if (!job) continue;
      const attempt = job.attempt + 1;
      const pool = poolsById.get(placement.poolId);
      const where = pool ? `${pool.clusterName}/${pool.poolName}` : placement.clusterId;
      admissions.push({
        id: job.id,
        clusterId: placement.clusterId,
        poolId: placement.poolId,
        nodeNames: placement.nodeNames,
        attempt,
        dispatchTag: `suanli-${job.id}-${attempt}`,
        reason: placement.queued
          ? `queued on ${where}: nothing is free now, and its own scheduler starts it when nodes free up`
          : `placed on ${where} (${placement.nodeNames.join(', ')})`,
      });
    }
    // One statement for the whole cycle: a burst of placements costs one round trip, not one each.
    const admitted = (await store.jobs.admitMany(admissions, holder, now)).length;
    const reasons = decisions.pending.filter(({ jobId, reason }) => pending.get(jobId)?.reason !== reason);
    await store.jobs.setPendingReasons(
      reasons.map(({ jobId, reason }) => ({ id: jobId, reason })),
      now,
    );
    let preempted = 0;
    const active = new Map(source.active.map((j): [string, StoredJob] => [j.id, j]));
    for (const { jobId, reason, forJobId, graceSeconds } of decisions.preemptions ?? []) {
      const job = active.get(jobId);
      if (!job || job.preemptRequestedAt || job.cancelRequested) continue;
      if (job.state === 'admitted' && !job.dispatchStartedAt) {
        // Not on an engine yet: withdraw the placement and let it wait again.
        await store.jobs.transition(job.id, 'admitted', 'pending', {
          reason: `placement withdrawn: ${reason}`,
          actor: holder,
          now,
          patch: { clusterId: null, poolId: null, nodeNames: [], dispatchStartedAt: null, engineJobId: null },
        });
      } else {
        await store.jobs.annotate(
          job.id,
          job.state,
          {
            preemptRequestedAt: now,
            preemptReason: reason,
            preemptFor: forJobId ?? null,
            // The grace this decision gave, stored so that any leader gives the same; whole seconds, rounded up so
            // that a policy's fraction never shortens it.
            preemptGraceSeconds: Math.max(0, Math.ceil(graceSeconds ?? this.policyConfig.preemption.graceSeconds)),
          },
          now,
        );
      }
      preempted++;
    }
    return { admitted, preempted };
  }
}
