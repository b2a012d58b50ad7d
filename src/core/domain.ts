/**
 * The platform's domain types. Pure data: no behaviour that needs I/O, no clocks.
 * Times are passed in as `Date` values by the caller (the injected clock lives in the adapters).
 */

export const TENANT_CATEGORIES = ['enterprise', 'startup', 'university', 'research-institute', 'government'] as const;
export type TenantCategory = (typeof TENANT_CATEGORIES)[number];

export const ROLES = ['operator', 'provider-admin', 'tenant-admin', 'tenant-member'] as const;
export type Role = (typeof ROLES)[number];

export const ENGINE_KINDS = ['local', 'slurm', 'kubernetes'] as const;
export type EngineKind = (typeof ENGINE_KINDS)[number];

export const PRIORITY_CLASSES = ['strategic', 'normal', 'best-effort'] as const;
export type PriorityClass = (typeof PRIORITY_CLASSES)[number];

/** A computing centre, company or institute that connects its clusters. */
export interface Provider {
  id: string;
  name: string;
  /** City, e.g. "Hefei", "Wuhu", "Suzhou (Anhui)". */
  city: string;
  /** Region tags, e.g. ["anhui", "wanbei"]. Policy rules match on these. */
  regions: string[];
  /** The organisation that owns the provider; a tenant with the same owner uses self-built compute. */
  ownerOrganisation: string;
  /** Share of green power, in basis points (0..10000). */
  greenPowerBasisPoints: number;
}

export interface Cluster {
  id: string;
  providerId: string;
  name: string;
  engine: EngineKind;
  healthy: boolean;
}

export const NODE_STATES = ['idle', 'mixed', 'allocated', 'down', 'drained'] as const;
export type NodeState = (typeof NODE_STATES)[number];

export interface PoolNode {
  name: string;
  /** Accelerators this node has in all. */
  accelerators: number;
  state: NodeState;
}

/** A pool (a Slurm partition, a Kubernetes node group) of nodes with one accelerator model. */
export interface Pool {
  id: string;
  clusterId: string;
  /** The name the engine knows, e.g. the Slurm partition. */
  name: string;
  acceleratorModel: string;
  nodes: PoolNode[];
}

/** A price for one pool, in fen per accelerator-hour, valid in [validFrom, validTo). */
export interface PoolPrice {
  poolId: string;
  fenPerAcceleratorHour: number;
  validFrom: Date;
  validTo: Date | null;
}

export interface Tenant {
  id: string;
  name: string;
  category: TenantCategory;
  /** Registration region tags, e.g. ["anhui", "wanbei"]. */
  regions: string[];
  verified: boolean;
  /** The organisation behind the tenant (matches Provider.ownerOrganisation for self-built compute). */
  organisation: string;
}

export interface Project {
  id: string;
  tenantId: string;
  name: string;
  /** Where the project runs, e.g. "wanbei" (皖北): regional programmes raise their rates by it. Set by the operator. */
  regions?: string[];
}

export interface User {
  id: string;
  name: string;
  role: Role;
  /** Set for tenant-admin and tenant-member. */
  tenantId: string | null;
  /** Set for provider-admin. */
  providerId: string | null;
}

/** What a job asks of its accelerators. Empty = any accelerator. */
export interface AcceleratorRequirement {
  /** Exactly this model. */
  model?: string;
  /** Any of these models. */
  anyOf?: string[];
  /** At least this much accelerator memory. */
  minMemoryGiB?: number;
  /** Domestic (Chinese-made) accelerators only. */
  domesticOnly?: boolean;
}

export interface JobConstraints {
  /** Run only at providers carrying one of these region tags. */
  regions?: string[];
  /** Run only at these providers (ids or names). */
  providers?: string[];
  /** Highest acceptable price, fen per accelerator-hour. */
  maxFenPerAcceleratorHour?: number;
}

/** A job spec after parsing and validation (see job-spec.ts for the wire format). */
export interface JobSpec {
  apiVersion: 'suanli.io/v1';
  kind: 'Job';
  name: string;
  project: string;
  accelerator: AcceleratorRequirement;
  acceleratorsPerNode: number;
  nodes: number;
  timeLimitSeconds: number;
  /** argv; exactly one of command and script is set. */
  command?: string[];
  /** A shell script run with /bin/sh. */
  script?: string;
  image?: string;
  env: Record<string, string>;
  priorityClass: PriorityClass;
  constraints: JobConstraints;
}

export const JOB_STATES = [
  'pending',
  'admitted',
  'dispatched',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'preempted',
  'dispatch-failed',
  'lost',
] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface Job {
  id: string;
  tenantId: string;
  projectId: string;
  submittedBy: string;
  spec: JobSpec;
  state: JobState;
  submittedAt: Date;
  /** Why the job is where it is, for people: a pending reason, a failure reason. */
  reason: string | null;
  /** Set once placed. */
  clusterId: string | null;
  poolId: string | null;
  /** Nodes chosen at placement (names in the pool). */
  nodeNames: string[];
  /** The tag that identifies this dispatch attempt to the engine; derived from the job id and attempt. */
  dispatchTag: string | null;
  engineJobId: string | null;
  attempt: number;
  startedAt: Date | null;
  endedAt: Date | null;
  exitCode: number | null;
  cancelRequested: boolean;
}

/** One stored state change. */
export interface JobEvent {
  jobId: string;
  at: Date;
  from: JobState | null;
  to: JobState;
  reason: string;
  actor: string;
}

/**
 * How a run ended on its engine, as the control plane saw it when it followed the run to its end. Unlike the job's
 * state it keeps a time-out apart from a failure, and a run preempted for another job apart from the job's own end.
 */
export const RUN_OUTCOMES = ['succeeded', 'failed', 'timeout', 'cancelled', 'preempted'] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

/**
 * Accelerator time one run used, as the engine accounted it. Stored once per (cluster, engine job id).
 * `gflop` = acceleratorSeconds × the model's dense FP16/BF16 GFLOPS: an exact integer from which P·h is derived
 * (1 P·h = 3.6e9 GFLOP), so normalised usage is never rounded in storage.
 */
export interface UsageRecord {
  id: string;
  jobId: string;
  tenantId: string;
  projectId: string;
  clusterId: string;
  poolId: string;
  engineJobId: string;
  acceleratorModel: string;
  acceleratorCount: number;
  startedAt: Date;
  endedAt: Date;
  elapsedSeconds: number;
  acceleratorSeconds: number;
  gflop: bigint;
  /** How the run ended; null for runs metered before outcomes were kept. */
  outcome: RunOutcome | null;
}
