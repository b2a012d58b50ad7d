/**
 * First come, first served, first fit: a baseline (the control plane's first policy, before suanli.ts). Each job,
 * oldest first, goes to the first pool (by cluster and pool name) that can take it now; one that does not fit holds
 * up nobody, so large jobs can starve. The simulator's strict FIFO (src/sim/policies.ts) is built on it, and the
 * other policies share its pool and job order (`comparePools`, `compareJobs`).
 */
import type {
  Decisions,
  PendingReason,
  Placement,
  PoolRejection,
  SchedulingSnapshot,
  SnapshotJob,
  SnapshotPool,
} from './types.ts';
import { acceptedModels, busyRejection, checkPool, compareStrings, pendingReason, pickNodes } from './filter.ts';

export function comparePools(a: SnapshotPool, b: SnapshotPool): number {
  return (
    compareStrings(a.clusterName, b.clusterName) ||
    compareStrings(a.poolName, b.poolName) ||
    compareStrings(a.clusterId, b.clusterId) ||
    compareStrings(a.poolId, b.poolId)
  );
}

export function compareJobs(a: SnapshotJob, b: SnapshotJob): number {
  return a.submittedAt.getTime() - b.submittedAt.getTime() || compareStrings(a.id, b.id);
}

export function fcfs(snapshot: SchedulingSnapshot, _now: Date): Decisions {
  const pools = [...snapshot.pools].sort(comparePools).map((pool) => ({
    pool,
    // Free accelerators per node for this cycle; placements below take from it.
    free: new Map(pool.nodes.map((n) => [n.name, Math.max(0, Math.min(n.free, n.accelerators))])),
  }));
  const placements: Placement[] = [];
  const pending: PendingReason[] = [];

  for (const job of [...snapshot.pending].sort(compareJobs)) {
    const { spec } = job;
    const accepted = acceptedModels(spec);
    const rejections: PoolRejection[] = [];
    let placed = false;
    for (const { pool, free } of pools) {
      const rejection = checkPool(spec, accepted, pool);
      if (rejection) {
        rejections.push(rejection);
        continue;
      }
      const nodeNames = pickNodes(pool.nodes, free, spec.acceleratorsPerNode, spec.nodes);
      if (nodeNames === null) {
        rejections.push(busyRejection(pool, free, spec.acceleratorsPerNode, spec.nodes));
        continue;
      }
      for (const name of nodeNames) free.set(name, (free.get(name) ?? 0) - spec.acceleratorsPerNode);
      placements.push({ jobId: job.id, clusterId: pool.clusterId, poolId: pool.poolId, nodeNames });
      placed = true;
      break;
    }
    // A job that does not fit does not hold up later ones. That can starve large jobs behind a stream of small
    // ones; the policy scheduler adds reservations and backfill to prevent it.
    if (!placed) pending.push({ jobId: job.id, reason: pendingReason(rejections) });
  }
  return { placements, pending };
}
