/** Builders shared by the scheduler-*.test.ts files. */
import type { JobSpec, NodeState, PriorityClass, TenantCategory } from '../../src/core/domain.ts';
import type {
  Decisions,
  RunningAllocation,
  SnapshotJob,
  SnapshotNode,
  SnapshotPool,
} from '../../src/core/scheduler/index.ts';

export const NOW = new Date('2025-06-01T08:00:00Z');
export const HOUR = 3_600_000;

export function spec(overrides: Partial<JobSpec> = {}): JobSpec {
  return {
    apiVersion: 'suanli.io/v1',
    kind: 'Job',
    name: 'job',
    project: 'vision',
    accelerator: {},
    acceleratorsPerNode: 1,
    nodes: 1,
    timeLimitSeconds: 600,
    command: ['true'],
    env: {},
    priorityClass: 'normal',
    constraints: {},
    ...overrides,
  };
}

export function node(name: string, accelerators = 8, free = accelerators, state: NodeState = 'idle'): SnapshotNode {
  return { name, accelerators, free, state };
}

export function pool(
  clusterName: string,
  poolName: string,
  overrides: Partial<SnapshotPool> = {},
  nodes: SnapshotNode[] = [node('n1')],
): SnapshotPool {
  return {
    clusterId: `c-${clusterName}`,
    clusterName,
    providerId: `prov-${clusterName}`,
    providerName: `${clusterName}-aicc`,
    regions: ['anhui'],
    healthy: true,
    poolId: `p-${clusterName}-${poolName}`,
    poolName,
    acceleratorModel: 'A100-80GB',
    fenPerAcceleratorHour: 1000,
    nodes,
    ...overrides,
  };
}

export interface JobExtras {
  tenantId?: string;
  tenantCategory?: TenantCategory;
  projectId?: string;
  preferredRegions?: string[];
  /** Minutes before NOW it was submitted (default 60). */
  waitedMinutes?: number;
}

export function job(id: string, overrides: Partial<JobSpec> = {}, extras: JobExtras = {}): SnapshotJob {
  const { waitedMinutes = 60, tenantId = 't1', ...rest } = extras;
  return {
    id,
    tenantId,
    submittedAt: new Date(NOW.getTime() - waitedMinutes * 60_000),
    spec: spec(overrides),
    ...rest,
  };
}

export function running(
  jobId: string,
  p: SnapshotPool,
  nodeNames: string[],
  acceleratorsPerNode: number,
  opts: {
    startedMinutesAgo?: number;
    timeLimitMinutes?: number;
    priorityClass?: PriorityClass;
    tenantId?: string;
    tenantCategory?: TenantCategory;
    stopRequested?: boolean;
  } = {},
): RunningAllocation {
  const { startedMinutesAgo = 10, timeLimitMinutes = 60, priorityClass = 'normal', tenantId = 't-run' } = opts;
  return {
    jobId,
    tenantId,
    ...(opts.tenantCategory === undefined ? {} : { tenantCategory: opts.tenantCategory }),
    ...(opts.stopRequested === undefined ? {} : { stopRequested: opts.stopRequested }),
    priorityClass,
    clusterId: p.clusterId,
    poolId: p.poolId,
    nodeNames,
    acceleratorsPerNode,
    acceleratorModel: p.acceleratorModel,
    startedAt: new Date(NOW.getTime() - startedMinutesAgo * 60_000),
    timeLimitSeconds: timeLimitMinutes * 60,
  };
}

export function placed(d: Decisions): string[] {
  return d.placements.map((p) => p.jobId);
}

export function reasonFor(d: Decisions, jobId: string): string {
  const found = d.pending.find((p) => p.jobId === jobId);
  if (!found) throw new Error(`${jobId} is not pending: ${JSON.stringify(d)}`);
  return found.reason;
}
