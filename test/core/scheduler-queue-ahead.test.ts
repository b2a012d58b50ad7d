/**
 * Queueing ahead: when nothing is free, a pool whose engine keeps its own queue (Slurm) may take jobs up to its
 * configured number of queued accelerators; the engine starts them as its nodes free up.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, decide, type PolicyConfig } from '../../src/core/scheduler/index.ts';
import { NOW, job, node, pool, reasonFor } from './scheduler-fixtures.ts';

describe('suanli: queueing ahead in an engine’s own queue', () => {
  it('fills what is free first, then queues up to the limit, and no further', () => {
    const slurm = pool('hefei-1', 'a100', { queueAhead: { limit: 16, queued: 4 } }, [node('n1', 8, 8)]);
    const pending = Array.from({ length: 6 }, (_, i) =>
      job(`j${i}`, { acceleratorsPerNode: 4 }, { waitedMinutes: 60 - i }),
    );
    const d = decide({ pools: [slurm], pending }, NOW);
    // 8 free: j0 and j1 on n1. Room in the queue: 16 − 4 already queued = 12: j2, j3, j4. j5 waits.
    expect(d.placements.filter((p) => !p.queued).map((p) => p.jobId)).toEqual(['j0', 'j1']);
    expect(d.placements.filter((p) => p.queued).map((p) => p.jobId)).toEqual(['j2', 'j3', 'j4']);
    for (const p of d.placements.filter((q) => q.queued)) expect(p.nodeNames).toEqual([]);
    expect(reasonFor(d, 'j5')).toMatch(/no A100-80GB free/);
  });

  it('never queues on a pool without a queue of its own, nor a gang its up nodes could never hold', () => {
    const local = pool('wuhu-1', 'h100', {}, [node('w1', 8, 0)]);
    const small = pool('hefei-1', 'a100', { queueAhead: { limit: 64, queued: 0 } }, [
      node('n1', 8, 0),
      node('n2', 8, 0, 'drained'),
    ]);
    const d = decide(
      {
        pools: [local, small],
        pending: [job('one', { acceleratorsPerNode: 8 }), job('gang', { acceleratorsPerNode: 8, nodes: 2 })],
      },
      NOW,
    );
    expect(d.placements).toEqual([
      { jobId: 'one', clusterId: 'c-hefei-1', poolId: small.poolId, nodeNames: [], queued: true },
    ]);
    expect(reasonFor(d, 'gang')).toMatch(/hefei-1\/a100/);
  });

  it('keeps quotas: a tenant at its quota is not queued either', () => {
    const config: PolicyConfig = {
      ...DEFAULT_POLICY,
      quotas: { defaultTenant: {}, tenants: { t1: { concurrentP: 3 } }, projects: {} },
    };
    const slurm = pool('hefei-1', 'a100', { queueAhead: { limit: 64, queued: 0 } }, [node('n1', 8, 0)]);
    // One A100 is 0.312 P: 8 of them are 2.5 P, within the quota; 16 would be 5 P.
    const d = decide(
      { pools: [slurm], pending: [job('a', { acceleratorsPerNode: 8 }), job('b', { acceleratorsPerNode: 8 })] },
      NOW,
      config,
    );
    expect(d.placements.map((p) => [p.jobId, p.queued])).toEqual([['a', true]]);
    expect(reasonFor(d, 'b')).toMatch(/tenant quota of 3 P reached/);
  });

  it('property: queued accelerators per pool never exceed the room left, and free capacity is never exceeded', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ per: fc.integer({ min: 1, max: 8 }), nodes: fc.integer({ min: 1, max: 2 }) }), {
          maxLength: 30,
        }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 40 }),
        fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 1, maxLength: 3 }),
        (shapes, limit, queued, free) => {
          const nodes = free.map((f, i) => node(`n${i}`, 8, f));
          const slurm = pool('hefei-1', 'a100', { queueAhead: { limit, queued } }, nodes);
          const pending = shapes.map((s, i) =>
            job(
              `j${String(i).padStart(2, '0')}`,
              { acceleratorsPerNode: s.per, nodes: s.nodes },
              { waitedMinutes: 100 - i },
            ),
          );
          const d = decide({ pools: [slurm], pending }, NOW);
          const byId = new Map(pending.map((j) => [j.id, j]));
          let queuedNow = 0;
          const used = new Map<string, number>();
          for (const p of d.placements) {
            const j = byId.get(p.jobId)!;
            if (p.queued) {
              expect(p.nodeNames).toEqual([]);
              queuedNow += j.spec.acceleratorsPerNode * j.spec.nodes;
            } else {
              expect(p.nodeNames).toHaveLength(j.spec.nodes);
              for (const n of p.nodeNames) used.set(n, (used.get(n) ?? 0) + j.spec.acceleratorsPerNode);
            }
          }
          expect(queuedNow).toBeLessThanOrEqual(Math.max(0, limit - queued));
          for (const n of nodes) expect(used.get(n.name) ?? 0).toBeLessThanOrEqual(n.free);
          // Every job is either placed or told why it waits.
          expect(d.placements.length + d.pending.length).toBe(pending.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
