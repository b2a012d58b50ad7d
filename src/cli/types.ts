/** The API's response shapes, as the CLI reads them (times are ISO-8601 strings or null). */
import type { JobState, PriorityClass, Role, TenantCategory } from '../core/domain.ts';
import type { JobSpecWire } from '../core/job-spec.ts';

export interface Whoami {
  id: string;
  name: string;
  role: Role;
  tenantId: string | null;
  providerId: string | null;
}

export interface JobView {
  id: string;
  name: string;
  project: string;
  tenantId: string;
  submittedBy: string;
  state: JobState;
  reason: string | null;
  priorityClass: PriorityClass;
  submittedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  exitCode: number | null;
  clusterId: string | null;
  clusterName: string | null;
  pool: string | null;
  nodes: string[];
  engineJobId: string | null;
  attempt: number;
  cancelRequested: boolean;
  spec: JobSpecWire;
}

export interface EventView {
  at: string;
  from: JobState | null;
  to: JobState;
  reason: string;
  actor: string;
}

export interface JobDetailView extends JobView {
  events: EventView[];
}

export interface PoolNodeView {
  name: string;
  accelerators: number;
  free: number;
  state: string;
}

export interface PoolView {
  id: string;
  name: string;
  acceleratorModel: string;
  domestic: boolean;
  accelerators: number;
  freeAccelerators: number;
  capacityP: string;
  fenPerAcceleratorHour: number | null;
  nodes: PoolNodeView[];
}

export interface ClusterView {
  id: string;
  name: string;
  engine: string;
  healthy: boolean;
  healthReason: string | null;
  provider: { id: string; name: string; city: string; regions: string[] };
  capacityP: string;
  accelerators: number;
  freeAccelerators: number;
  pools: PoolView[];
}

export interface UsageView {
  id: string;
  jobId: string;
  clusterId: string;
  poolId: string;
  engineJobId: string;
  acceleratorModel: string;
  acceleratorCount: number;
  startedAt: string;
  endedAt: string;
  elapsedSeconds: number;
  acceleratorSeconds: number;
  gflop: string;
  ph: string;
}

export interface UsageTotalView {
  tenantId: string;
  acceleratorModel: string;
  jobs: number;
  acceleratorSeconds: number;
  gflop: string;
  ph: string;
}

export interface List<T> {
  items: T[];
}

export interface UsageReport {
  items: UsageView[];
  totals: UsageTotalView[];
}

export interface ProviderView {
  id: string;
  name: string;
  city: string;
  regions: string[];
  ownerOrganisation: string;
  greenPowerBasisPoints: number;
}

export interface TenantView {
  id: string;
  name: string;
  category: TenantCategory;
  regions: string[];
  verified: boolean;
  organisation: string;
}

export interface ProjectView {
  id: string;
  tenantId: string;
  name: string;
}

/** A user as GET /users lists it (the same shape as whoami). */
export type UserView = Whoami;

export interface IssuedToken {
  userId: string;
  token: string;
  label: string;
}

export interface RevokedTokens {
  revoked: number;
}

/** A pool a cluster probe found (POST /clusters, with or without dryRun). */
export interface FoundPoolView {
  name: string;
  acceleratorModel: string;
  nodes: number;
  accelerators: number;
}

export interface ClusterProbeView {
  registered: boolean;
  pools: FoundPoolView[];
}

/** One version of a pool's price; validTo null while open-ended. */
export interface PriceView {
  fenPerAcceleratorHour: number;
  validFrom: string;
  validTo: string | null;
  createdBy: string;
}

/** GET /reconciliation: what the clusters' engines hold against what suanli recorded. */
export interface ReconciliationReport {
  checkedAt: string;
  clusters: Array<{ id: string; name: string; reachable: boolean; error?: string }>;
  items: Array<{
    kind: 'unknown-to-suanli' | 'stray-copy' | 'lost' | 'withdrawn' | 'untracked-active';
    clusterId: string;
    jobId: string | null;
    engineJobId: string | null;
    engineState: string | null;
    detail: string;
  }>;
}
