/**
 * The scheduling cycle's boundary: a snapshot in, decisions out. The control plane builds the snapshot from the
 * store and applies the decisions; a policy sees nothing else, so it stays pure and replaceable.
 */
import type { JobSpec, NodeState } from '../domain.ts';

export interface SnapshotNode {
  name: string;
  accelerators: number;
  /** Accelerators not held by an active job, as the control plane counts them. */
  free: number;
  state: NodeState;
}

export interface SnapshotPool {
  clusterId: string;
  clusterName: string;
  providerId: string;
  providerName: string;
  /** The provider's region tags. */
  regions: string[];
  healthy: boolean;
  poolId: string;
  poolName: string;
  acceleratorModel: string;
  /** The price now; null when the pool has none. */
  fenPerAcceleratorHour: number | null;
  nodes: SnapshotNode[];
}

export interface SnapshotJob {
  id: string;
  tenantId: string;
  submittedAt: Date;
  spec: JobSpec;
}

export interface SchedulingSnapshot {
  pools: SnapshotPool[];
  /** Jobs waiting for placement. */
  pending: SnapshotJob[];
}

export interface Placement {
  jobId: string;
  clusterId: string;
  poolId: string;
  /** `spec.nodes` distinct nodes of the pool. */
  nodeNames: string[];
}

export interface PendingReason {
  jobId: string;
  /** One readable sentence for the user, naming the clusters and why each could not take the job. */
  reason: string;
}

export interface Decisions {
  placements: Placement[];
  pending: PendingReason[];
}

/** A scheduling policy: pure and deterministic (same snapshot and time, same decisions). */
export type SchedulingPolicy = (snapshot: SchedulingSnapshot, now: Date) => Decisions;

/** Why one pool cannot take one job. Ordered from most to least permanent; see filter.ts. */
export type RejectionKind = 'model' | 'region' | 'provider' | 'price' | 'too-small' | 'unhealthy' | 'busy';

export interface PoolRejection {
  /** "cluster/pool", as users know them. */
  pool: string;
  kind: RejectionKind;
  /** Short cause, without the pool's name, e.g. "Ascend-910B not accepted". */
  cause: string;
}
