/**
 * The discrete-event engine: a virtual clock, an event heap, and a scheduling point per event time.
 *
 * Events: arrivals, completions, member-cluster failure and return (scripted). At each distinct event time the
 * engine applies every event of that time, then (if jobs wait) builds one SchedulingSnapshot, calls the policy
 * once and applies its decisions: preemptions first, then placements. A preempted job returns to the queue with
 * its history (original submit time, attempt count); its elapsed run time is lost work (no checkpoints), and it
 * runs its whole duration again when placed. Pure: no timers, no I/O; the same trace and policy give the same
 * result.
 *
 * Cost: O((events + placements) · log n) for the heap and O(pools + tenants) bookkeeping per event time; building
 * the snapshot is O(pending window + running + dirty pools' nodes). The policy's own cost comes on top.
 */
import type { PriorityClass, TenantCategory } from '../core/domain.ts';
import { TENANT_CATEGORIES } from '../core/domain.ts';
import { findAccelerator } from '../core/accelerators.ts';
import { gflopsOf } from '../core/compute.ts';
import { acceptedModels, canonicalModel } from '../core/scheduler/filter.ts';
import type {
  CapacityHold,
  Decisions,
  RunningAllocation,
  SchedulingPolicy,
  SchedulingSnapshot,
  SnapshotJob,
  SnapshotNode,
  SnapshotPool,
  TenantUsage,
} from '../core/scheduler/types.ts';
import { jainIndex, maxMinShares } from './fairness.ts';
import { EventHeap } from './heap.ts';
import type { ClusterOutage, SimTrace } from './model.ts';
import { jobGpus } from './model.ts';

export interface EngineOptions {
  /** Half-life of the decayed usage passed to the policy, seconds. Default 7 days. */
  halfLifeSeconds?: number;
  /** Scripted member-cluster failures. */
  outages?: readonly ClusterOutage[];
  /**
   * The snapshot's pending window: the `maxPending` oldest jobs, plus each tenant's `perTenantPending` oldest, plus
   * every strategic and every requeued job (each capped at `maxPending`). 0 = the whole queue. Default 0.
   */
  maxPending?: number;
  perTenantPending?: number;
  /**
   * Skip the policy at an event time with no arrivals when no pending job fits on any free node (a necessary
   * condition for any placement). Arrivals always get a cycle, so a preempting policy sees every new job. Default true.
   */
  skipWhenNothingFits?: boolean;
  /** Width of the utilisation time series' buckets, seconds. Default 3600. */
  bucketSeconds?: number;
  /** Reserved share of capacity per tenant category (0..1), for the "reserved share honoured" metric. */
  reserved?: Partial<Record<TenantCategory, number>>;
  /**
   * A job that started less than this many seconds ago is not preempted (Slurm's PreemptExemptTime); such
   * preemptions are ignored and counted in `preemptionsRefused`. Default 0.
   */
  preemptExemptSeconds?: number;
  /** Seconds a preempted job keeps running (to checkpoint) when the preemption names none. Default 0. */
  graceSeconds?: number;
  /** Stop after this virtual time (seconds); jobs not finished by then are reported as unfinished. */
  horizon?: number;
}

/** P per accelerator of a model outside the catalogue (openb G1/G2/G3): a V100-class 0.125 P. */
export const UNKNOWN_MODEL_P = 0.125;

export function pPerAccelerator(model: string): number {
  return findAccelerator(model) === undefined ? UNKNOWN_MODEL_P : Number(gflopsOf(model)) / 1e6;
}

export interface JobOutcome {
  id: string;
  tenantId: string;
  tenantCategory: TenantCategory;
  priorityClass: PriorityClass;
  gpus: number;
  submit: number;
  duration: number;
  /** NaN when never started. */
  firstStart: number;
  /** Start of the run that completed; NaN when unfinished. */
  lastStart: number;
  /** NaN when unfinished. */
  end: number;
  preemptions: number;
  /** Accelerator-seconds of runs stopped before completion (preemption or cluster failure). */
  lostAcceleratorSeconds: number;
  /** Pool of the completing run; '' when unfinished. */
  poolId: string;
  acceptsDomestic: boolean;
  /** Accelerator-seconds run on domestic chips (all runs, lost ones included). */
  domesticAcceleratorSeconds: number;
  acceleratorSeconds: number;
}

export interface SimResult {
  trace: string;
  policy: string;
  jobs: JobOutcome[];
  /** Virtual time of the last event. */
  makespan: number;
  capacityAccelerators: number;
  capacityP: number;
  /** Allocated accelerator-seconds / available accelerator-seconds (up clusters) over [0, makespan]. */
  busyAcceleratorSeconds: number;
  availableAcceleratorSeconds: number;
  bucketSeconds: number;
  /** Per bucket: allocated and available accelerator-seconds. */
  busySeries: number[];
  availableSeries: number[];
  /** Time-averaged free accelerators that no pending job can use (per node, by model and per-node count). */
  fragmentedAcceleratorSeconds: number;
  /** Σ Jain index × dt over the time at least two tenants had demand, and that time. */
  jainTimeWeighted: number;
  jainTime: number;
  /** Per reserved category: seconds it had demand, and seconds its reserve was honoured then. */
  reserved: Record<string, { share: number; demandSeconds: number; honouredSeconds: number }>;
  preemptions: number;
  preemptionsRefused: number;
  failureStops: number;
  invalidPlacements: number;
  schedulingPoints: number;
  /** Σ pending jobs passed to the policy over all cycles. */
  snapshotJobsTotal: number;
  maxPendingSeen: number;
  policyMs: number;
}

interface Event {
  time: number;
  seq: number;
  kind: 0 | 1 | 2 | 3 | 4; // arrival, completion, cluster down, cluster up, preemption takes effect
  job: number;
  attempt: number;
  cluster: number;
}

const ARRIVE = 0;
const COMPLETE = 1;
const DOWN = 2;
const UP = 3;
const STOP = 4;

export function simulate(
  trace: SimTrace,
  policyName: string,
  policy: SchedulingPolicy,
  options: EngineOptions = {},
): SimResult {
  const halfLife = options.halfLifeSeconds ?? 7 * 86400;
  const maxPending = options.maxPending ?? 0;
  const perTenantPending = options.perTenantPending ?? 4;
  const skipWhenNothingFits = options.skipWhenNothingFits ?? true;
  const bucket = options.bucketSeconds ?? 3600;
  const horizon = options.horizon ?? Infinity;
  const defaultGrace = options.graceSeconds ?? 0;
  const preemptExempt = options.preemptExemptSeconds ?? 0;
  const { jobs, pools } = trace;
  const J = jobs.length;

  // ---- federation: flattened nodes
  const clusterIds = [...new Set(pools.map((p) => p.clusterId))];
  const clusterIndex = new Map(clusterIds.map((c, i) => [c, i]));
  const clusterUp = clusterIds.map(() => true);
  const poolCluster = pools.map((p) => clusterIndex.get(p.clusterId) ?? 0);
  const poolP = pools.map((p) => pPerAccelerator(p.acceleratorModel));
  const poolDomestic = pools.map((p) => findAccelerator(p.acceleratorModel)?.domestic === true);
  const poolIndexById = new Map(pools.map((p, i) => [p.poolId, i]));
  const nodeStart: number[] = [];
  const nodeCap: number[] = [];
  const nodeNameIndex: Map<string, number>[] = [];
  let maxNodeCap = 0;
  for (const p of pools) {
    nodeStart.push(nodeCap.length);
    const names = new Map<string, number>();
    for (const n of p.nodes) {
      names.set(n.name, nodeCap.length);
      nodeCap.push(n.accelerators);
      maxNodeCap = Math.max(maxNodeCap, n.accelerators);
    }
    nodeNameIndex.push(names);
  }
  const nodeFree = Int32Array.from(nodeCap);
  const nodePool = new Int32Array(nodeCap.length);
  pools.forEach((p, pi) => p.nodes.forEach((_, k) => (nodePool[(nodeStart[pi] as number) + k] = pi)));
  const capacityAccelerators = nodeCap.reduce((a, b) => a + b, 0);
  const capacityP = pools.reduce(
    (s, p, i) => s + (poolP[i] as number) * p.nodes.reduce((t, n) => t + n.accelerators, 0),
    0,
  );
  const meanP = capacityAccelerators > 0 ? capacityP / capacityAccelerators : 0;
  // Free-count histogram per pool (up nodes only), for fragmentation in O(max node size).
  const H = maxNodeCap + 1;
  const freeHist = new Float64Array(pools.length * H);
  for (let n = 0; n < nodeCap.length; n++) freeHist[(nodePool[n] as number) * H + (nodeFree[n] as number)]!++;

  // ---- jobs: which pools accept each job (cached by accelerator requirement)
  const acceptCache = new Map<string, number[]>();
  const jobPools: number[][] = [];
  const jobAcceptsDomestic: boolean[] = [];
  for (const job of jobs) {
    const key = JSON.stringify(job.spec.accelerator);
    let list = acceptCache.get(key);
    if (list === undefined) {
      const accepted = acceptedModels(job.spec);
      list = pools.flatMap((p, i) =>
        accepted === null || accepted.has(canonicalModel(p.acceleratorModel)) ? [i] : [],
      );
      acceptCache.set(key, list);
    }
    jobPools.push(list);
    jobAcceptsDomestic.push(list.some((i) => poolDomestic[i]));
  }
  // Pending per-node demand per pool: pendingPer[pool * H + perNode] = pending jobs accepting the pool.
  const pendingPer = new Float64Array(pools.length * H);
  const trackPending = (j: number, delta: number): void => {
    const per = jobs[j]!.spec.acceleratorsPerNode;
    if (per >= H) return;
    for (const pi of jobPools[j]!) pendingPer[pi * H + per]! += delta;
  };

  // ---- tenants
  const tenantIds = [...new Set([...trace.tenants.map((t) => t.id), ...jobs.map((j) => j.tenantId)])];
  const tenantIndex = new Map(tenantIds.map((t, i) => [t, i]));
  const jobTenant = jobs.map((j) => tenantIndex.get(j.tenantId) ?? 0);
  const T = tenantIds.length;
  const heldP = new Float64Array(T);
  const pendingAcc = new Float64Array(T);
  const decayed = new Float64Array(T); // P·s at usageAt
  const monthPs = new Float64Array(T);
  let usageAt = 0;
  const ln2 = Math.LN2;
  const catIndex = new Map(TENANT_CATEGORIES.map((c, i) => [c, i]));
  const jobCat = jobs.map((j) => catIndex.get(j.tenantCategory) ?? 0);
  const catHeldP = new Float64Array(TENANT_CATEGORIES.length);
  const catPendingAcc = new Float64Array(TENANT_CATEGORIES.length);
  const reservedEntries = Object.entries(options.reserved ?? {}).filter(([, s]) => (s ?? 0) > 0) as [
    TenantCategory,
    number,
  ][];
  const reserved: SimResult['reserved'] = Object.fromEntries(
    reservedEntries.map(([c, share]) => [c, { share, demandSeconds: 0, honouredSeconds: 0 }]),
  );

  const monthOf = (t: number): number => {
    const d = new Date(trace.epochMs + t * 1000 + 8 * 3600_000); // Asia/Shanghai, UTC+8, no DST
    return d.getUTCFullYear() * 12 + d.getUTCMonth();
  };
  const monthStart = (t: number): number => {
    const d = new Date(trace.epochMs + t * 1000 + 8 * 3600_000);
    return (Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) - 8 * 3600_000 - trace.epochMs) / 1000;
  };
  let usageMonth = monthOf(0);
  /** Brings decayed and monthly usage to time t (rates are constant between calls). */
  const advanceUsage = (t: number): void => {
    const dt = t - usageAt;
    if (dt <= 0) return;
    const d = Math.pow(2, -dt / halfLife);
    const gain = (halfLife / ln2) * (1 - d);
    const month = monthOf(t);
    const since = month === usageMonth ? dt : Math.max(0, t - monthStart(t));
    for (let i = 0; i < T; i++) {
      decayed[i] = (decayed[i] as number) * d + (heldP[i] as number) * gain;
      monthPs[i] = (month === usageMonth ? (monthPs[i] as number) : 0) + (heldP[i] as number) * since;
    }
    usageMonth = month;
    usageAt = t;
  };

  // ---- job state
  const status = new Uint8Array(J); // 0 future, 1 pending, 2 running, 3 done
  const attempt = new Uint32Array(J);
  const startAt = new Float64Array(J);
  const firstStart = new Float64Array(J).fill(NaN);
  const endAt = new Float64Array(J).fill(NaN);
  const lastStart = new Float64Array(J).fill(NaN);
  const preemptCount = new Uint32Array(J);
  const lostAcc = new Float64Array(J);
  const domesticAcc = new Float64Array(J);
  const runAcc = new Float64Array(J);
  const jobPool = new Int32Array(J).fill(-1);
  const jobNodes: (number[] | null)[] = new Array<number[] | null>(J).fill(null);
  const jobIndex = new Map(jobs.map((j, i) => [j.id, i]));
  const snapshotJobs: SnapshotJob[] = jobs.map((j) => ({
    id: j.id,
    tenantId: j.tenantId,
    submittedAt: new Date(trace.epochMs + j.submit * 1000),
    spec: j.spec,
    tenantCategory: j.tenantCategory,
  }));
  const pending = new Map<number, SnapshotJob>();
  const pendingByTenant: Map<number, SnapshotJob>[] = [];
  const pendingStrategic = new Map<number, SnapshotJob>();
  const pendingRequeued = new Map<number, SnapshotJob>();
  const running = new Map<number, RunningAllocation>();
  let runningDirty = true;
  let runningArray: RunningAllocation[] = [];
  /** The running allocations by job id, kept so incrementally: the policy sorts its input that way (one pass if so). */
  const runningSorted: RunningAllocation[] = [];
  const sortedAt = (id: string): number => {
    let lo = 0;
    let hi = runningSorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (runningSorted[mid]!.jobId < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const setRunning = (j: number, alloc: RunningAllocation): void => {
    const at = sortedAt(alloc.jobId);
    if (running.has(j)) runningSorted[at] = alloc;
    else runningSorted.splice(at, 0, alloc);
    running.set(j, alloc);
  };
  /** The policy's holds from its last cycle, passed back as they were (what the control plane does). */
  let holds: CapacityHold[] = [];
  const poolDirty = pools.map(() => true);
  const poolSnap: SnapshotPool[] = new Array<SnapshotPool>(pools.length);
  let busyAcc = 0;

  // ---- metrics accumulators
  let busyAccSec = 0;
  let availAccSec = 0;
  let upAcc = capacityAccelerators;
  const busySeries: number[] = [];
  const availSeries: number[] = [];
  let fragAccSec = 0;
  let jainWeighted = 0;
  let jainTime = 0;
  let preemptions = 0;
  let preemptionsRefused = 0;
  let failureStops = 0;
  let invalidPlacements = 0;
  let schedulingPoints = 0;
  let snapshotJobsTotal = 0;
  let maxPendingSeen = 0;
  let policyMs = 0;
  // Values holding since the last event time.
  let lastT = 0;
  let curFrag = 0;
  let curJain = NaN;
  const curHonoured = new Map<string, boolean | null>();

  const addSeries = (series: number[], t0: number, t1: number, rate: number): void => {
    let t = t0;
    while (t < t1) {
      const b = Math.floor(t / bucket);
      const e = Math.min(t1, (b + 1) * bucket);
      while (series.length <= b) series.push(0);
      series[b]! += rate * (e - t);
      t = e;
    }
  };
  /** Integrates the state that held over [lastT, t). */
  const integrate = (t: number): void => {
    const dt = t - lastT;
    if (dt <= 0) return;
    busyAccSec += busyAcc * dt;
    availAccSec += upAcc * dt;
    addSeries(busySeries, lastT, t, busyAcc);
    addSeries(availSeries, lastT, t, upAcc);
    fragAccSec += curFrag * dt;
    if (!Number.isNaN(curJain)) {
      jainWeighted += curJain * dt;
      jainTime += dt;
    }
    for (const [c, honoured] of curHonoured) {
      const r = reserved[c];
      if (r === undefined || honoured === null) continue;
      r.demandSeconds += dt;
      if (honoured) r.honouredSeconds += dt;
    }
    lastT = t;
  };
  /** Recomputes the instantaneous metrics after the state changed at an event time. */
  const measure = (): void => {
    // Fragmentation: free accelerators on up nodes smaller than any pending job that accepts the pool needs per node.
    let frag = 0;
    if (pending.size > 0) {
      for (let pi = 0; pi < pools.length; pi++) {
        if (!clusterUp[poolCluster[pi] as number]) continue;
        let minPer = H;
        for (let per = 1; per < H; per++)
          if ((pendingPer[pi * H + per] as number) > 0) {
            minPer = per;
            break;
          }
        for (let f = 1; f < Math.min(minPer, H); f++) frag += f * (freeHist[pi * H + f] as number);
      }
    }
    curFrag = frag;
    // Jain's index over tenants with demand, against max-min fair entitlements of the up capacity.
    const upP = capacityP * (capacityAccelerators > 0 ? upAcc / capacityAccelerators : 0);
    const active: number[] = [];
    const demands: number[] = [];
    for (let i = 0; i < T; i++) {
      const d = (heldP[i] as number) + (pendingAcc[i] as number) * meanP;
      if (d > 1e-12) {
        active.push(i);
        demands.push(d);
      }
    }
    if (active.length >= 2) {
      const ent = maxMinShares(demands, upP);
      curJain = jainIndex(
        active.map((i, k) => ((ent[k] as number) > 0 ? (heldP[i] as number) / (ent[k] as number) : 0)),
      );
    } else curJain = NaN;
    for (const [c, share] of reservedEntries) {
      const ci = catIndex.get(c) ?? 0;
      const demand = (catHeldP[ci] as number) + (catPendingAcc[ci] as number) * meanP;
      const target = Math.min(demand, share * upP);
      curHonoured.set(c, demand <= 1e-12 ? null : (catHeldP[ci] as number) >= target - 0.005 * upP);
    }
  };

  const setFree = (n: number, value: number): void => {
    const pi = nodePool[n] as number;
    if (clusterUp[poolCluster[pi] as number]) {
      freeHist[pi * H + (nodeFree[n] as number)]!--;
      freeHist[pi * H + value]!++;
    }
    nodeFree[n] = value;
    poolDirty[pi] = true;
  };

  const heap = new EventHeap<Event>();
  let seq = 0;
  const push = (time: number, kind: Event['kind'], job: number, att: number, cluster: number): void => {
    heap.push({ time, seq: seq++, kind, job, attempt: att, cluster });
  };
  jobs.forEach((j, i) => push(j.submit, ARRIVE, i, 0, -1));
  for (const o of options.outages ?? []) {
    const ci = clusterIndex.get(o.clusterId);
    if (ci === undefined) throw new Error(`outage names unknown cluster ${o.clusterId}`);
    push(o.at, DOWN, -1, 0, ci);
    push(o.until, UP, -1, 0, ci);
  }

  for (let i = 0; i < T; i++) pendingByTenant.push(new Map());
  const enqueue = (j: number, requeued = false): void => {
    status[j] = 1;
    const sj = snapshotJobs[j]!;
    pending.set(j, sj);
    pendingByTenant[jobTenant[j] as number]!.set(j, sj);
    if (jobs[j]!.priorityClass === 'strategic') pendingStrategic.set(j, sj);
    if (requeued) pendingRequeued.set(j, sj);
    pendingAcc[jobTenant[j] as number]! += jobGpus(jobs[j]!);
    catPendingAcc[jobCat[j] as number]! += jobGpus(jobs[j]!);
    trackPending(j, 1);
  };
  const dequeue = (j: number): void => {
    pending.delete(j);
    pendingByTenant[jobTenant[j] as number]!.delete(j);
    pendingStrategic.delete(j);
    pendingRequeued.delete(j);
    pendingAcc[jobTenant[j] as number]! -= jobGpus(jobs[j]!);
    catPendingAcc[jobCat[j] as number]! -= jobGpus(jobs[j]!);
    trackPending(j, -1);
  };
  /** Releases a running job's nodes and accounts its run up to t. */
  const release = (j: number, t: number): number => {
    const job = jobs[j]!;
    const per = job.spec.acceleratorsPerNode;
    for (const n of jobNodes[j] ?? []) setFree(n, (nodeFree[n] as number) + per);
    const pi = jobPool[j] as number;
    const gpus = jobGpus(job);
    const accSec = (t - (startAt[j] as number)) * gpus;
    runAcc[j]! += accSec;
    if (poolDomestic[pi]) domesticAcc[j]! += accSec;
    busyAcc -= gpus;
    heldP[jobTenant[j] as number]! -= gpus * (poolP[pi] as number);
    catHeldP[jobCat[j] as number]! -= gpus * (poolP[pi] as number);
    if (running.delete(j)) runningSorted.splice(sortedAt(job.id), 1);
    runningDirty = true;
    jobNodes[j] = null;
    return accSec;
  };
  const stop = (j: number, t: number): void => {
    lostAcc[j]! += release(j, t);
    attempt[j]!++;
    jobPool[j] = -1;
    enqueue(j, true);
  };
  const start = (j: number, pi: number, nodes: number[], t: number): void => {
    const job = jobs[j]!;
    const per = job.spec.acceleratorsPerNode;
    for (const n of nodes) setFree(n, (nodeFree[n] as number) - per);
    dequeue(j);
    status[j] = 2;
    startAt[j] = t;
    if (Number.isNaN(firstStart[j] as number)) firstStart[j] = t;
    jobPool[j] = pi;
    jobNodes[j] = nodes;
    const gpus = jobGpus(job);
    busyAcc += gpus;
    heldP[jobTenant[j] as number]! += gpus * (poolP[pi] as number);
    catHeldP[jobCat[j] as number]! += gpus * (poolP[pi] as number);
    const pool = pools[pi]!;
    setRunning(j, {
      jobId: job.id,
      tenantId: job.tenantId,
      tenantCategory: job.tenantCategory,
      priorityClass: job.priorityClass,
      clusterId: pool.clusterId,
      poolId: pool.poolId,
      nodeNames: nodes.map((n) => pool.nodes[n - (nodeStart[pi] as number)]!.name),
      acceleratorsPerNode: per,
      acceleratorModel: pool.acceleratorModel,
      startedAt: new Date(trace.epochMs + t * 1000),
      timeLimitSeconds: job.spec.timeLimitSeconds,
    });
    runningDirty = true;
    push(t + job.duration, COMPLETE, j, attempt[j] as number, -1);
  };

  const snapshotPool = (pi: number): SnapshotPool => {
    const p = pools[pi]!;
    const up = clusterUp[poolCluster[pi] as number] as boolean;
    const base = nodeStart[pi] as number;
    const nodes: SnapshotNode[] = p.nodes.map((n, k) => {
      const free = nodeFree[base + k] as number;
      return {
        name: n.name,
        accelerators: n.accelerators,
        free,
        state: !up ? 'down' : free === n.accelerators ? 'idle' : free === 0 ? 'allocated' : 'mixed',
      };
    });
    return {
      clusterId: p.clusterId,
      clusterName: p.clusterName,
      providerId: p.providerId,
      providerName: p.providerName,
      regions: p.regions,
      healthy: up,
      poolId: p.poolId,
      poolName: p.poolName,
      acceleratorModel: p.acceleratorModel,
      fenPerAcceleratorHour: p.fenPerAcceleratorHour,
      nodes,
    };
  };

  const take = (from: Map<number, SnapshotJob>, n: number, into: Map<number, SnapshotJob>): void => {
    let k = 0;
    for (const [j, sj] of from) {
      if (k++ >= n) break;
      into.set(j, sj);
    }
  };
  const pendingWindow = (): SnapshotJob[] => {
    if (maxPending <= 0 || pending.size <= maxPending) return [...pending.values()];
    // Maps keep arrival order; requeued jobs (older submit times, appended late) are added explicitly.
    const window = new Map<number, SnapshotJob>();
    take(pending, maxPending, window);
    for (const m of pendingByTenant) take(m, perTenantPending, window);
    take(pendingStrategic, maxPending, window);
    take(pendingRequeued, maxPending, window);
    // Jobs the policy holds capacity for must stay in view, or their holds lapse.
    for (const h of holds) {
      const j = jobIndex.get(h.jobId);
      const sj = j === undefined ? undefined : pending.get(j);
      if (sj !== undefined) window.set(j as number, sj);
    }
    return [...window.values()].sort(
      (a, b) => a.submittedAt.getTime() - b.submittedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
  };
  /** Whether some pending job fits on some free up node (per node count and model; gangs may still not fit). */
  const somethingFits = (): boolean => {
    for (let pi = 0; pi < pools.length; pi++) {
      if (!clusterUp[poolCluster[pi] as number]) continue;
      let maxFree = 0;
      for (let f = H - 1; f > 0; f--)
        if ((freeHist[pi * H + f] as number) > 0) {
          maxFree = f;
          break;
        }
      for (let per = 1; per <= maxFree; per++) if ((pendingPer[pi * H + per] as number) > 0) return true;
    }
    return false;
  };

  const schedule = (t: number): boolean => {
    schedulingPoints++;
    maxPendingSeen = Math.max(maxPendingSeen, pending.size);
    const window = pendingWindow();
    snapshotJobsTotal += window.length;
    for (let pi = 0; pi < pools.length; pi++)
      if (poolDirty[pi]) {
        poolSnap[pi] = snapshotPool(pi);
        poolDirty[pi] = false;
      }
    if (runningDirty) {
      runningArray = [...runningSorted];
      runningDirty = false;
    }
    advanceUsage(t);
    const usage: TenantUsage[] = [];
    for (let i = 0; i < T; i++)
      if ((decayed[i] as number) > 0 || (monthPs[i] as number) > 0)
        usage.push({
          tenantId: tenantIds[i]!,
          decayedPh: (decayed[i] as number) / 3600,
          monthPh: (monthPs[i] as number) / 3600,
        });
    const snapshot: SchedulingSnapshot = {
      pools: [...poolSnap],
      pending: window,
      running: runningArray,
      usage,
      holds,
    };
    const t0 = performance.now();
    const decisions: Decisions = policy(snapshot, new Date(trace.epochMs + t * 1000));
    policyMs += performance.now() - t0;
    holds = decisions.holds ?? [];
    let preempted = false;
    for (const p of decisions.preemptions ?? []) {
      const j = jobIndex.get(p.jobId);
      const alloc = j === undefined ? undefined : running.get(j);
      if (j === undefined || alloc === undefined || alloc.stopRequested === true) continue;
      if (t - (startAt[j] as number) < preemptExempt) {
        preemptionsRefused++;
        continue;
      }
      preemptCount[j]!++;
      preemptions++;
      const grace = p.graceSeconds ?? defaultGrace;
      if (grace > 0) {
        // It keeps its accelerators while it checkpoints; the policy sees it as stopping.
        setRunning(j, {
          ...alloc,
          stopRequested: true,
          ...(p.forJobId === undefined ? {} : { preemptedFor: p.forJobId }),
        });
        runningDirty = true;
        push(t + grace, STOP, j, attempt[j] as number, -1);
      } else {
        stop(j, t);
        preempted = true;
      }
    }
    for (const pl of decisions.placements) {
      const j = jobIndex.get(pl.jobId);
      const pi = poolIndexById.get(pl.poolId);
      if (j === undefined || pi === undefined || status[j] !== 1 || !clusterUp[poolCluster[pi] as number]) {
        invalidPlacements++;
        continue;
      }
      const spec = jobs[j]!.spec;
      const nodes = pl.nodeNames.map((name) => nodeNameIndex[pi]!.get(name) ?? -1);
      const ok =
        jobPools[j]!.includes(pi) &&
        nodes.length === spec.nodes &&
        new Set(nodes).size === nodes.length &&
        nodes.every((n) => n >= 0 && (nodeFree[n] as number) >= spec.acceleratorsPerNode);
      if (!ok) {
        invalidPlacements++;
        continue;
      }
      start(j, pi, nodes, t);
    }
    return preempted;
  };

  // ---- the loop
  let now = 0;
  while (heap.size > 0) {
    const t = heap.peek()!.time;
    if (t > horizon) break;
    integrate(t);
    now = t;
    let needSchedule = false;
    let arrived = false;
    while (heap.size > 0 && heap.peek()!.time === t) {
      const e = heap.pop()!;
      switch (e.kind) {
        case ARRIVE:
          enqueue(e.job);
          needSchedule = true;
          arrived = true;
          break;
        case COMPLETE: {
          if (status[e.job] !== 2 || attempt[e.job] !== e.attempt) break; // stale: the run was stopped
          advanceUsage(t);
          release(e.job, t);
          status[e.job] = 3;
          endAt[e.job] = t;
          lastStart[e.job] = startAt[e.job] as number;
          needSchedule = true;
          break;
        }
        case STOP: {
          if (status[e.job] !== 2 || attempt[e.job] !== e.attempt) break; // it completed first
          advanceUsage(t);
          stop(e.job, t);
          needSchedule = true;
          break;
        }
        case DOWN: {
          if (!clusterUp[e.cluster]) break;
          advanceUsage(t);
          for (const j of [...running.keys()]) {
            if (poolCluster[jobPool[j] as number] !== e.cluster) continue;
            stop(j, t);
            failureStops++;
          }
          pools.forEach((p, pi) => {
            if (poolCluster[pi] !== e.cluster) return;
            for (let k = 0; k < p.nodes.length; k++)
              freeHist[pi * H + (nodeFree[(nodeStart[pi] as number) + k] as number)]!--;
            upAcc -= p.nodes.reduce((s, n) => s + n.accelerators, 0);
            poolDirty[pi] = true;
          });
          clusterUp[e.cluster] = false;
          needSchedule = true;
          break;
        }
        case UP: {
          if (clusterUp[e.cluster]) break;
          clusterUp[e.cluster] = true;
          pools.forEach((p, pi) => {
            if (poolCluster[pi] !== e.cluster) return;
            for (let k = 0; k < p.nodes.length; k++)
              freeHist[pi * H + (nodeFree[(nodeStart[pi] as number) + k] as number)]!++;
            upAcc += p.nodes.reduce((s, n) => s + n.accelerators, 0);
            poolDirty[pi] = true;
          });
          needSchedule = true;
          break;
        }
      }
    }
    if (needSchedule && pending.size > 0 && (arrived || !skipWhenNothingFits || somethingFits())) {
      advanceUsage(t);
      // A cycle that preempted gets one more right away, so freed accelerators need not wait for the next event.
      if (schedule(t) && pending.size > 0) schedule(t);
    }
    measure();
  }
  const makespan = now;
  integrate(makespan);

  const outcomes: JobOutcome[] = jobs.map((job, j) => ({
    id: job.id,
    tenantId: job.tenantId,
    tenantCategory: job.tenantCategory,
    priorityClass: job.priorityClass,
    gpus: jobGpus(job),
    submit: job.submit,
    duration: job.duration,
    firstStart: firstStart[j] as number,
    lastStart: lastStart[j] as number,
    end: endAt[j] as number,
    preemptions: preemptCount[j] as number,
    lostAcceleratorSeconds: lostAcc[j] as number,
    poolId: status[j] === 3 ? pools[jobPool[j] as number]!.poolId : '',
    acceptsDomestic: jobAcceptsDomestic[j] as boolean,
    domesticAcceleratorSeconds: domesticAcc[j] as number,
    acceleratorSeconds: runAcc[j] as number,
  }));
  return {
    trace: trace.name,
    policy: policyName,
    jobs: outcomes,
    makespan,
    capacityAccelerators,
    capacityP,
    busyAcceleratorSeconds: busyAccSec,
    availableAcceleratorSeconds: availAccSec,
    bucketSeconds: bucket,
    busySeries,
    availableSeries: availSeries,
    fragmentedAcceleratorSeconds: fragAccSec,
    jainTimeWeighted: jainWeighted,
    jainTime,
    reserved,
    preemptions,
    preemptionsRefused,
    failureStops,
    invalidPlacements,
    schedulingPoints,
    snapshotJobsTotal,
    maxPendingSeen,
    policyMs,
  };
}
