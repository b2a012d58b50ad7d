/**
 * The simulator's input, independent of the trace it came from: a federation of pools and a list of rigid jobs.
 * Times are seconds from the trace start (the virtual clock); `epochMs` anchors them to dates for the policy.
 */
import type { JobSpec, PriorityClass, TenantCategory } from '../core/domain.ts';

export interface SimNode {
  name: string;
  accelerators: number;
}

export interface SimPool {
  clusterId: string;
  clusterName: string;
  providerId: string;
  providerName: string;
  regions: string[];
  poolId: string;
  poolName: string;
  /** A catalogue model where the trace's model maps to one; otherwise the trace's own label (e.g. openb "G2"). */
  acceleratorModel: string;
  fenPerAcceleratorHour: number | null;
  nodes: SimNode[];
}

export interface SimTenant {
  id: string;
  category: TenantCategory;
}

export interface SimJob {
  id: string;
  tenantId: string;
  tenantCategory: TenantCategory;
  priorityClass: PriorityClass;
  /** Arrival, seconds from the trace start. */
  submit: number;
  /** Run time when it runs uninterrupted, seconds. */
  duration: number;
  spec: JobSpec;
}

/** A scripted member-cluster failure: the cluster goes down at `at` and returns at `until`. */
export interface ClusterOutage {
  clusterId: string;
  at: number;
  until: number;
}

export interface SimTrace {
  name: string;
  /** Unix ms of virtual time 0. */
  epochMs: number;
  pools: SimPool[];
  tenants: SimTenant[];
  /** Sorted by (submit, id). */
  jobs: SimJob[];
  /** What a reader chose and why, for the report (layout, mappings). */
  notes: string[];
}

export function jobGpus(job: SimJob): number {
  return job.spec.nodes * job.spec.acceleratorsPerNode;
}

/** Trace jobs carry a placeholder command: the simulator never runs them. */
export function traceJobSpec(
  name: string,
  project: string,
  perNode: number,
  nodes: number,
  timeLimitSeconds: number,
  priorityClass: PriorityClass,
  accelerator: JobSpec['accelerator'],
): JobSpec {
  return {
    apiVersion: 'suanli.io/v1',
    kind: 'Job',
    name,
    project,
    accelerator,
    acceleratorsPerNode: perNode,
    nodes,
    timeLimitSeconds,
    command: ['trace-replay'],
    env: {},
    priorityClass,
    constraints: {},
  };
}

/** The trace duration rounded up to whole minutes (at least one): the time limit a careful user would declare. */
export function timeLimitFor(durationSeconds: number): number {
  return Math.max(60, Math.ceil(durationSeconds / 60) * 60);
}
