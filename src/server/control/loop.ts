/**
 * The control loop: while this process holds the lease, each tick
 *   1. refreshes member clusters' inventory and health,
 *   2. carries out cancellation requests,
 *   3. runs a scheduling cycle over an immutable snapshot (`decide`, the pure core) and admits its placements,
 *   4. dispatches admitted jobs to their engines ("assume, then bind": the placement is stored before the submit),
 *   5. follows dispatched jobs' states and turns finished runs' engine accounting into usage records.
 * Several server processes may run this loop over one database; the lease lets one act at a time, and every state
 * change is conditional on the state it expects, so even a stale holder cannot move a job twice.
 */
import { decide, type CapacityHold, type SchedulingPolicy } from '../../core/scheduler/index.ts';
import type { Engine } from '../../engines/engine.ts';
import type { Store, StoredJob } from '../../store/index.ts';
import type { ClusterRecord } from '../../store/federation.ts';
import type { EngineRegistry } from '../engines.ts';
import { buildSnapshot } from './snapshot.ts';
import { dispatchJob, recoverInDoubt } from './dispatch.ts';
import { followCluster } from './follow.ts';
import { meterCluster } from './meter.ts';
import type { SubsidySource } from '../../store/ledger/index.ts';
import type { VoucherProgramme } from '../../core/money/programmes/types.ts';
import { settleWithdrawals, withdrawFromUnhealthy } from './withdraw.ts';

export const CONTROL_LEASE = 'control-loop';

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
  /** The scheduling policy; the core's `decide` unless a test or the simulator swaps it. */
  policy?: SchedulingPolicy;
  /** Called after each tick that acted (tests and metrics hook in here). */
  onTick?: (report: TickReport) => void;
  /** The subsidy programmes and their evaluator; without them usage is charged and vouchers applied, no subsidy. */
  subsidies?: SubsidySource;
  /** Voucher programmes whose terms limit what their vouchers pay. */
  voucherProgrammes?: readonly VoucherProgramme[];
}

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
  private lastInventory = 0;
  private stopped = false;
  private readonly failedPolls = new Map<string, number>();
  private readonly cancelSent = new Map<string, number>();
  /**
   * Capacity the last cycle held for jobs that preemptions make room for, handed back to the next cycle. Kept in
   * memory: after a restart or failover it is rebuilt from the stopping victims' `preempt_for`.
   */
  private holds: CapacityHold[] = [];
  readonly intervalMs: number;
  readonly leaseTtlMs: number;

  constructor(private readonly options: ControlLoopOptions) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.leaseTtlMs = options.leaseTtlMs ?? 15_000;
  }

  start(): void {
    this.stopped = false;
    const loop = async () => {
      if (this.stopped) return;
      this.running = this.tick().catch((error: unknown) =>
        this.options.log.error({ err: error }, 'control loop tick failed'),
      );
      await this.running;
      if (!this.stopped) this.timer = setTimeout(loop, this.intervalMs);
    };
    this.timer = setTimeout(loop, 0);
  }

  /** Stops ticking, waits for a tick in flight and gives the lease up so another process can take over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.options.store.leases.release(CONTROL_LEASE, this.options.holder).catch(() => undefined);
  }

  async tick(): Promise<TickReport> {
    const started = Date.now();
    const { store, holder } = this.options;
    const report: TickReport = {
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
    const epoch = await store.leases.acquire(CONTROL_LEASE, holder, this.leaseTtlMs);
    if (epoch === null) return { ...report, durationMs: Date.now() - started };
    report.leader = true;
    const context: LoopContext = {
      store,
      engines: this.options.engines,
      holder,
      now: this.options.clock(),
      log: this.options.log,
      leaseTtlMs: this.leaseTtlMs,
    };
    const clusters = await store.federation.listClusters();
    const inventoryEvery = this.options.inventoryEveryMs ?? 30_000;
    if (started - this.lastInventory >= inventoryEvery) {
      await this.refreshInventory(context, clusters);
      this.lastInventory = started;
    }
    const byId = new Map((await store.federation.listClusters()).map((c) => [c.id, c]));
    for (const cluster of byId.values()) {
      if (!cluster.healthy) {
        report.withdrawn += await withdrawFromUnhealthy(context, cluster);
        continue;
      }
      const engine = this.engineOrNull(context, cluster);
      if (!engine) continue;
      try {
        await settleWithdrawals(context, cluster, engine);
      } catch (error) {
        await this.pollFailed(context, cluster, error);
      }
    }
    await this.carryOutCancellations(context, byId);
    Object.assign(report, await this.schedule(context));
    await recoverInDoubt(context, byId);
    for (const job of await store.jobs.inStates(['admitted'])) {
      const cluster = job.clusterId ? byId.get(job.clusterId) : undefined;
      if (job.dispatchStartedAt || !cluster) continue;
      if (await dispatchJob(context, job, cluster)) report.dispatched++;
    }
    const following = await store.jobs.inStates(['dispatched', 'running']);
    // Clusters are followed and metered side by side, so one that is slow to fail does not hold up the others. One
    // that is already unhealthy is left to the inventory refresh, which notices its return.
    const passes = await Promise.all(
      [...byId.values()].map(async (cluster) => {
        const jobs = following.filter((j) => j.clusterId === cluster.id);
        const engine = cluster.healthy ? this.engineOrNull(context, cluster) : null;
        if (!engine) return { finished: 0, metered: 0 };
        try {
          const finished = jobs.length > 0 ? await followCluster(context, cluster, engine, jobs) : 0;
          const metered = await meterCluster(context, cluster, engine);
          if (jobs.length > 0 || metered > 0) await this.pollSucceeded(context, cluster);
          return { finished, metered };
        } catch (error) {
          await this.pollFailed(context, cluster, error);
          return { finished: 0, metered: 0 };
        }
      }),
    );
    for (const pass of passes) {
      report.finished += pass.finished;
      report.metered += pass.metered;
    }
    report.charged = await this.postToLedger(context);
    report.durationMs = Date.now() - started;
    this.options.onTick?.(report);
    return report;
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
        limit: 1000,
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

  private engineOrNull(context: LoopContext, cluster: ClusterRecord): Engine | null {
    try {
      return context.engines.for(cluster);
    } catch (error) {
      context.log.warn({ cluster: cluster.name, err: error }, 'no engine for cluster');
      return null;
    }
  }

  private async refreshInventory(context: LoopContext, clusters: ClusterRecord[]): Promise<void> {
    await Promise.all(clusters.map((cluster) => this.refreshCluster(context, cluster)));
  }

  private async refreshCluster(context: LoopContext, cluster: ClusterRecord): Promise<void> {
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

  private async carryOutCancellations(context: LoopContext, clusters: Map<string, ClusterRecord>): Promise<void> {
    const { store, now, holder } = context;
    const wanted = (await store.jobs.inStates(['pending', 'admitted', 'dispatched', 'running', 'preempted'])).filter(
      (j) => j.cancelRequested || (j.preemptRequestedAt && (j.state === 'dispatched' || j.state === 'running')),
    );
    for (const job of wanted) {
      const change = { reason: 'cancelled at the user’s request', actor: holder, now };
      if (!job.cancelRequested) {
        // A preemption in progress: stop the run; follow.ts returns the job to the queue when the engine confirms.
      } else if (job.state === 'pending' || (job.state === 'admitted' && !job.dispatchStartedAt)) {
        await store.jobs.transition(job.id, job.state, 'cancelled', { ...change, patch: { endedAt: now } });
        continue;
      }
      if (job.state === 'preempted') {
        await store.jobs.transition(job.id, 'preempted', 'pending', change);
        continue;
      }
      const cluster = job.clusterId ? clusters.get(job.clusterId) : undefined;
      const sentAt = this.cancelSent.get(job.id) ?? 0;
      if (!cluster?.healthy || !job.engineJobId || now.getTime() - sentAt < 30_000) continue;
      try {
        await context.engines.for(cluster).cancel(job.engineJobId);
        this.cancelSent.set(job.id, now.getTime());
      } catch (error) {
        context.log.warn({ job: job.id, err: error }, 'cancel failed; will retry');
      }
    }
  }

  private async schedule(context: LoopContext): Promise<{ admitted: number; preempted: number }> {
    const { store, now, holder } = context;
    const source = await buildSnapshot(store, now);
    const { snapshot } = source;
    if (snapshot.pending.length === 0) {
      this.holds = [];
      return { admitted: 0, preempted: 0 };
    }
    const decisions = (this.options.policy ?? decide)({ ...snapshot, holds: this.holds }, now);
    this.holds = decisions.holds ?? [];
    const pending = new Map(source.pending.map((j): [string, StoredJob] => [j.id, j]));
    let admitted = 0;
    for (const placement of decisions.placements) {
      const job = pending.get(placement.jobId);
      if (!job) continue;
      const attempt = job.attempt + 1;
      const pool = snapshot.pools.find((p) => p.poolId === placement.poolId);
      const moved = await store.jobs.transition(job.id, 'pending', 'admitted', {
        reason: `placed on ${pool ? `${pool.clusterName}/${pool.poolName}` : placement.clusterId} (${placement.nodeNames.join(', ')})`,
        actor: holder,
        now,
        patch: {
          clusterId: placement.clusterId,
          poolId: placement.poolId,
          nodeNames: placement.nodeNames,
          attempt,
          dispatchTag: `suanli-${job.id}-${attempt}`,
          dispatchStartedAt: null,
          engineJobId: null,
        },
      });
      if (moved) admitted++;
    }
    for (const { jobId, reason } of decisions.pending) {
      if (pending.get(jobId)?.reason !== reason) await store.jobs.annotate(jobId, 'pending', { reason }, now);
    }
    let preempted = 0;
    const active = new Map(source.active.map((j): [string, StoredJob] => [j.id, j]));
    for (const { jobId, reason, forJobId } of decisions.preemptions ?? []) {
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
          { preemptRequestedAt: now, preemptReason: reason, preemptFor: forJobId ?? null },
          now,
        );
      }
      preempted++;
    }
    return { admitted, preempted };
  }
}
