/**
 * Who holds how much, in P, during one cycle: tenants and projects (quotas), reserved-share groups (nominal,
 * lending and borrowing, after Kueue's cohorts) and domestic accelerators (the domestic floor). Starts from the
 * running allocations and grows with each placement of the cycle.
 */
import type { TenantCategory } from '../domain.ts';
import type { PoolState } from './capacity.ts';
import type { PolicyConfig, Quota } from './policy-config.ts';
import type { RunningAllocation, SchedulingSnapshot, SnapshotJob } from './types.ts';
import { formatP, isDomestic, pPerAccelerator } from './units.ts';

/** The group of every tenant whose category has no reserved share. */
export const SHARED = 'shared';

const CATEGORY_LABEL: Record<TenantCategory, string> = {
  enterprise: 'enterprises',
  startup: 'start-ups',
  university: 'universities',
  'research-institute': 'research institutes',
  government: 'government',
};

export function groupLabel(group: string): string {
  return group === SHARED ? 'the shared' : `the ${CATEGORY_LABEL[group as TenantCategory] ?? group} reserved`;
}

export function projectKey(job: SnapshotJob): string {
  return job.projectId ?? job.spec.project;
}

function add(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

export class Ledger {
  readonly nominal = new Map<string, number>();
  private readonly lendingLimit = new Map<string, number>();
  readonly groupUse = new Map<string, number>();
  private readonly tenantUse = new Map<string, number>();
  private readonly projectUse = new Map<string, number>();
  private readonly tenantMonth = new Map<string, number>();
  private readonly projectMonth = new Map<string, number>();
  private readonly decayed = new Map<string, number>();
  private domesticP = 0;
  private totalP = 0;
  private readonly usableP: number;
  private readonly anyQuota: boolean;

  constructor(
    private readonly config: PolicyConfig,
    snapshot: SchedulingSnapshot,
    pools: readonly PoolState[],
    /** In a fixed order (by job id), so sums do not depend on input order. */
    running: readonly RunningAllocation[],
  ) {
    const usable = pools.reduce((s, p) => s + p.usableP, 0);
    this.usableP = usable;
    const q = config.quotas;
    this.anyQuota =
      Object.keys(q.defaultTenant).length > 0 ||
      Object.keys(q.tenants).length > 0 ||
      Object.keys(q.projects).length > 0;
    let reservedSum = 0;
    for (const [category, share] of Object.entries(config.reserved)) {
      if (share === undefined) continue;
      const p = Math.min(share.p ?? ((share.basisPoints ?? 0) / 10_000) * usable, usable - reservedSum);
      this.nominal.set(category, Math.max(0, p));
      this.lendingLimit.set(category, (Math.max(0, p) * share.lendingLimitBasisPoints) / 10_000);
      reservedSum += Math.max(0, p);
    }
    this.nominal.set(SHARED, Math.max(0, usable - reservedSum));
    this.lendingLimit.set(SHARED, Infinity);
    for (const r of running) {
      const p = r.nodeNames.length * r.acceleratorsPerNode * pPerAccelerator(r.acceleratorModel);
      this.hold(r.tenantId, r.projectId ?? '', this.groupOf(r.tenantCategory), p, isDomestic(r.acceleratorModel));
    }
    for (const u of snapshot.usage ?? []) {
      add(this.tenantMonth, u.tenantId, u.monthPh ?? 0);
      add(this.decayed, u.tenantId, u.decayedPh);
    }
    for (const u of snapshot.projectUsage ?? []) add(this.projectMonth, u.projectId, u.monthPh);
  }

  /** Decayed P·h for fair share; 0 when the snapshot carries no usage (every tenant equal). */
  decayedPh(tenantId: string): number {
    return this.decayed.get(tenantId) ?? 0;
  }

  groupOf(category: TenantCategory | undefined): string {
    const c = category ?? 'enterprise';
    return this.config.reserved[c] === undefined ? SHARED : c;
  }

  /** A reserved group still under its nominal share: its jobs go first within their band. */
  entitled(group: string, p = 0): boolean {
    return group !== SHARED && (this.groupUse.get(group) ?? 0) + p <= (this.nominal.get(group) ?? 0) + 1e-9;
  }

  /** The groups over their nominal share, as one string (a cache key). */
  borrowingGroups(): string {
    return [...this.nominal.keys()].filter((g) => this.borrowing(g)).join(',');
  }

  borrowing(group: string): boolean {
    return (this.groupUse.get(group) ?? 0) > (this.nominal.get(group) ?? 0) + 1e-9;
  }

  private lendable(group: string): number {
    const idle = Math.max(0, (this.nominal.get(group) ?? 0) - (this.groupUse.get(group) ?? 0));
    return Math.min(idle, this.lendingLimit.get(group) ?? 0);
  }

  /** Why this job may not take `p` more P now, or null. Quotas first: they are the tenant's own limits. */
  refusal(job: SnapshotJob, group: string, p: number, fitsNow: boolean): string | null {
    return this.quotaRefusal(job, p) ?? this.shareRefusal(group, p, fitsNow);
  }

  quotaRefusal(job: SnapshotJob, p: number): string | null {
    if (!this.anyQuota) return null;
    const q = this.config.quotas;
    const tenantQuota: Quota = q.tenants[job.tenantId] ?? q.defaultTenant;
    const project = projectKey(job);
    const projectQuota: Quota | undefined = q.projects[project];
    const quotaCheck = (who: string, quota: Quota | undefined, use: number, month: number): string | null => {
      if (quota?.monthlyPh !== undefined && month >= quota.monthlyPh)
        return `${who} monthly quota of ${quota.monthlyPh} P·h reached (${Number(month.toFixed(1))} P·h used)`;
      if (quota?.concurrentP !== undefined && use + p > quota.concurrentP + 1e-9)
        return `${who} quota of ${formatP(quota.concurrentP)} reached (${formatP(use)} in use, this job needs ${formatP(p)})`;
      return null;
    };
    const refused =
      quotaCheck(
        'tenant',
        tenantQuota,
        this.tenantUse.get(job.tenantId) ?? 0,
        this.tenantMonth.get(job.tenantId) ?? 0,
      ) ??
      quotaCheck(
        `project ${project}`,
        projectQuota,
        this.projectUse.get(project) ?? 0,
        this.projectMonth.get(project) ?? 0,
      );
    return refused;
  }

  /**
   * Reserved shares: a group may use its nominal share plus what the others lend. Before a pool is known to fit
   * (`fitsNow` false), a full federation is a capacity wait, not a share refusal: the pools say that better.
   */
  shareRefusal(group: string, p: number, fitsNow: boolean): string | null {
    if (!fitsNow && this.totalP + p > this.usableP + 1e-9) return null;
    const use = this.groupUse.get(group) ?? 0;
    const nominal = this.nominal.get(group) ?? 0;
    let borrowable = 0;
    for (const other of this.nominal.keys()) if (other !== group) borrowable += this.lendable(other);
    if (use + p <= nominal + borrowable + 1e-9) return null;
    return (
      `${groupLabel(group)} share is in use (${formatP(use)} of ${formatP(nominal)}) and the other shares lend ` +
      `no more now (this job needs ${formatP(p)})`
    );
  }

  hold(tenantId: string, project: string, group: string, p: number, domestic: boolean): void {
    add(this.tenantUse, tenantId, p);
    if (project !== '') add(this.projectUse, project, p);
    add(this.groupUse, group, p);
    this.totalP += p;
    if (domestic) this.domesticP += p;
  }

  /** True while domestic accelerators carry less than the floor's share of the work held. */
  belowDomesticFloor(): boolean {
    const floor = this.config.domesticFloorBasisPoints / 10_000;
    return floor > 0 && (this.totalP === 0 || this.domesticP < floor * this.totalP);
  }
}
