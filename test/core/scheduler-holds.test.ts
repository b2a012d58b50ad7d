/**
 * Preemption without ping-pong: capacity a preemption frees is held for the job it was freed for (across cycles,
 * through `Decisions.holds` → `SchedulingSnapshot.holds`), victims must have run `minRuntimeSeconds`, and reclaim
 * happens only where the job stays within its share.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLICY,
  decide,
  type Decisions,
  type PolicyConfig,
  type RunningAllocation,
  type SchedulingSnapshot,
} from '../../src/core/scheduler/index.ts';
import { NOW, job, node, placed, pool, reasonFor, running } from './scheduler-fixtures.ts';

const MINUTE = 60_000;
const at = (minutes: number) => new Date(NOW.getTime() + minutes * MINUTE);

// Universities reserve half of two A100 nodes (about 5 P); both nodes are lent to enterprise borrowers.
const config: PolicyConfig = {
  ...DEFAULT_POLICY,
  reserved: { university: { basisPoints: 5000, lendingLimitBasisPoints: 10_000 } },
};
const a100 = (free: [number, number]) => pool('hefei-1', 'a100', {}, [node('n1', 8, free[0]), node('n2', 8, free[1])]);
const borrower = (id: string, nodeName: string, startedMinutesAgo: number, extra: Partial<RunningAllocation> = {}) => ({
  ...running(id, a100([0, 0]), [nodeName], 8, { startedMinutesAgo, timeLimitMinutes: 600, tenantId: 'ent' }),
  ...extra,
});
const uni = job('u', { acceleratorsPerNode: 8 }, { tenantId: 'uni', tenantCategory: 'university', waitedMinutes: 5 });
// An enterprise job that has waited 30 h: aging puts it in a band above u, so without a hold it takes what is freed.
const old = job('w', { acceleratorsPerNode: 8 }, { tenantId: 'ent2', waitedMinutes: 30 * 60 });
// b2 once preempted comes back with its old submission time: older still.
const requeued = job('b2', { acceleratorsPerNode: 8 }, { tenantId: 'ent', waitedMinutes: 40 * 60 });

/** The control plane's part: victims stop with `preemptedFor`, holds come back as they were. */
function stopping(r: RunningAllocation, d: Decisions): RunningAllocation {
  const p = d.preemptions?.find((x) => x.jobId === r.jobId);
  return p === undefined ? r : { ...r, stopRequested: true, ...(p.forJobId ? { preemptedFor: p.forJobId } : {}) };
}

describe('suanli: capacity freed by a preemption goes to the job it was freed for', () => {
  it('preempts one borrower, holds its node for the reserved job across cycles, and places it there', () => {
    const b1 = borrower('b1', 'n1', 60);
    const b2 = borrower('b2', 'n2', 30);
    // Cycle 1: u is entitled and nothing is free: reclaim the borrower with the least lost work, for u.
    const d1 = decide({ pools: [a100([0, 0])], pending: [uni, old], running: [b1, b2] }, NOW, config);
    expect(d1.preemptions?.map((p) => [p.jobId, p.forJobId])).toEqual([['b2', 'u']]);
    expect(d1.holds).toEqual([
      { jobId: 'u', poolId: 'p-hefei-1-a100', nodeNames: ['n2'], acceleratorsPerNode: 8, since: NOW },
    ]);

    // Cycle 2: b2 checkpoints. Nothing more is preempted; u waits for b2 with its node held.
    const d2 = decide(
      { pools: [a100([0, 0])], pending: [uni, old], running: [b1, stopping(b2, d1)], holds: d1.holds },
      at(1),
      config,
    );
    expect(d2.preemptions).toEqual([]);
    expect(reasonFor(d2, 'u')).toBe('waiting for 1 preempted job to stop on hefei-1/a100; its nodes are held for it');
    expect(d2.holds).toEqual(d1.holds);

    // Cycle 3: b2 has stopped and is back in the queue, older than anyone. u still gets n2.
    const third: SchedulingSnapshot = {
      pools: [a100([0, 8])],
      pending: [uni, old, requeued],
      running: [b1],
      holds: d2.holds,
    };
    const d3 = decide(third, at(6), config);
    expect(d3.placements).toEqual([
      { jobId: 'u', clusterId: 'c-hefei-1', poolId: 'p-hefei-1-a100', nodeNames: ['n2'] },
    ]);
    expect(d3.preemptions).toEqual([]);
    expect(d3.holds).toEqual([]);
    // Without the hold the oldest job takes n2, and u would have to reclaim again: the ping-pong.
    expect(placed(decide({ ...third, holds: [] }, at(6), config))).toEqual(['b2']);

    // Cycle 4: u runs; b1 (an hour in) is not preempted for anyone, and u is not a borrower to reclaim from.
    const d4 = decide(
      {
        pools: [a100([0, 0])],
        pending: [old, requeued],
        running: [b1, { ...running('u', a100([0, 0]), ['n2'], 8), tenantId: 'uni', tenantCategory: 'university' }],
        holds: d3.holds,
      },
      at(7),
      config,
    );
    expect(d4.preemptions).toEqual([]);
  });

  it('gives a stopping job’s accelerators only to the job it was preempted for', () => {
    const b2 = borrower('b2', 'n2', 30, { stopRequested: true, preemptedFor: 'u' });
    const strategic = job('s', { acceleratorsPerNode: 8, priorityClass: 'strategic' }, { tenantId: 'gov' });
    const b1 = borrower('b1', 'n1', 60);
    // Without holds in the snapshot (a control plane that only reports preemptedFor), s does not count on n2:
    // it preempts b1 instead of waiting for a node that is u's.
    const d = decide({ pools: [a100([0, 0])], pending: [strategic, uni], running: [b1, b2] }, NOW, config);
    expect(d.preemptions?.map((p) => [p.jobId, p.forJobId])).toEqual([['b1', 's']]);
    expect(reasonFor(d, 'u')).toContain('waiting for 1 preempted job to stop on hefei-1/a100');
    expect(d.holds?.map((h) => [h.jobId, h.nodeNames])).toEqual([
      ['s', ['n1']],
      ['u', ['n2']],
    ]);
  });

  it('drops a hold whose job left the queue, that expired, or that can no longer fill', () => {
    const hold = { jobId: 'u', poolId: 'p-hefei-1-a100', nodeNames: ['n2'], acceleratorsPerNode: 8, since: NOW };
    const other = job('x', { acceleratorsPerNode: 8 }, { tenantId: 'ent2' });
    // u is gone: x takes the node.
    expect(placed(decide({ pools: [a100([0, 8])], pending: [other], holds: [hold] }, at(6), config))).toEqual(['x']);
    // Expired (holdSeconds after the preemption): the queue decides again, and the older x goes first.
    const x = job('x', { acceleratorsPerNode: 8 }, { tenantId: 'ent2', waitedMinutes: 30 * 60 });
    const expired = decide({ pools: [a100([0, 8])], pending: [uni, x], holds: [hold] }, at(31), config);
    expect(placed(expired)).toEqual(['x']);
    expect(expired.holds).toEqual([]);
    // Broken: n2 is taken by a job that is not stopping, so the hold can never fill; u queues (and may reclaim).
    const taken = decide(
      {
        pools: [a100([0, 0])],
        pending: [uni],
        running: [borrower('b1', 'n1', 0), borrower('b3', 'n2', 60)],
        holds: [hold],
      },
      at(6),
      config,
    );
    expect(taken.holds?.map((h) => h.since)).toEqual([at(6)]);
    expect(taken.preemptions?.map((p) => p.jobId)).toEqual(['b3']);
  });

  it('starts the job elsewhere when it fits there before its victims stop, and gives the hold back', () => {
    const wide = pool('hefei-1', 'a100', {}, [node('n1', 8, 8), node('n2', 8, 0), node('n3', 8, 0)]);
    const hold = { jobId: 'u', poolId: wide.poolId, nodeNames: ['n2'], acceleratorsPerNode: 8, since: NOW };
    const b2 = { ...running('b2', wide, ['n2'], 8, { tenantId: 'ent' }), stopRequested: true, preemptedFor: 'u' };
    const d = decide({ pools: [wide], pending: [uni], running: [b2], holds: [hold] }, at(1), config);
    expect(d.placements.map((p) => [p.jobId, p.nodeNames])).toEqual([['u', ['n1']]]);
    expect(d.holds).toEqual([]);
  });
});

describe('suanli: who may be a victim', () => {
  it('never preempts a job that started less than minRuntimeSeconds ago, or has not started', () => {
    const snapshot = (b1: RunningAllocation, b2: RunningAllocation): SchedulingSnapshot => ({
      pools: [a100([0, 0])],
      pending: [uni],
      running: [b1, b2],
    });
    // Both borrowers started 5 minutes ago: no victim.
    const young = decide(snapshot(borrower('b1', 'n1', 5), borrower('b2', 'n2', 9)), NOW, config);
    expect(young.preemptions).toEqual([]);
    expect(young.holds).toEqual([]);
    // Admitted but not started counts as just started.
    const admitted = decide(
      snapshot(borrower('b1', 'n1', 5, { startedAt: null }), borrower('b2', 'n2', 20)),
      NOW,
      config,
    );
    expect(admitted.preemptions?.map((p) => p.jobId)).toEqual(['b2']);
    // The rule is the configuration's: 0 lets the youngest go first again.
    const none = { ...config, preemption: { ...config.preemption, minRuntimeSeconds: 0 } };
    const d = decide(snapshot(borrower('b1', 'n1', 5), borrower('b2', 'n2', 60)), NOW, none);
    expect(d.preemptions?.map((p) => p.jobId)).toEqual(['b1']);
    // Strategic preemption keeps the same rule.
    const s = job('s', { acceleratorsPerNode: 8, priorityClass: 'strategic' }, { tenantId: 'gov' });
    const strategic = decide(
      { pools: [a100([0, 0])], pending: [s], running: [borrower('b1', 'n1', 5), borrower('b2', 'n2', 2)] },
      NOW,
    );
    expect(strategic.preemptions).toEqual([]);
  });

  it('reclaims only in a pool where the job stays within its reserved share', () => {
    // Universities reserve 1.5 P: a gang of 8 is 1 P on V100 but 2.5 P on A100.
    const v100 = pool('suzhou-1', 'v100', { acceleratorModel: 'V100-32GB', fenPerAcceleratorHour: 500 }, [
      node('v1', 8, 0),
    ]);
    const a = pool('hefei-1', 'a100', {}, [node('n1', 8, 0)]);
    const shares: PolicyConfig = {
      ...DEFAULT_POLICY,
      reserved: { university: { p: 1.5, lendingLimitBasisPoints: 10_000 } },
    };
    const strategicOnV100 = {
      ...running('s1', v100, ['v1'], 8, { priorityClass: 'strategic', startedMinutesAgo: 60 }),
    };
    const borrowerOnA100 = { ...running('b1', a, ['n1'], 8, { startedMinutesAgo: 60, tenantId: 'ent' }) };
    const d = decide({ pools: [a, v100], pending: [uni], running: [strategicOnV100, borrowerOnA100] }, NOW, shares);
    expect(d.preemptions).toEqual([]);
    // With the borrower on V100 instead, the reclaim goes ahead there.
    const borrowerOnV100 = { ...running('b2', v100, ['v1'], 8, { startedMinutesAgo: 60, tenantId: 'ent' }) };
    const strategicOnA100 = { ...running('s2', a, ['n1'], 8, { priorityClass: 'strategic', startedMinutesAgo: 60 }) };
    const ok = decide({ pools: [a, v100], pending: [uni], running: [strategicOnA100, borrowerOnV100] }, NOW, shares);
    expect(ok.preemptions?.map((p) => p.jobId)).toEqual(['b2']);
  });

  it('lets time pass between the preemption and the placement without a second preemption', () => {
    // Ten cycles a minute apart while b2 checkpoints (grace 300 s), then stops: one preemption in all.
    const b1 = borrower('b1', 'n1', 60);
    let b2: RunningAllocation | null = borrower('b2', 'n2', 30);
    let holds: Decisions['holds'] = [];
    const pending = new Map([
      ['u', uni],
      ['w', old],
    ]);
    let preemptions = 0;
    let uStartedAt = -1;
    for (let minute = 0; minute < 10; minute++) {
      if (b2?.stopRequested === true && minute >= 6) {
        b2 = null;
        pending.set('b2', requeued);
      }
      const running = [b1, ...(b2 ? [b2] : [])];
      const d = decide(
        {
          pools: [a100([0, b2 ? 0 : 8])],
          pending: [...pending.values()],
          running,
          holds,
        },
        at(minute),
        config,
      );
      preemptions += d.preemptions?.length ?? 0;
      if (b2) b2 = stopping(b2, d);
      holds = d.holds;
      for (const p of d.placements) {
        pending.delete(p.jobId);
        if (p.jobId === 'u') uStartedAt = minute;
      }
      if (uStartedAt >= 0) break;
    }
    expect(preemptions).toBe(1);
    expect(uStartedAt).toBe(6);
  });

  it("gives a small reserved job that comes while a victim stops the rest of that victim's node, preempting no one", () => {
    const b1 = borrower('b1', 'n1', 60);
    const b2 = borrower('b2', 'n2', 30);
    const small = (id: string) =>
      job(id, { acceleratorsPerNode: 2 }, { tenantId: 'uni', tenantCategory: 'university', waitedMinutes: 5 });
    // Cycle 1: a 2-accelerator university job reclaims b2's node.
    const d1 = decide({ pools: [a100([0, 0])], pending: [small('s1')], running: [b1, b2] }, NOW, config);
    expect(d1.preemptions?.map((p) => [p.jobId, p.forJobId])).toEqual([['b2', 's1']]);
    // Cycle 2: b2 still stops, and another small university job comes: it takes 2 of the 6 b2 frees beyond s1's
    // hold, and b1 keeps running.
    const d2 = decide(
      {
        pools: [a100([0, 0])],
        pending: [small('s1'), small('s2')],
        running: [b1, stopping(b2, d1)],
        holds: d1.holds,
      },
      at(1),
      config,
    );
    expect(d2.preemptions).toEqual([]);
    expect(d2.holds?.map((h) => [h.jobId, h.nodeNames])).toEqual([
      ['s1', ['n2']],
      ['s2', ['n2']],
    ]);
    expect(reasonFor(d2, 's2')).toBe(
      'hefei-1/a100: no A100-80GB free; waiting for 1 preempted job to stop on hefei-1/a100',
    );
    // Cycle 3: b2 has stopped; both start on n2.
    const d3 = decide(
      { pools: [a100([0, 8])], pending: [small('s1'), small('s2')], running: [b1], holds: d2.holds },
      at(2),
      config,
    );
    expect(placed(d3).sort()).toEqual(['s1', 's2']);
    expect(d3.placements.every((p) => p.nodeNames[0] === 'n2')).toBe(true);
  });
});
