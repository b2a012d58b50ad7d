import { describe, expect, it } from 'vitest';
import { fcfs } from '../../src/core/scheduler/fcfs.ts';
import type { SchedulingPolicy, SchedulingSnapshot } from '../../src/core/scheduler/types.ts';
import { simulate } from '../../src/sim/engine.ts';
import { seededRandom } from '../../src/sim/hash.ts';
import { summarise } from '../../src/sim/metrics.ts';
import { traceJobSpec } from '../../src/sim/model.ts';
import type { SimJob, SimPool, SimTrace } from '../../src/sim/model.ts';
import { strictFifo } from '../../src/sim/policies.ts';

function pool(cluster: string, model: string, nodes: number[]): SimPool {
  return {
    clusterId: cluster,
    clusterName: cluster,
    providerId: 'p',
    providerName: 'p',
    regions: ['anhui'],
    poolId: `${cluster}/x`,
    poolName: 'x',
    acceleratorModel: model,
    fenPerAcceleratorHour: 100,
    nodes: nodes.map((a, i) => ({ name: `${cluster}-n${i}`, accelerators: a })),
  };
}

function job(id: string, submit: number, duration: number, gpus: number, extra: Partial<SimJob> = {}): SimJob {
  return {
    id,
    tenantId: extra.tenantId ?? 't1',
    tenantCategory: extra.tenantCategory ?? 'enterprise',
    priorityClass: extra.priorityClass ?? 'normal',
    submit,
    duration,
    spec: traceJobSpec(id, 'p', gpus, 1, 3600, extra.priorityClass ?? 'normal', {}),
  };
}

function trace(pools: SimPool[], jobs: SimJob[]): SimTrace {
  return {
    name: 'tiny',
    epochMs: Date.UTC(2025, 0, 1),
    pools,
    tenants: [...new Set(jobs.map((j) => j.tenantId))].map((id) => ({ id, category: 'enterprise' as const })),
    jobs,
    notes: [],
  };
}

const byId = (r: ReturnType<typeof simulate>, id: string) => r.jobs.find((j) => j.id === id)!;

describe('event loop', () => {
  it('two jobs on one node: exact queueing delays, completion times and utilisation', () => {
    const t = trace([pool('c', 'A100-80GB', [2])], [job('a', 0, 100, 2), job('b', 10, 50, 2)]);
    const r = simulate(t, 'fcfs', fcfs);
    expect([byId(r, 'a').lastStart, byId(r, 'a').end]).toEqual([0, 100]);
    expect([byId(r, 'b').lastStart, byId(r, 'b').end]).toEqual([100, 150]);
    const m = summarise(r);
    expect(m.overall.queueing.mean).toBe(45); // (0 + 90) / 2
    expect(m.overall.queueing.max).toBe(90);
    expect(m.overall.completion.mean).toBe(120); // (100 + 140) / 2
    expect(m.utilisation).toBe(1);
    expect(m.makespanHours).toBeCloseTo(150 / 3600);
    expect(r.busySeries).toEqual([300]);
  });

  it('first fit lets a small job pass a blocked one; strict FIFO does not', () => {
    const jobs = [job('a', 0, 100, 2), job('b', 10, 50, 4), job('c', 20, 10, 1)];
    const t = trace([pool('c', 'A100-80GB', [4])], jobs);
    const ff = simulate(t, 'fcfs', fcfs);
    expect(byId(ff, 'c').lastStart).toBe(20);
    expect(byId(ff, 'b').lastStart).toBe(100);
    const fifo = simulate(t, 'fifo', strictFifo);
    expect(byId(fifo, 'b').lastStart).toBe(100);
    expect(byId(fifo, 'c').lastStart).toBe(150);
    // While b (4 accelerators) waits from 10 to 100, the 2 free (1 while c runs) are of no use to any pending job.
    expect(summarise(ff).fragmentedAccelerators).toBeCloseTo((2 * 10 + 1 * 10 + 2 * 70) / 150);
  });

  it('preemption stops a job, returns it to the queue and counts the lost work', () => {
    // Preempts every running job when "urgent" waits and nothing is free, and serves it first; otherwise first fit.
    const policy: SchedulingPolicy = (s, now) => {
      const urgent = s.pending.find((j) => j.id === 'urgent');
      const victims = (s.running ?? []).filter((r) => r.jobId !== 'urgent' && !r.stopRequested);
      if (urgent && victims.length > 0 && s.pools.every((p) => p.nodes.every((n) => n.free === 0)))
        return { placements: [], pending: [], preemptions: victims.map((v) => ({ jobId: v.jobId, reason: 'urgent' })) };
      return fcfs(urgent ? { ...s, pending: [urgent] } : s, now);
    };
    const t = trace(
      [pool('c', 'A100-80GB', [2])],
      [job('long', 0, 100, 2), job('urgent', 30, 20, 2, { priorityClass: 'strategic' })],
    );
    const r = simulate(t, 'p', policy);
    expect(byId(r, 'urgent')).toMatchObject({ firstStart: 30, end: 50 });
    expect(byId(r, 'long')).toMatchObject({ firstStart: 0, lastStart: 50, end: 150, preemptions: 1 });
    expect(byId(r, 'long').lostAcceleratorSeconds).toBe(60);
    const m = summarise(r);
    expect(m.preemptions).toBe(1);
    expect(m.lostAcceleratorHours).toBeCloseTo(60 / 3600);

    // With a grace period the victim keeps its accelerators until it stops.
    const g = simulate(t, 'p', policy, { graceSeconds: 5 });
    expect(byId(g, 'urgent')).toMatchObject({ firstStart: 35, end: 55 });
    expect(byId(g, 'long').lostAcceleratorSeconds).toBe(70);
    // A preempt-exempt time longer than the run so far refuses the preemption.
    const e = simulate(t, 'p', policy, { preemptExemptSeconds: 40 });
    expect(e.preemptionsRefused).toBeGreaterThan(0);
    expect(byId(e, 'urgent').firstStart).toBe(100);
  });

  it('a member-cluster failure stops its jobs; they rerun when it returns', () => {
    const t = trace([pool('c', 'A100-80GB', [1])], [job('a', 0, 100, 1)]);
    const r = simulate(t, 'fcfs', fcfs, { outages: [{ clusterId: 'c', at: 50, until: 80 }] });
    expect(byId(r, 'a')).toMatchObject({ firstStart: 0, lastStart: 80, end: 180, lostAcceleratorSeconds: 50 });
    expect(r.failureStops).toBe(1);
    expect(r.availableAcceleratorSeconds).toBe(150);
  });

  it('passes decayed usage (half-life) and domestic share follows placement', () => {
    const seen: SchedulingSnapshot[] = [];
    const spy: SchedulingPolicy = (s, now) => {
      seen.push(s);
      return fcfs(s, now);
    };
    const t = trace([pool('c', 'A100-80GB', [1])], [job('a', 0, 3600, 1), job('b', 3600, 10, 1)]);
    simulate(t, 'spy', spy, { halfLifeSeconds: 3600 });
    const usage = seen[1]!.usage!.find((u) => u.tenantId === 't1')!;
    // 0.312 P for an hour, halving every hour: 0.312 × (1 − 1/2) / ln 2 P·h.
    expect(usage.decayedPh).toBeCloseTo((0.312 * 0.5) / Math.LN2, 9);
    expect(usage.monthPh).toBeCloseTo(0.312, 9);
    const d = simulate(trace([pool('d', 'Ascend-910B', [1])], [job('a', 0, 10, 1)]), 'fcfs', fcfs);
    expect(summarise(d).domesticShare).toBe(1);
  });

  it('measures reserved shares and Jain fairness over tenants with demand', () => {
    const jobs = [
      job('a', 0, 100, 1, { tenantId: 'x', tenantCategory: 'startup' }),
      job('b', 0, 100, 1, { tenantId: 'y' }),
    ];
    const r = simulate(trace([pool('c', 'A100-80GB', [2])], jobs), 'fcfs', fcfs, { reserved: { startup: 0.5 } });
    const m = summarise(r);
    expect(m.jain).toBeCloseTo(1);
    expect(m.reservedHonoured.startup).toEqual({ share: 0.5, honoured: 1 });
  });
});

function randomTrace(n: number, seed: number): SimTrace {
  const random = seededRandom(seed);
  const jobs: SimJob[] = [];
  let t = 0;
  for (let i = 0; i < n; i++) {
    t += Math.floor(random() * 30);
    const gpus = [1, 1, 1, 2, 4, 8][Math.floor(random() * 6)]!;
    jobs.push(
      job(`j${i}`, t, 10 + Math.floor(random() * 500), gpus, {
        tenantId: `t${Math.floor(random() * 4)}`,
        priorityClass: random() < 0.1 ? 'strategic' : 'normal',
      }),
    );
  }
  return trace([pool('a', 'A100-80GB', [8, 8, 8]), pool('b', 'Ascend-910B', [8, 8])], jobs);
}

describe('determinism', () => {
  it('the same input gives identical JSON', () => {
    const t = randomTrace(400, 7);
    const a = JSON.stringify(summarise(simulate(t, 'fcfs', fcfs, { maxPending: 16 })));
    const b = JSON.stringify(summarise(simulate(randomTrace(400, 7), 'fcfs', fcfs, { maxPending: 16 })));
    expect(a).toBe(b);
    expect(JSON.parse(a).finished).toBe(400);
  });
});
