import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLICY,
  POLICIES,
  decide,
  easyBackfill,
  fifo,
  suanliPolicy,
  type PolicyConfig,
  type SchedulingSnapshot,
} from '../../src/core/scheduler/index.ts';
import { NOW, job, node, placed, pool, reasonFor, running } from './scheduler-fixtures.ts';

function withPolicy(overrides: Partial<PolicyConfig>): PolicyConfig {
  return { ...DEFAULT_POLICY, ...overrides };
}

describe('suanli: order', () => {
  it('serves strategic jobs first and says who a job waits behind', () => {
    const d = decide(
      {
        pools: [pool('hefei-1', 'a100')],
        pending: [
          job('n1', { acceleratorsPerNode: 8 }, { waitedMinutes: 120 }),
          job('s1', { acceleratorsPerNode: 8, priorityClass: 'strategic' }, { waitedMinutes: 1 }),
          job('s2', { acceleratorsPerNode: 8, priorityClass: 'strategic' }, { waitedMinutes: 2 }),
        ],
      },
      NOW,
    );
    expect(placed(d)).toEqual(['s2']);
    expect(d.pending.map((p) => p.jobId)).toEqual(['s1', 'n1']);
    // s2 holds the node for its 10 minutes, so s1's start is known.
    expect(reasonFor(d, 's1')).toBe(
      'hefei-1/a100: no A100-80GB free; next in line: expected to start on hefei-1/a100 in ~10 min',
    );
    expect(reasonFor(d, 'n1')).toBe('hefei-1/a100: no A100-80GB free; waiting behind 1 strategic job');
  });

  it('ages waiting jobs: a long wait lifts best-effort work above fresh normal work', () => {
    const snapshot = (waitedHours: number): SchedulingSnapshot => ({
      pools: [pool('hefei-1', 'a100')],
      pending: [
        job('be', { acceleratorsPerNode: 8, priorityClass: 'best-effort' }, { waitedMinutes: waitedHours * 60 }),
        job('normal', { acceleratorsPerNode: 8 }, { waitedMinutes: 1, tenantId: 't2' }),
      ],
    });
    expect(placed(decide(snapshot(10), NOW))).toEqual(['normal']);
    // 50 points an hour: after 50 h best-effort (0 + 2500) is in the band above normal (1000).
    expect(placed(decide(snapshot(50), NOW))).toEqual(['be']);
  });

  it('orders tenants of a class by decayed usage over weight', () => {
    const base: SchedulingSnapshot = {
      pools: [pool('hefei-1', 'a100')],
      pending: [
        job('a', { acceleratorsPerNode: 8 }, { tenantId: 'heavy', waitedMinutes: 90 }),
        job('b', { acceleratorsPerNode: 8 }, { tenantId: 'light', waitedMinutes: 30 }),
      ],
      usage: [
        { tenantId: 'heavy', decayedPh: 100 },
        { tenantId: 'light', decayedPh: 10 },
      ],
    };
    expect(placed(decide(base, NOW))).toEqual(['b']);
    const weighted = withPolicy({ fairShare: { ...DEFAULT_POLICY.fairShare, weights: { heavy: 20 } } });
    expect(placed(decide(base, NOW, weighted))).toEqual(['a']);
    // Without usage every tenant is equal, and the older job goes first.
    expect(placed(decide({ ...base, usage: undefined }, NOW))).toEqual(['a']);
  });

  it('interleaves tenants by virtual usage within one cycle', () => {
    const d = decide(
      {
        pools: [pool('hefei-1', 'a100', {}, [node('n1'), node('n2')])],
        pending: [
          job('t1-a', { acceleratorsPerNode: 8 }, { waitedMinutes: 50 }),
          job('t1-b', { acceleratorsPerNode: 8 }, { waitedMinutes: 40 }),
          job('t1-c', { acceleratorsPerNode: 8 }, { waitedMinutes: 30 }),
          job('t2-a', { acceleratorsPerNode: 8 }, { tenantId: 't2', waitedMinutes: 5 }),
        ],
      },
      NOW,
    );
    expect(placed(d)).toEqual(['t1-a', 't2-a']);
  });
});

describe('suanli: placement', () => {
  it('prefers cheaper, preferred-region and greener pools', () => {
    const cheap = pool('hefei-1', 'a100', { fenPerAcceleratorHour: 1000 });
    const near = pool('suzhou-1', 'a100', { fenPerAcceleratorHour: 1100, regions: ['anhui', 'wanbei'] });
    expect(decide({ pools: [near, cheap], pending: [job('j')] }, NOW).placements[0]?.poolId).toBe(cheap.poolId);
    const d = decide({ pools: [near, cheap], pending: [job('j', {}, { preferredRegions: ['wanbei'] })] }, NOW);
    expect(d.placements[0]?.poolId).toBe(near.poolId);
    const green = pool('wuhu-1', 'a100', { greenPowerBasisPoints: 8000 });
    expect(decide({ pools: [pool('hefei-1', 'a100'), green], pending: [job('j')] }, NOW).placements[0]?.poolId).toBe(
      green.poolId,
    );
  });

  it('fills partly used nodes before breaking whole ones, across pools', () => {
    const whole = pool('hefei-1', 'a100', {}, [node('n1')]);
    const partly = pool('wuhu-1', 'a100', {}, [node('n1', 8, 2)]);
    const d = decide({ pools: [whole, partly], pending: [job('small', { acceleratorsPerNode: 2 })] }, NOW);
    expect(d.placements[0]?.poolId).toBe(partly.poolId);
  });

  it('keeps a gang in one pool, all or nothing', () => {
    const d = decide(
      {
        pools: [pool('hefei-1', 'a100', {}, [node('n1')]), pool('hefei-2', 'a100', {}, [node('n1'), node('n2', 8, 0)])],
        pending: [job('gang', { nodes: 2, acceleratorsPerNode: 8 })],
      },
      NOW,
    );
    expect(d.placements).toEqual([]);
    expect(reasonFor(d, 'gang')).toContain('hefei-2/a100: not enough A100-80GB free (1 of 2 nodes with 8 free)');
  });

  it('routes work to domestic accelerators while they hold less than the floor', () => {
    const a100 = pool('hefei-1', 'a100', { fenPerAcceleratorHour: 500 }, [node('n1'), node('n2'), node('n3')]);
    const ascend = pool('wuhu-1', '910b', { acceleratorModel: 'Ascend-910B', fenPerAcceleratorHour: 1500 });
    const accepts = { accelerator: { anyOf: ['A100-80GB', 'Ascend-910B'] } };
    const busy = [running('r1', a100, ['n1', 'n2'], 8)];
    const below = decide({ pools: [a100, ascend], pending: [job('j', accepts)], running: busy }, NOW);
    expect(below.placements[0]?.poolId).toBe(ascend.poolId);
    const met = decide(
      {
        pools: [a100, ascend],
        pending: [job('j', accepts)],
        running: [...busy, running('r2', ascend, ['n1'], 4)],
      },
      NOW,
    );
    expect(met.placements[0]?.poolId).toBe(a100.poolId);
    const off = decide(
      { pools: [a100, ascend], pending: [job('j', accepts)], running: busy },
      NOW,
      withPolicy({ domesticFloorBasisPoints: 0 }),
    );
    expect(off.placements[0]?.poolId).toBe(a100.poolId);
  });
});

describe('suanli: quotas and reserved shares', () => {
  const a100 = pool('hefei-1', 'a100', {}, [node('n1'), node('n2', 8, 0), node('n3')]);

  it('stops a tenant at its concurrent quota and says so', () => {
    const config = withPolicy({ quotas: { defaultTenant: {}, tenants: { t1: { concurrentP: 3 } }, projects: {} } });
    const d = decide(
      {
        pools: [a100],
        pending: [job('j1', { acceleratorsPerNode: 8 }), job('j2', { acceleratorsPerNode: 8 }, { tenantId: 't2' })],
        running: [{ ...running('r1', a100, ['n2'], 8), tenantId: 't1' }],
      },
      NOW,
      config,
    );
    expect(placed(d)).toEqual(['j2']);
    expect(reasonFor(d, 'j1')).toBe('tenant quota of 3 P reached (2.5 P in use, this job needs 2.5 P)');
  });

  it('applies project and monthly quotas', () => {
    const projects = withPolicy({
      quotas: { defaultTenant: {}, tenants: {}, projects: { vision: { concurrentP: 1 } } },
    });
    const d = decide({ pools: [a100], pending: [job('j1', { acceleratorsPerNode: 8 })] }, NOW, projects);
    expect(reasonFor(d, 'j1')).toBe('project vision quota of 1 P reached (0 P in use, this job needs 2.5 P)');
    const monthly = withPolicy({ quotas: { defaultTenant: { monthlyPh: 500 }, tenants: {}, projects: {} } });
    const m = decide(
      { pools: [a100], pending: [job('j1')], usage: [{ tenantId: 't1', decayedPh: 0, monthPh: 512.3 }] },
      NOW,
      monthly,
    );
    expect(reasonFor(m, 'j1')).toBe('tenant monthly quota of 500 P·h reached (512.3 P·h used)');
  });

  it('keeps a reserve that lends nothing for its own category', () => {
    // 10 nodes × 8 A100 = 24.96 P; start-ups reserve half and lend none of it.
    const big = pool(
      'hefei-1',
      'a100',
      {},
      Array.from({ length: 10 }, (_, i) => node(`n${i}`)),
    );
    const config = withPolicy({ reserved: { startup: { basisPoints: 5000, lendingLimitBasisPoints: 0 } } });
    const pending = Array.from({ length: 6 }, (_, i) =>
      job(`e${i}`, { acceleratorsPerNode: 8 }, { tenantId: `ent${i}`, waitedMinutes: 60 - i }),
    );
    pending.push(job('s', { acceleratorsPerNode: 8 }, { tenantId: 'st', tenantCategory: 'startup', waitedMinutes: 1 }));
    const d = decide({ pools: [big], pending }, NOW, config);
    expect(placed(d).sort()).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 's']);
    expect(reasonFor(d, 'e5')).toBe(
      'the shared share is in use (12.5 P of 12.5 P) and the other shares lend no more now (this job needs 2.5 P)',
    );
  });

  it('reclaims lent reserve by preempting the borrower with the least lost work, within the bound', () => {
    const small = pool('hefei-1', 'a100', {}, [node('n1', 8, 0), node('n2', 8, 0)]);
    const config = withPolicy({ reserved: { university: { basisPoints: 5000, lendingLimitBasisPoints: 10_000 } } });
    const snapshot: SchedulingSnapshot = {
      pools: [small],
      pending: [job('u', { acceleratorsPerNode: 8 }, { tenantId: 'uni', tenantCategory: 'university' })],
      running: [
        running('old', small, ['n1'], 8, { startedMinutesAgo: 300, timeLimitMinutes: 600 }),
        running('new', small, ['n2'], 8, { startedMinutesAgo: 15, timeLimitMinutes: 600 }),
      ],
    };
    const d = decide(snapshot, NOW, config);
    expect(d.preemptions).toEqual([
      {
        jobId: 'new',
        reason:
          'reclaimed for the universities reserved share (job u): the shared share was borrowing; ' +
          'it had the least lost work there (2 accelerator-hours of work since it started, 2.5 P)',
        graceSeconds: 300,
        forJobId: 'u',
      },
    ]);
    expect(reasonFor(d, 'u')).toBe(
      'hefei-1/a100: no A100-80GB free; preempting 1 job on hefei-1/a100 to start it (grace 300 s)',
    );
    const bounded = withPolicy({
      reserved: config.reserved,
      preemption: { ...DEFAULT_POLICY.preemption, maxJobsPerCycle: 0 },
    });
    expect(decide(snapshot, NOW, bounded).preemptions).toEqual([]);
  });

  it('reclaims one node for small jobs of a group, and only what its larger job needs besides', () => {
    const three = pool('hefei-1', 'a100', {}, [node('n1', 8, 0), node('n2', 8, 0), node('n3', 8, 0)]);
    const config = withPolicy({ reserved: { startup: { basisPoints: 5000, lendingLimitBasisPoints: 10_000 } } });
    const startup = (id: string, acceleratorsPerNode: number) =>
      job(id, { acceleratorsPerNode }, { tenantId: 'st', tenantCategory: 'startup', waitedMinutes: 1 });
    const d = decide(
      {
        pools: [three],
        pending: [startup('s1', 1), startup('s2', 1), startup('s3', 1), startup('s8', 8)],
        running: [
          running('r1', three, ['n1'], 8, { startedMinutesAgo: 300, timeLimitMinutes: 6000 }),
          running('r2', three, ['n2'], 8, { startedMinutesAgo: 200, timeLimitMinutes: 6000 }),
          running('r3', three, ['n3'], 8, { startedMinutesAgo: 100, timeLimitMinutes: 6000 }),
        ],
      },
      NOW,
      config,
    );
    // The first small job reclaims the node with the least lost work; the other two wait for the same victim; the
    // 8-accelerator job reclaims the next one. r1 keeps running.
    expect(d.preemptions?.map((v) => [v.jobId, v.forJobId])).toEqual([
      ['r3', 's1'],
      ['r2', 's8'],
    ]);
    expect(d.holds?.map((h) => [h.jobId, h.nodeNames]).sort()).toEqual([
      ['s1', ['n3']],
      ['s2', ['n3']],
      ['s3', ['n3']],
      ['s8', ['n2']],
    ]);
    expect(reasonFor(d, 's2')).toBe(
      'hefei-1/a100: no A100-80GB free; waiting for 1 preempted job to stop on hefei-1/a100',
    );
  });
});

describe('suanli: preemption for strategic work', () => {
  const p = pool('hefei-1', 'a100', {}, [node('n1', 8, 0), node('n2', 8, 4), node('n3', 8, 0)]);
  const strategic = job('s', { acceleratorsPerNode: 8, priorityClass: 'strategic' });

  it('picks the victims that lose the least work', () => {
    const d = decide(
      {
        pools: [p],
        pending: [strategic],
        running: [
          running('long', p, ['n1'], 8, { startedMinutesAgo: 600, timeLimitMinutes: 1200 }),
          running('half', p, ['n2'], 4, {
            startedMinutesAgo: 100,
            timeLimitMinutes: 1200,
            priorityClass: 'best-effort',
          }),
          running('short', p, ['n3'], 8, { startedMinutesAgo: 60, timeLimitMinutes: 1200 }),
        ],
      },
      NOW,
    );
    // 'half' alone frees n2 (4 × 100 min lost) — less than 'short' (8 × 60 min).
    expect(d.preemptions?.map((x) => x.jobId)).toEqual(['half']);
    expect(d.preemptions?.[0]?.reason).toMatch(
      /^preempted for strategic job s, which needs 1 node × 8 on hefei-1\/a100/,
    );
  });

  it('never preempts strategic work, and waits for jobs already stopping', () => {
    const allStrategic = decide(
      {
        pools: [p],
        pending: [strategic],
        running: ['n1', 'n3'].map((n) => running(n, p, [n], 8, { priorityClass: 'strategic' })),
      },
      NOW,
    );
    expect(allStrategic.preemptions).toEqual([]);
    const stopping = decide(
      { pools: [p], pending: [strategic], running: [running('r', p, ['n1'], 8, { stopRequested: true })] },
      NOW,
    );
    expect(stopping.preemptions).toEqual([]);
    expect(reasonFor(stopping, 's')).toContain('waiting for 1 preempted job to stop on hefei-1/a100');
  });

  it('does nothing when running jobs are unknown or preemption is off', () => {
    expect(decide({ pools: [p], pending: [strategic] }, NOW).preemptions).toEqual([]);
    const off = withPolicy({ preemption: { ...DEFAULT_POLICY.preemption, enabled: false } });
    const d = decide({ pools: [p], pending: [strategic], running: [running('r', p, ['n1'], 8)] }, NOW, off);
    expect(d.preemptions).toEqual([]);
  });
});

describe('backfill', () => {
  // n1 is busy for 50 more minutes; the gang needs n1 and n2.
  const p = pool('hefei-1', 'a100', {}, [node('n1', 8, 0), node('n2')]);
  const other = pool('wuhu-1', 'a100', {}, [node('n1')]);
  const snapshot = (pending: SchedulingSnapshot['pending']): SchedulingSnapshot => ({
    pools: [p, other],
    pending,
    running: [running('r', p, ['n1'], 8, { startedMinutesAgo: 10, timeLimitMinutes: 60 })],
  });
  const gang = job(
    'gang',
    {
      nodes: 2,
      acceleratorsPerNode: 8,
      accelerator: { model: 'A100-80GB' },
      constraints: { regions: ['anhui'], providers: ['prov-hefei-1'] },
    },
    { waitedMinutes: 90 },
  );

  it.each([
    ['suanli', POLICIES.suanli],
    ['fifo-backfill', easyBackfill],
  ])('%s starts a later job only if it does not delay the head', (_name, policy) => {
    const d = policy(
      snapshot([
        gang,
        job(
          'fits-before',
          { acceleratorsPerNode: 4, timeLimitSeconds: 30 * 60, constraints: { providers: ['prov-hefei-1'] } },
          { waitedMinutes: 80 },
        ),
        job(
          'too-long',
          { acceleratorsPerNode: 4, timeLimitSeconds: 120 * 60, constraints: { providers: ['prov-hefei-1'] } },
          { waitedMinutes: 70 },
        ),
        job('elsewhere', { acceleratorsPerNode: 8, timeLimitSeconds: 120 * 60 }, { waitedMinutes: 60 }),
      ]),
      NOW,
    );
    expect(placed(d).sort()).toEqual(['elsewhere', 'fits-before']);
    expect(reasonFor(d, 'gang')).toContain('expected to start on hefei-1/a100 in ~50 min');
    expect(reasonFor(d, 'too-long')).toBe('would delay gang, reserved to start on hefei-1/a100 in ~50 min');
  });

  it('strict FIFO lets nothing pass a blocked head', () => {
    const d = fifo(snapshot([gang, job('small', {}, { waitedMinutes: 10 })]), NOW);
    expect(placed(d)).toEqual([]);
    expect(reasonFor(d, 'small')).toBe('waiting behind gang, first in the queue (first in, first out)');
  });

  it('never lets a job that can never run block the queue', () => {
    const d = fifo(
      {
        pools: [pool('hefei-1', 'a100')],
        pending: [
          job('never', { accelerator: { model: 'H800' } }, { waitedMinutes: 10 }),
          job('ok', {}, { waitedMinutes: 5 }),
        ],
      },
      NOW,
    );
    expect(placed(d)).toEqual(['ok']);
    expect(reasonFor(d, 'never')).toMatch(/^no member cluster can run this job/);
  });

  it('suanliPolicy without backfill lets later jobs take the head’s nodes', () => {
    const noBackfill = suanliPolicy(withPolicy({ backfill: { ...DEFAULT_POLICY.backfill, enabled: false } }));
    const d = noBackfill(
      snapshot([
        gang,
        job('too-long', {
          acceleratorsPerNode: 4,
          timeLimitSeconds: 7200,
          constraints: { providers: ['prov-hefei-1'] },
        }),
      ]),
      NOW,
    );
    expect(placed(d)).toEqual(['too-long']);
  });
});
