/**
 * The suanli policy's knobs: plain data an operator can keep in a file and change without touching code.
 * Every default below names the policy text it comes from, or says plainly that it is our own choice
 * (docs/scheduling.md has the full table). Capacity is counted in P (PFLOPS of dense FP16/BF16, see compute.ts).
 */
import type { PriorityClass, TenantCategory } from '../domain.ts';

export interface PriorityConfig {
  /** Base points per class; a higher band is served first. */
  base: Record<PriorityClass, number>;
  /** Points a waiting job gains per hour waited, so nothing starves. */
  agingPointsPerHour: number;
  /** Most points aging may add; null = no cap (a job that waits long enough reaches the top). */
  maxAgingPoints: number | null;
  /**
   * Points per band. Jobs are ordered by band first, and within a band by reserved-share entitlement and fair share;
   * so aging promotes a job one class per `bandPoints / agingPointsPerHour` hours.
   */
  bandPoints: number;
}

/** One tenant category's reserved share (Kueue's nominal quota and lending limit, in P). */
export interface ReservedShare {
  /** Reserved P; when absent, `basisPoints` of the federation's usable capacity. */
  p?: number;
  /** Share of usable capacity in basis points (0..10000), used when `p` is absent. */
  basisPoints?: number;
  /** How much of the idle reserve others may borrow, basis points of the reserve (10000 = all of it). */
  lendingLimitBasisPoints: number;
}

export interface Quota {
  /** P held at once (running and placed). */
  concurrentP?: number;
  /** P·h used in the calendar month; once reached, no new job starts until the month turns. */
  monthlyPh?: number;
}

export interface PreemptionConfig {
  enabled: boolean;
  /** Seconds a victim gets to checkpoint and stop; passed on with each preemption. */
  graceSeconds: number;
  /** Which running classes each pending class may preempt when it cannot otherwise start. */
  mayPreempt: Partial<Record<PriorityClass, PriorityClass[]>>;
  /** Reserved-share reclaim may preempt borrowers of these classes. */
  reclaimMayPreempt: PriorityClass[];
  /** The per-cycle bound on preemption (strategic and reclaim together): jobs and P. */
  maxJobsPerCycle: number;
  maxPPerCycle: number;
  /**
   * A job that started less than this many seconds ago is never a victim (Slurm's PreemptExemptTime); a job admitted
   * but not started counts as just started.
   */
  minRuntimeSeconds: number;
  /** How long capacity freed by a preemption stays held for the job it was freed for (see CapacityHold). */
  holdSeconds: number;
}

export interface ScoringConfig {
  /** Weights of the placement costs, each cost in [0, 1]; the lowest weighted sum wins. */
  priceWeight: number;
  regionWeight: number;
  greenWeight: number;
  fragmentationWeight: number;
  /** Region tags preferred for every job (a job's own `preferredRegions` add to these). */
  preferredRegions: string[];
}

export interface PolicyConfig {
  priority: PriorityConfig;
  /** Reserved shares by tenant category; categories not listed share the rest. */
  reserved: Partial<Record<TenantCategory, ReservedShare>>;
  /** Share of placed work (P) routed to domestic accelerators when a job accepts them, basis points. */
  domesticFloorBasisPoints: number;
  quotas: {
    /** Applies to every tenant without its own entry. */
    defaultTenant: Quota;
    tenants: Record<string, Quota>;
    /** By project id (or the spec's project name when the snapshot carries no id). */
    projects: Record<string, Quota>;
  };
  fairShare: {
    enabled: boolean;
    /** Relative entitlement per tenant id within its class; absent tenants get `defaultWeight`. */
    weights: Record<string, number>;
    defaultWeight: number;
    /** For the caller that fills `usage[].decayedPh`: the half-life of the decay. Not read by the policy. */
    halfLifeHours: number;
  };
  scoring: ScoringConfig;
  preemption: PreemptionConfig;
  backfill: {
    enabled: boolean;
    /** When busy accelerators have no known running job, assume they free after this long (reservations). */
    unknownRuntimeSeconds: number;
  };
}

export const DEFAULT_POLICY: PolicyConfig = {
  // 优先满足我省通用大模型迭代升级的算力需求 (002, 三(一)2): strategic large-model work is served first.
  priority: {
    base: { strategic: 2000, normal: 1000, 'best-effort': 0 },
    // Our choice: one class step per 20 h of waiting.
    agingPointsPerHour: 50,
    maxAgingPoints: null,
    bandPoints: 1000,
  },
  // 预留部分算力支持初创企业发展、科研机构研发以及高校院所人才培养 (002, 三(一)2). The text gives no figure;
  // 5% each is our choice, all of it lendable while idle (Kueue's default lendingLimit: unlimited).
  reserved: {
    startup: { basisPoints: 500, lendingLimitBasisPoints: 10_000 },
    'research-institute': { basisPoints: 500, lendingLimitBasisPoints: 10_000 },
    university: { basisPoints: 500, lendingLimitBasisPoints: 10_000 },
  },
  // 预留规划建设算力的10%用于招引新兴国产算力企业 (002, 三(五)1).
  domesticFloorBasisPoints: 1000,
  quotas: { defaultTenant: {}, tenants: {}, projects: {} },
  // Our choice; the half-life matches Slurm's PriorityDecayHalfLife default (7 days).
  fairShare: { enabled: true, weights: {}, defaultWeight: 1, halfLifeHours: 168 },
  // 政府统筹和市场化结合 (002): price matters most; 绿电直供智算中心 (003 items 23-25): greener sites are preferred.
  scoring: { priceWeight: 0.4, regionWeight: 0.2, greenWeight: 0.1, fragmentationWeight: 0.3, preferredRegions: [] },
  preemption: {
    enabled: true,
    // Our choice: five minutes to checkpoint.
    graceSeconds: 300,
    mayPreempt: { strategic: ['best-effort', 'normal'] },
    reclaimMayPreempt: ['best-effort', 'normal'],
    maxJobsPerCycle: 8,
    maxPPerCycle: 64,
    // Our choice, as Slurm's PreemptExemptTime is commonly set: ten minutes of work before a job can be preempted.
    minRuntimeSeconds: 600,
    // Our choice: the grace period and then some; a hold also ends as soon as its job starts or leaves the queue.
    holdSeconds: 1800,
  },
  backfill: { enabled: true, unknownRuntimeSeconds: 3600 },
};
