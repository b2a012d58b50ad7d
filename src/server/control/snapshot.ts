/** Builds the scheduler's immutable snapshot from the store: what is free where, and who waits. */
import { ACTIVE_STATES } from '../../core/job-lifecycle.ts';
import type { SchedulingSnapshot, SnapshotPool } from '../../core/scheduler/index.ts';
import type { Store, StoredJob } from '../../store/index.ts';

export interface SnapshotSource {
  snapshot: SchedulingSnapshot;
  /** Active jobs by pool id, for the views that show free capacity. */
  active: StoredJob[];
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
  const result: SnapshotPool[] = [];
  for (const pool of pools) {
    const cluster = clusterById.get(pool.clusterId);
    if (!cluster) continue;
    const provider = providerById.get(cluster.providerId);
    const used = held.get(pool.id) ?? new Map<string, number>();
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
      nodes: pool.nodes.map((n) => ({ ...n, free: Math.max(0, n.accelerators - (used.get(n.name) ?? 0)) })),
    });
  }
  return result;
}

export async function buildSnapshot(store: Store, now: Date): Promise<SnapshotSource> {
  const [active, pending] = await Promise.all([
    store.jobs.inStates([...ACTIVE_STATES]),
    store.jobs.inStates(['pending']),
  ]);
  const pools = await poolsWithFree(store, now, active);
  return {
    active,
    snapshot: {
      pools,
      pending: pending
        .filter((j) => !j.cancelRequested)
        .map((j) => ({ id: j.id, tenantId: j.tenantId, submittedAt: j.submittedAt, spec: j.spec })),
    },
  };
}
