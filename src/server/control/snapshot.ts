/** Builds the scheduler's immutable snapshot from the store: what is free where, and who waits. */
import { ACTIVE_STATES } from '../../core/job-lifecycle.ts';
import type { SchedulingSnapshot, SnapshotPool } from '../../core/scheduler/index.ts';
import { parsePeriod, periodLabelAt } from '../../core/report-period.ts';
import type { Store, StoredJob } from '../../store/index.ts';

export interface SnapshotSource {
  snapshot: SchedulingSnapshot;
  /** Jobs holding accelerators. */
  active: StoredJob[];
  /** Jobs waiting for placement (cancellations excluded), as stored. */
  pending: StoredJob[];
}

/**
 * Fair share forgets old usage with this half-life unless the policy says otherwise (`fairShare.halfLifeHours`;
 * Slurm's PriorityDecayHalfLife defaults to 7 days).
 */
export const USAGE_HALF_LIFE_HOURS = 7 * 24;

/** The first instant of the calendar month containing `now` in China Standard Time, where quotas and reports count. */
export function monthStartCst(now: Date): Date {
  return new Date(parsePeriod('month', periodLabelAt('month', now)).fromMs);
}

/**
 * The accelerators a cluster lets wait in its engine's own queue (cluster configuration `queueAheadAccelerators`,
 * per pool; engines without a queue refuse the setting). 0 = suanli hands over only what fits now.
 */
export function queueAheadLimit(config: Record<string, unknown>): number {
  const value = config.queueAheadAccelerators;
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : 0;
}

/** Accelerators of jobs handed to a pool's own queue (no nodes chosen) and not yet seen on nodes, per pool. */
export function queuedAhead(active: StoredJob[]): Map<string, number> {
  const byPool = new Map<string, number>();
  for (const job of active) {
    if (!job.poolId || job.nodeNames.length > 0) continue;
    byPool.set(job.poolId, (byPool.get(job.poolId) ?? 0) + job.spec.acceleratorsPerNode * job.spec.nodes);
  }
  return byPool;
}

/** Accelerators held per pool and node by jobs that are admitted, dispatched or running. */
export function allocations(active: StoredJob[]): Map<string, Map<string, number>> {
  const byPool = new Map<string, Map<string, number>>();
  for (const job of active) {
    if (!job.poolId) continue;
    const nodes = byPool.get(job.poolId) ?? new Map<string, number>();
    for (const node of job.nodeNames) nodes.set(node, (nodes.get(node) ?? 0) + job.spec.acceleratorsPerNode);
    byPool.set(job.poolId, nodes);
  }
  return byPool;
}

export async function poolsWithFree(store: Store, now: Date, active: StoredJob[]): Promise<SnapshotPool[]> {
  const [pools, clusters, providers, prices] = await Promise.all([
    store.federation.listPools(),
    store.federation.listClusters(),
    store.federation.listProviders(),
    store.federation.pricesAt(now),
  ]);
  const clusterById = new Map(clusters.map((c) => [c.id, c]));
  const providerById = new Map(providers.map((p) => [p.id, p]));
  const held = allocations(active);
  const queued = queuedAhead(active);
  const result: SnapshotPool[] = [];
  for (const pool of pools) {
    const cluster = clusterById.get(pool.clusterId);
    if (!cluster) continue;
    const provider = providerById.get(cluster.providerId);
    const used = held.get(pool.id) ?? new Map<string, number>();
    const aheadLimit = queueAheadLimit(cluster.config);
    result.push({
      clusterId: cluster.id,
      clusterName: cluster.name,
      providerId: cluster.providerId,
      providerName: provider?.name ?? cluster.providerId,
      regions: provider?.regions ?? [],
      healthy: cluster.healthy,
      poolId: pool.id,
      poolName: pool.name,
      acceleratorModel: pool.acceleratorModel,
      fenPerAcceleratorHour: prices.get(pool.id) ?? null,
      greenPowerBasisPoints: provider?.greenPowerBasisPoints ?? 0,
      nodes: pool.nodes.map((n) => ({ ...n, free: Math.max(0, n.accelerators - (used.get(n.name) ?? 0)) })),
      ...(aheadLimit > 0 ? { queueAhead: { limit: aheadLimit, queued: queued.get(pool.id) ?? 0 } } : {}),
    });
  }
  return result;
}

export async function buildSnapshot(
  store: Store,
  now: Date,
  halfLifeHours = USAGE_HALF_LIFE_HOURS,
): Promise<SnapshotSource> {
  const monthStart = monthStartCst(now);
  const [active, waiting, tenants, usage, projectUsage] = await Promise.all([
    store.jobs.inStates([...ACTIVE_STATES]),
    store.jobs.inStates(['pending']),
    store.federation.listTenants(),
    store.usage.decayedByTenant(now, halfLifeHours, monthStart),
    store.usage.monthByProject(monthStart),
  ]);
  const pools = await poolsWithFree(store, now, active);
  const category = new Map(tenants.map((t) => [t.id, t.category]));
  // A tenant would rather run near home (the dedicated lines between cities differ in latency).
  const home = new Map(tenants.map((t) => [t.id, t.regions]));
  const modelOf = new Map(pools.map((p) => [p.poolId, p.acceleratorModel]));
  const pending = waiting.filter((j) => !j.cancelRequested);
  return {
    active,
    pending,
    snapshot: {
      pools,
      pending: pending.map((j) => ({
        id: j.id,
        tenantId: j.tenantId,
        tenantCategory: category.get(j.tenantId) ?? 'enterprise',
        projectId: j.projectId,
        preferredRegions: home.get(j.tenantId) ?? [],
        submittedAt: j.submittedAt,
        spec: j.spec,
      })),
      running: active
        .filter((j) => j.clusterId && j.poolId)
        .map((j) => ({
          jobId: j.id,
          tenantId: j.tenantId,
          tenantCategory: category.get(j.tenantId) ?? 'enterprise',
          projectId: j.projectId,
          priorityClass: j.spec.priorityClass,
          clusterId: j.clusterId!,
          poolId: j.poolId!,
          nodeNames: j.nodeNames,
          acceleratorsPerNode: j.spec.acceleratorsPerNode,
          acceleratorModel: modelOf.get(j.poolId!) ?? '',
          startedAt: j.startedAt,
          timeLimitSeconds: j.spec.timeLimitSeconds,
          stopRequested: j.preemptRequestedAt !== null || j.cancelRequested,
          ...(j.preemptFor && j.preemptRequestedAt ? { preemptedFor: j.preemptFor } : {}),
        })),
      usage,
      projectUsage,
    },
  };
}
