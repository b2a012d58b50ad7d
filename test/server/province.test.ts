/** The overview's arithmetic on hand-made inputs: utilisation by overlap, and who lends reserve to whom. */
import { describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../src/core/domain.ts';
import { DEFAULT_POLICY } from '../../src/core/scheduler/index.ts';
import { queueRows, reservedShares, utilisationSeries } from '../../src/server/province.ts';
import type { StoredJob } from '../../src/store/index.ts';

const at = (minutes: number) => new Date(Date.UTC(2026, 0, 1, 0, minutes));

/** Only the fields the overview reads. */
function job(fields: {
  tenantId?: string;
  state?: StoredJob['state'];
  submittedAt?: Date;
  startedAt?: Date | null;
  poolId?: string;
  nodes?: number;
  perNode?: number;
  priorityClass?: 'strategic' | 'normal' | 'best-effort';
}): StoredJob {
  return {
    tenantId: fields.tenantId ?? 't',
    state: fields.state ?? 'running',
    submittedAt: fields.submittedAt ?? at(0),
    startedAt: fields.startedAt ?? null,
    poolId: fields.poolId ?? 'c:h100',
    nodeNames: Array.from({ length: fields.nodes ?? 1 }, (_, i) => `n${i}`),
    spec: { acceleratorsPerNode: fields.perNode ?? 8, priorityClass: fields.priorityClass ?? 'normal' },
  } as unknown as StoredJob;
}

describe('utilisationSeries', () => {
  it('counts each run for the part of each step it overlaps', () => {
    // 8 × H100-SXM = 7.916 P from minute 30 to minute 90; the window is two one-hour steps.
    const usage = [
      { startedAt: at(30), endedAt: at(90), acceleratorCount: 8, acceleratorModel: 'H100-SXM' } as UsageRecord,
    ];
    const points = utilisationSeries(usage, [], () => undefined, { from: at(0), to: at(120), buckets: 2 });
    expect(points).toEqual([
      { at: at(0).toISOString(), busyP: 3.958 },
      { at: at(60).toISOString(), busyP: 3.958 },
    ]);
  });

  it('counts a running job until the end of the window, and an unknown model as 0 P', () => {
    const running = [job({ startedAt: at(60) }), job({ startedAt: at(0), poolId: 'c:mystery' })];
    const model = (pool: string) => (pool === 'c:h100' ? 'H100-SXM' : 'NoSuchChip');
    const points = utilisationSeries([], running, model, { from: at(0), to: at(120), buckets: 2 });
    expect(points.map((p) => p.busyP)).toEqual([0, 7.916]);
  });
});

describe('reservedShares', () => {
  it('lends idle reserve to a group over its share, in proportion to what each may lend', () => {
    const categories: Record<string, 'university' | 'startup' | 'enterprise'> = {
      uni: 'university',
      start: 'startup',
      corp: 'enterprise',
    };
    // 100 P usable: 5 P reserved each for start-ups, research institutes and universities; 85 P shared.
    // The university holds 7.916 P (2.916 over its 5 P); the shared group holds 80 of its 85 P.
    const active = [
      job({ tenantId: 'uni' }),
      ...Array.from({ length: 10 }, () => job({ tenantId: 'corp' })),
      job({ tenantId: 'corp', poolId: 'c:a100', perNode: 8, nodes: 1 }),
    ];
    const rows = reservedShares(
      DEFAULT_POLICY,
      100,
      active,
      (id) => categories[id],
      (pool) => (pool === 'c:h100' ? 'H100-SXM' : 'A100-80GB'),
    );
    const byGroup = Object.fromEntries(rows.map((r) => [r.group, r]));
    expect(byGroup.university).toMatchObject({ nominalP: 5, usedP: 7.916, borrowedP: 2.916, lentP: 0 });
    expect(byGroup.shared).toMatchObject({ nominalP: 85, usedP: 81.656, borrowedP: 0 });
    // Idle and lendable: start-ups 5, research institutes 5, shared 3.344; 2.916 borrowed, split 5 : 5 : 3.344.
    expect(byGroup.startup!.lentP).toBeCloseTo((2.916 * 5) / 13.344, 3);
    expect(byGroup['research-institute']!.lentP).toBeCloseTo((2.916 * 5) / 13.344, 3);
    expect(byGroup.shared!.lentP).toBeCloseTo((2.916 * 3.344) / 13.344, 3);
    const lent = rows.reduce((s, r) => s + r.lentP, 0);
    expect(lent).toBeCloseTo(2.916, 2);
  });
});

describe('queueRows', () => {
  it('measures waits so far for pending jobs and submission-to-start for started ones', () => {
    const now = at(60);
    const pending = [job({ state: 'pending', submittedAt: at(0) }), job({ state: 'pending', submittedAt: at(50) })];
    const started = [job({ state: 'succeeded', submittedAt: at(10), startedAt: at(12), priorityClass: 'strategic' })];
    const rows = queueRows(pending, started, (j) => j.spec.priorityClass, ['strategic', 'normal'], now);
    expect(rows).toEqual([
      { key: 'strategic', pending: 0, oldestWaitSeconds: 0, meanWaitSeconds: 0, started: 1, meanStartWaitSeconds: 120 },
      {
        key: 'normal',
        pending: 2,
        oldestWaitSeconds: 3600,
        meanWaitSeconds: 2100,
        started: 0,
        meanStartWaitSeconds: 0,
      },
    ]);
  });
});
