/** The functions that fill the API's response shapes (schemas.ts) from the store's records. */
import type { Static } from '@sinclair/typebox';
import { findAccelerator } from '../core/accelerators.ts';
import { capacityP, formatPh } from '../core/compute.ts';
import type { JobEvent, Provider } from '../core/domain.ts';
import { toWireSpec } from '../core/job-spec.ts';
import type { ClusterRecord } from '../store/federation.ts';
import type { StoredJob } from '../store/index.ts';
import type { UsageTotal } from '../store/usage.ts';
import type { UsageRecord } from '../core/domain.ts';
import type { ClusterViewSchema, JobSchema, PoolViewSchema, UsageTotalSchema, UsageViewSchema } from './schemas.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export type JobView = Static<typeof JobSchema>;

export function jobView(
  job: StoredJob,
  names: { clusters: Map<string, string>; pools: Map<string, string> },
  events?: JobEvent[],
): JobView {
  return {
    id: job.id,
    name: job.spec.name,
    project: job.projectName,
    tenantId: job.tenantId,
    submittedBy: job.submittedBy,
    state: job.state,
    reason: job.reason,
    priorityClass: job.spec.priorityClass,
    submittedAt: job.submittedAt.toISOString(),
    startedAt: iso(job.startedAt),
    endedAt: iso(job.endedAt),
    exitCode: job.exitCode,
    clusterId: job.clusterId,
    clusterName: job.clusterId ? (names.clusters.get(job.clusterId) ?? job.clusterId) : null,
    pool: job.poolId ? (names.pools.get(job.poolId) ?? job.poolId) : null,
    nodes: job.nodeNames,
    engineJobId: job.engineJobId,
    attempt: job.attempt,
    cancelRequested: job.cancelRequested,
    spec: toWireSpec(job.spec),
    ...(events
      ? {
          events: events.map((e) => ({
            at: e.at.toISOString(),
            from: e.from,
            to: e.to,
            reason: e.reason,
            actor: e.actor,
          })),
        }
      : {}),
  };
}

export type ClusterView = Static<typeof ClusterViewSchema>;
export type PoolView = Static<typeof PoolViewSchema>;

export function poolView(
  pool: {
    id: string;
    name: string;
    acceleratorModel: string;
    nodes: Array<{ name: string; accelerators: number; free: number; state: string }>;
  },
  price: number | null,
): PoolView {
  const accelerators = pool.nodes.reduce((sum, n) => sum + n.accelerators, 0);
  const spec = findAccelerator(pool.acceleratorModel);
  return {
    id: pool.id,
    name: pool.name,
    acceleratorModel: pool.acceleratorModel,
    domestic: spec?.domestic ?? false,
    accelerators,
    freeAccelerators: pool.nodes.reduce((sum, n) => sum + n.free, 0),
    capacityP: spec ? capacityP(spec.model, accelerators) : '0',
    fenPerAcceleratorHour: price,
    nodes: pool.nodes,
  };
}

export function clusterView(cluster: ClusterRecord, provider: Provider | undefined, pools: PoolView[]): ClusterView {
  return {
    id: cluster.id,
    name: cluster.name,
    engine: cluster.engine,
    healthy: cluster.healthy,
    healthReason: cluster.healthReason,
    provider: {
      id: cluster.providerId,
      name: provider?.name ?? cluster.providerId,
      city: provider?.city ?? '',
      regions: provider?.regions ?? [],
    },
    capacityP: sumDecimal(pools.map((p) => p.capacityP)),
    accelerators: pools.reduce((s, p) => s + p.accelerators, 0),
    freeAccelerators: pools.reduce((s, p) => s + p.freeAccelerators, 0),
    pools,
  };
}

/** Adds exact decimal strings (capacities) without floating point. */
function sumDecimal(values: string[]): string {
  const scale = Math.max(0, ...values.map((v) => (v.split('.')[1] ?? '').length));
  const total = values.reduce((sum, v) => {
    const [whole = '0', fraction = ''] = v.split('.');
    return sum + BigInt(whole + fraction.padEnd(scale, '0'));
  }, 0n);
  if (scale === 0) return total.toString();
  const digits = total.toString().padStart(scale + 1, '0');
  const result = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`.replace(/\.?0+$/, '');
  return result === '' ? '0' : result;
}

export function usageView(r: UsageRecord): Static<typeof UsageViewSchema> {
  return {
    id: r.id,
    jobId: r.jobId,
    clusterId: r.clusterId,
    poolId: r.poolId,
    engineJobId: r.engineJobId,
    acceleratorModel: r.acceleratorModel,
    acceleratorCount: r.acceleratorCount,
    startedAt: r.startedAt.toISOString(),
    endedAt: r.endedAt.toISOString(),
    elapsedSeconds: r.elapsedSeconds,
    acceleratorSeconds: r.acceleratorSeconds,
    gflop: r.gflop.toString(),
    ph: formatPh(r.gflop),
    outcome: r.outcome,
  };
}

export function usageTotalView(t: UsageTotal): Static<typeof UsageTotalSchema> {
  return { ...t, gflop: t.gflop.toString(), ph: formatPh(t.gflop) };
}
