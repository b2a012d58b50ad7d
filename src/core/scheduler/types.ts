/**
 * The scheduling cycle's boundary: a snapshot in, decisions out. The control plane builds the snapshot from the
 * store and applies the decisions; a policy sees nothing else, so it stays pure and replaceable.
 */
import type { JobSpec, NodeState, PriorityClass, TenantCategory } from '../domain.ts';

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
  /** The provider's share of green power, basis points (0..10000); absent = unknown. */
  greenPowerBasisPoints?: number;
  nodes: SnapshotNode[];
}

export interface SnapshotJob {
  id: string;
  tenantId: string;
  submittedAt: Date;
  spec: JobSpec;
  /** For reserved shares and reports; absent = 'enterprise'. */
  tenantCategory?: TenantCategory;
  projectId?: string;
  /** Region tags this job would rather run in (e.g. the tenant's own, for latency); a soft preference. */
  preferredRegions?: string[];
}

/** A job that holds accelerators now (admitted, dispatched or running): what preemption and backfill reason about. */
export interface RunningAllocation {
  jobId: string;
  tenantId: string;
  tenantCategory?: TenantCategory;
  projectId?: string;
  priorityClass: PriorityClass;
  clusterId: string;
  poolId: string;
  nodeNames: string[];
  acceleratorsPerNode: number;
  acceleratorModel: string;
  /** When it started running; null while admitted or dispatched but not started. */
  startedAt: Date | null;
  timeLimitSeconds: number;
  /** A preemption was already decided and the job is stopping: its accelerators free soon, never pick it again. */
  stopRequested?: boolean;
}

/** A tenant's past use, for fair share and quotas. */
export interface TenantUsage {
  tenantId: string;
  /** Normalised usage in P·h with exponential decay applied by the caller (see the policy's half-life). */
  decayedPh: number;
  /** Normalised usage in P·h in the current calendar month (Asia/Shanghai), for monthly quotas. */
  monthPh?: number;
}

/** A project's use this calendar month, for project quotas. */
export interface ProjectUsage {
  projectId: string;
  /** Normalised usage in P·h in the current calendar month (Asia/Shanghai). */
  monthPh: number;
}

export interface SchedulingSnapshot {
  pools: SnapshotPool[];
  /** Jobs waiting for placement. */
  pending: SnapshotJob[];
  /** Jobs holding accelerators; pools' `free` counts already exclude them. Absent = none known. */
  running?: RunningAllocation[];
  usage?: TenantUsage[];
  projectUsage?: ProjectUsage[];
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

/** A running job to stop so that others can run; it returns to the queue with its history. */
export interface Preemption {
  jobId: string;
  reason: string;
  /** Seconds the job gets to checkpoint and stop before it is killed; absent = the engine's default. */
  graceSeconds?: number;
}

export interface Decisions {
  placements: Placement[];
  pending: PendingReason[];
  /** Absent or empty for policies that never preempt. */
  preemptions?: Preemption[];
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
