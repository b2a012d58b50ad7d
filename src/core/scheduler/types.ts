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
  /**
   * Accelerators of jobs the pool's own engine may hold in its queue (Slurm does), beyond what is free now, and how
   * many such queued jobs' accelerators it holds already. Absent or 0 = the pool takes only what fits now.
   */
  queueAhead?: { limit: number; queued: number };
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
  /**
   * While stopping: the pending job it was preempted for (the decision's `Preemption.forJobId`). Its accelerators go
   * to that job only, as long as it waits.
   */
  preemptedFor?: string;
}

/**
 * Capacity a preemption freed (or is freeing) for one pending job: the nodes its gang will use, kept for it ahead of
 * every other job until it is placed, leaves the queue, the hold breaks (another holder or a node down) or it
 * expires (`preemption.holdSeconds` after `since`). The policy returns its holds in `Decisions.holds`; the control
 * plane passes the last cycle's holds back in `SchedulingSnapshot.holds` as they were.
 */
export interface CapacityHold {
  /** The pending job the capacity is kept for. */
  jobId: string;
  poolId: string;
  /** The gang's nodes (`spec.nodes` of them), `acceleratorsPerNode` held on each. */
  nodeNames: string[];
  acceleratorsPerNode: number;
  /** When the preemption that made the hold was decided. */
  since: Date;
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
  /** The holds the previous cycle returned (`Decisions.holds`); absent = none. */
  holds?: CapacityHold[];
}

export interface Placement {
  jobId: string;
  clusterId: string;
  poolId: string;
  /** `spec.nodes` distinct nodes of the pool; empty when `queued`. */
  nodeNames: string[];
  /** Nothing fits now: the job waits in the pool's own queue (`SnapshotPool.queueAhead`), and its engine picks nodes. */
  queued?: boolean;
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
  /** The pending job it is stopped for; the control plane reports it back as `RunningAllocation.preemptedFor`. */
  forJobId?: string;
}

export interface Decisions {
  placements: Placement[];
  pending: PendingReason[];
  /** Absent or empty for policies that never preempt. */
  preemptions?: Preemption[];
  /** Capacity kept for jobs that preemptions are making room for; pass it back in the next snapshot's `holds`. */
  holds?: CapacityHold[];
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
