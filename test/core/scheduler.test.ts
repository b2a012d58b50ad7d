import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JobSpec, NodeState } from '../../src/core/domain.ts';
import {
  POLICIES,
  fcfs,
  type Decisions,
  type SchedulingPolicy,
  type SchedulingSnapshot,
  type SnapshotJob,
  type SnapshotNode,
  type SnapshotPool,
} from '../../src/core/scheduler/index.ts';

const NOW = new Date('2025-06-01T08:00:00Z');

function spec(overrides: Partial<JobSpec> = {}): JobSpec {
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

function node(name: string, accelerators = 8, free = accelerators, state: NodeState = 'idle'): SnapshotNode {
  return { name, accelerators, free, state };
}

function pool(
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

function job(id: string, minute: number, overrides: Partial<JobSpec> = {}): SnapshotJob {
  return { id, tenantId: 't1', submittedAt: new Date(Date.UTC(2025, 5, 1, 7, minute)), spec: spec(overrides) };
}

function reasonFor(decisions: Decisions, jobId: string): string {
  const found = decisions.pending.find((p) => p.jobId === jobId);
  if (!found) throw new Error(`${jobId} is not pending: ${JSON.stringify(decisions)}`);
  return found.reason;
}

// The placeholder FCFS policy, kept for comparison; suanli's own tests are in scheduler-*.test.ts.
describe('fcfs', () => {
  it('places a job on a pool with an accepted model', () => {
    const d = fcfs(
      {
        pools: [pool('hefei-1', 'a100'), pool('wuhu-2', '910b', { acceleratorModel: '910B' })],
        pending: [job('j1', 0, { accelerator: { model: 'Ascend-910B' } })],
      },
      NOW,
    );
    expect(d).toEqual({
      placements: [{ jobId: 'j1', clusterId: 'c-wuhu-2', poolId: 'p-wuhu-2-910b', nodeNames: ['n1'] }],
      pending: [],
    });
  });

  it('takes pools in cluster and pool name order, whatever the input order', () => {
    const d = fcfs(
      { pools: [pool('wuhu-2', 'a'), pool('hefei-1', 'b'), pool('hefei-1', 'a')], pending: [job('j1', 0)] },
      NOW,
    );
    expect(d.placements[0]?.poolId).toBe('p-hefei-1-a');
  });

  it('places a gang on N nodes of one pool', () => {
    const d = fcfs(
      {
        pools: [
          pool('hefei-1', 'a100', {}, [node('n1'), node('n2', 8, 4)]),
          pool('hefei-2', 'a100', {}, [node('n1'), node('n2'), node('n3')]),
        ],
        pending: [job('j1', 0, { nodes: 2, acceleratorsPerNode: 8 })],
      },
      NOW,
    );
    expect(d.placements).toEqual([
      { jobId: 'j1', clusterId: 'c-hefei-2', poolId: 'p-hefei-2-a100', nodeNames: ['n1', 'n2'] },
    ]);
  });

  it('never splits a gang across pools', () => {
    const d = fcfs(
      {
        pools: [pool('hefei-1', 'a100', {}, [node('n1')]), pool('hefei-2', 'a100', {}, [node('n1'), node('n2', 8, 0)])],
        pending: [job('j1', 0, { nodes: 2, acceleratorsPerNode: 8 })],
      },
      NOW,
    );
    expect(d.placements).toEqual([]);
    const reason = reasonFor(d, 'j1');
    expect(reason).toContain('hefei-2/a100: not enough A100-80GB free (1 of 2 nodes with 8 free)');
    expect(reason).toContain('hefei-1/a100');
    expect(reason).toContain('too small');
    expect(reason).not.toMatch(/^no member cluster/);
  });

  it('subtracts capacity taken earlier in the cycle', () => {
    const d = fcfs(
      {
        pools: [pool('hefei-1', 'a100')],
        pending: [
          job('j1', 0, { acceleratorsPerNode: 4 }),
          job('j2', 1, { acceleratorsPerNode: 4 }),
          job('j3', 2, { acceleratorsPerNode: 4 }),
        ],
      },
      NOW,
    );
    expect(d.placements.map((p) => p.jobId)).toEqual(['j1', 'j2']);
    expect(reasonFor(d, 'j3')).toBe('hefei-1/a100: no A100-80GB free');
  });

  it('serves jobs in submission order, ties by id', () => {
    const d = fcfs(
      {
        pools: [pool('hefei-1', 'a100')],
        pending: [job('j3', 5, { acceleratorsPerNode: 8 }), job('j2', 1, { acceleratorsPerNode: 8 }), job('j1', 1)],
      },
      NOW,
    );
    expect(d.placements.map((p) => p.jobId)).toEqual(['j1']);
    expect(d.pending.map((p) => p.jobId)).toEqual(['j2', 'j3']);
    expect(reasonFor(d, 'j2')).toBe('hefei-1/a100: not enough A100-80GB free (7 of 8 needed)');
  });

  it('prefers the fullest node that fits, keeping whole nodes free', () => {
    const d = fcfs(
      {
        pools: [pool('hefei-1', 'a100', {}, [node('n1'), node('n2', 8, 2), node('n3', 8, 1)])],
        pending: [job('small', 0, { acceleratorsPerNode: 2 }), job('big', 1, { acceleratorsPerNode: 8 })],
      },
      NOW,
    );
    expect(d.placements).toEqual([
      expect.objectContaining({ jobId: 'small', nodeNames: ['n2'] }),
      expect.objectContaining({ jobId: 'big', nodeNames: ['n1'] }),
    ]);
  });

  it('lets a small job pass one that does not fit', () => {
    const d = fcfs(
      {
        pools: [pool('hefei-1', 'a100', {}, [node('n1'), node('n2', 8, 0)])],
        pending: [job('gang', 0, { nodes: 2, acceleratorsPerNode: 8 }), job('small', 1)],
      },
      NOW,
    );
    expect(d.placements.map((p) => p.jobId)).toEqual(['small']);
    expect(d.pending.map((p) => p.jobId)).toEqual(['gang']);
  });

  it('skips drained and down nodes', () => {
    const nodes = [node('n1', 8, 8, 'drained'), node('n2', 8, 8, 'down'), node('n3', 8, 8, 'mixed')];
    const d = fcfs(
      {
        pools: [pool('hefei-1', 'a100', {}, nodes)],
        pending: [job('j1', 0), job('j2', 1, { acceleratorsPerNode: 8 })],
      },
      NOW,
    );
    expect(d.placements).toEqual([expect.objectContaining({ jobId: 'j1', nodeNames: ['n3'] })]);

    const allDown = fcfs(
      { pools: [pool('hefei-1', 'a100', {}, [node('n1', 8, 8, 'down')])], pending: [job('j1', 0)] },
      NOW,
    );
    expect(reasonFor(allDown, 'j1')).toBe('hefei-1/a100: all nodes down or drained');
  });

  it('skips unhealthy clusters', () => {
    const d = fcfs(
      {
        pools: [pool('hefei-1', 'a100', { healthy: false }), pool('wuhu-2', 'a100', { healthy: false })],
        pending: [job('j1', 0)],
      },
      NOW,
    );
    expect(reasonFor(d, 'j1')).toBe('hefei-1/a100, wuhu-2/a100: cluster unhealthy');
  });

  it('honours region and provider constraints (providers by id or name)', () => {
    const pools = [
      pool('hefei-1', 'a100', { regions: ['anhui', 'hefei'] }),
      pool('suzhou-1', 'a100', { regions: ['anhui', 'wanbei'] }),
    ];
    const byRegion = fcfs({ pools, pending: [job('j1', 0, { constraints: { regions: ['wanbei'] } })] }, NOW);
    expect(byRegion.placements[0]?.clusterId).toBe('c-suzhou-1');

    const byName = fcfs({ pools, pending: [job('j1', 0, { constraints: { providers: ['suzhou-1-aicc'] } })] }, NOW);
    expect(byName.placements[0]?.clusterId).toBe('c-suzhou-1');
    const byId = fcfs({ pools, pending: [job('j1', 0, { constraints: { providers: ['prov-suzhou-1'] } })] }, NOW);
    expect(byId.placements[0]?.clusterId).toBe('c-suzhou-1');

    const nowhere = fcfs({ pools, pending: [job('j1', 0, { constraints: { regions: ['wannan'] } })] }, NOW);
    expect(reasonFor(nowhere, 'j1')).toBe(
      'no member cluster can run this job: hefei-1/a100, suzhou-1/a100: not in wannan',
    );
  });

  it('honours the maximum price, and refuses unpriced pools when one is set', () => {
    const pools = [
      pool('hefei-1', 'a100', { fenPerAcceleratorHour: 1800 }),
      pool('wuhu-1', 'a100', { fenPerAcceleratorHour: null }),
      pool('wuhu-2', 'a100', { fenPerAcceleratorHour: 900 }),
    ];
    const d = fcfs({ pools, pending: [job('j1', 0, { constraints: { maxFenPerAcceleratorHour: 1200 } })] }, NOW);
    expect(d.placements[0]?.clusterId).toBe('c-wuhu-2');

    const tooCheap = fcfs({ pools, pending: [job('j1', 0, { constraints: { maxFenPerAcceleratorHour: 500 } })] }, NOW);
    const reason = reasonFor(tooCheap, 'j1');
    expect(reason).toMatch(/^no member cluster can run this job: /);
    expect(reason).toContain('hefei-1/a100: above your maximum price (1800 > 500 fen/h)');
    expect(reason).toContain('wuhu-1/a100: no price set');

    const unpricedOk = fcfs(
      { pools: [pool('wuhu-1', 'a100', { fenPerAcceleratorHour: null })], pending: [job('j1', 0)] },
      NOW,
    );
    expect(unpricedOk.placements).toHaveLength(1);
  });

  it('filters on domesticOnly and memory through the catalogue', () => {
    const pools = [pool('hefei-1', 'a100'), pool('wuhu-2', '910b', { acceleratorModel: 'Ascend-910B' })];
    const domestic = fcfs({ pools, pending: [job('j1', 0, { accelerator: { domesticOnly: true } })] }, NOW);
    expect(domestic.placements[0]?.clusterId).toBe('c-wuhu-2');
    const memory = fcfs({ pools, pending: [job('j1', 0, { accelerator: { minMemoryGiB: 80 } })] }, NOW);
    expect(memory.placements[0]?.clusterId).toBe('c-hefei-1');
  });

  it('explains a pending job pool by pool, naming clusters and causes', () => {
    const d = fcfs(
      {
        pools: [
          pool('hefei-1', 'a100', {}, [node('n1', 8, 2)]),
          pool('wuhu-2', '910b', { acceleratorModel: 'Ascend-910B' }),
          pool('wanbei-1', 'h100', { acceleratorModel: 'H100-SXM', fenPerAcceleratorHour: 1800 }),
        ],
        pending: [
          job('j1', 0, {
            accelerator: { anyOf: ['A100-80GB', 'H100-SXM'] },
            acceleratorsPerNode: 8,
            constraints: { maxFenPerAcceleratorHour: 1200 },
          }),
        ],
      },
      NOW,
    );
    expect(reasonFor(d, 'j1')).toBe(
      'hefei-1/a100: not enough A100-80GB free (2 of 8 needed); ' +
        'wanbei-1/h100: above your maximum price (1800 > 1200 fen/h); ' +
        'wuhu-2/910b: Ascend-910B not accepted',
    );
  });

  it('says so first when no pool could ever run the job', () => {
    const d = fcfs(
      {
        pools: [
          pool('hefei-1', 'a100', {}, [node('n1', 4)]),
          pool('wuhu-2', '910b', { acceleratorModel: 'Ascend-910B' }),
        ],
        pending: [job('j1', 0, { acceleratorsPerNode: 8, accelerator: { anyOf: ['A100-80GB'] } })],
      },
      NOW,
    );
    expect(reasonFor(d, 'j1')).toBe(
      'no member cluster can run this job: hefei-1/a100: nodes have at most 4 accelerators (8 needed per node); ' +
        'wuhu-2/910b: Ascend-910B not accepted',
    );
    expect(reasonFor(fcfs({ pools: [], pending: [job('j1', 0)] }, NOW), 'j1')).toMatch(/^no member cluster/);
  });

  it('keeps the reason short when many pools fail', () => {
    const pools = Array.from({ length: 40 }, (_, i) =>
      pool(`cluster-${String(i).padStart(2, '0')}`, 'pool', {
        acceleratorModel: i % 3 === 0 ? 'H800' : 'L40S',
        fenPerAcceleratorHour: 1000 + i,
      }),
    );
    const reason = reasonFor(
      fcfs({ pools, pending: [job('j1', 0, { accelerator: { model: 'Ascend-910B' } })] }, NOW),
      'j1',
    );
    expect(reason.length).toBeLessThanOrEqual(300);
    expect(reason).toMatch(/^no member cluster can run this job: /);
    expect(reason).toContain('cluster-00/pool');
    expect(reason).toContain('more');
    expect(reason).toContain('H800 not accepted');
    expect(reason).toContain('L40S not accepted');
  });
});

describe('policies: properties', () => {
  const models = ['A100-80GB', 'H800', 'Ascend-910B'];
  const nodeArb = fc.record({
    accelerators: fc.integer({ min: 1, max: 8 }),
    used: fc.integer({ min: 0, max: 8 }),
    state: fc.constantFrom<NodeState>('idle', 'mixed', 'allocated', 'down', 'drained'),
  });
  const poolArb = fc.record({
    cluster: fc.constantFrom('hefei-1', 'wuhu-2', 'bengbu-3'),
    pool: fc.constantFrom('a', 'b', 'c'),
    model: fc.constantFrom(...models),
    healthy: fc.boolean(),
    price: fc.option(fc.integer({ min: 500, max: 2000 }), { nil: null }),
    region: fc.constantFrom('wanbei', 'wannan'),
    nodes: fc.array(nodeArb, { minLength: 1, maxLength: 5 }),
  });
  const jobArb = fc.record({
    id: fc.stringMatching(/^j[0-9]{1,3}$/),
    minute: fc.integer({ min: 0, max: 5 }),
    model: fc.option(fc.constantFrom(...models), { nil: undefined }),
    perNode: fc.integer({ min: 1, max: 8 }),
    nodes: fc.integer({ min: 1, max: 3 }),
    max: fc.option(fc.integer({ min: 500, max: 2000 }), { nil: undefined }),
    region: fc.option(fc.constantFrom('wanbei', 'wannan'), { nil: undefined }),
  });
  const snapshotArb: fc.Arbitrary<SchedulingSnapshot> = fc
    .record({
      pools: fc.uniqueArray(poolArb, { maxLength: 6, selector: (p) => `${p.cluster}/${p.pool}` }),
      jobs: fc.uniqueArray(jobArb, { maxLength: 12, selector: (j) => j.id }),
    })
    .map(({ pools, jobs }) => ({
      pools: pools.map((p) =>
        pool(
          p.cluster,
          p.pool,
          { acceleratorModel: p.model, healthy: p.healthy, fenPerAcceleratorHour: p.price, regions: [p.region] },
          p.nodes.map((n, i) => node(`n${i}`, n.accelerators, Math.max(0, n.accelerators - n.used), n.state)),
        ),
      ),
      pending: jobs.map((j) =>
        job(j.id, j.minute, {
          accelerator: j.model === undefined ? {} : { model: j.model },
          acceleratorsPerNode: j.perNode,
          nodes: j.nodes,
          constraints: {
            ...(j.max === undefined ? {} : { maxFenPerAcceleratorHour: j.max }),
            ...(j.region === undefined ? {} : { regions: [j.region] }),
          },
        }),
      ),
    }));

  /** A seeded Fisher–Yates shuffle, so a failing case replays. */
  function shuffle<T>(items: readonly T[], seed: number): T[] {
    const out = [...items];
    let s = seed >>> 0 || 1;
    for (let i = out.length - 1; i > 0; i--) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const j = s % (i + 1);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }

  const policies: Array<[string, SchedulingPolicy]> = [['fcfs', fcfs], ...Object.entries(POLICIES)];

  it.each(policies)('%s gives identical decisions for any input order', (_name, decide) => {
    fc.assert(
      fc.property(snapshotArb, fc.integer(), (snapshot, seed) => {
        const shuffled: SchedulingSnapshot = {
          pools: shuffle(snapshot.pools, seed).map((p, i) => ({ ...p, nodes: shuffle(p.nodes, seed + i) })),
          pending: shuffle(snapshot.pending, seed + 1),
        };
        expect(decide(shuffled, NOW)).toEqual(decide(snapshot, NOW));
      }),
      { numRuns: 300 },
    );
  });

  it.each(policies)('%s never over-allocates a node and places every job exactly once', (_name, decide) => {
    fc.assert(
      fc.property(snapshotArb, (snapshot) => {
        const d = decide(snapshot, NOW);
        const ids = [...d.placements.map((p) => p.jobId), ...d.pending.map((p) => p.jobId)].sort();
        expect(ids).toEqual(snapshot.pending.map((j) => j.id).sort());
        const taken = new Map<string, number>();
        for (const p of d.placements) {
          const j = snapshot.pending.find((x) => x.id === p.jobId);
          const target = snapshot.pools.find((x) => x.poolId === p.poolId);
          expect(j && target).toBeTruthy();
          if (!j || !target) return;
          expect(new Set(p.nodeNames).size).toBe(j.spec.nodes);
          expect(target.healthy).toBe(true);
          for (const name of p.nodeNames) {
            const key = `${p.poolId}/${name}`;
            taken.set(key, (taken.get(key) ?? 0) + j.spec.acceleratorsPerNode);
            const n = target.nodes.find((x) => x.name === name);
            expect(n && n.state !== 'down' && n.state !== 'drained').toBe(true);
            expect(taken.get(key)).toBeLessThanOrEqual(n?.free ?? 0);
          }
        }
        for (const p of d.pending) expect(p.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });
});
