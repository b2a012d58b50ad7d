import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findAccelerator } from '../../src/core/accelerators.ts';
import type { PriorityClass, TenantCategory } from '../../src/core/domain.ts';
import { acceptableModels } from '../../src/core/job-spec.ts';
import {
  DEFAULT_POLICY,
  POLICIES,
  decide,
  type Decisions,
  type PolicyConfig,
  type RunningAllocation,
  type SchedulingSnapshot,
  type SnapshotJob,
  type SnapshotPool,
} from '../../src/core/scheduler/index.ts';
import { pPerAccelerator } from '../../src/core/scheduler/units.ts';
import { NOW, node, pool, running as fixtureRunning, spec } from './scheduler-fixtures.ts';

const MODELS = ['A100-80GB', 'H800', 'Ascend-910B', 'MLU590'];
const CATEGORIES: TenantCategory[] = ['enterprise', 'startup', 'university', 'research-institute'];
const CLASSES: PriorityClass[] = ['strategic', 'normal', 'best-effort'];

const poolArb = fc.record({
  cluster: fc.constantFrom('hefei-1', 'wuhu-2', 'bengbu-3'),
  pool: fc.constantFrom('a', 'b', 'c'),
  model: fc.constantFrom(...MODELS),
  healthy: fc.integer({ min: 0, max: 4 }).map((n) => n > 0),
  price: fc.option(fc.integer({ min: 500, max: 2000 }), { nil: null }),
  green: fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined }),
  region: fc.constantFrom('wanbei', 'wannan'),
  nodes: fc.array(
    fc.record({
      accelerators: fc.integer({ min: 1, max: 8 }),
      used: fc.integer({ min: 0, max: 8 }),
      state: fc.constantFrom('idle', 'mixed', 'allocated', 'down', 'drained' as const),
      runner: fc.record({
        known: fc.boolean(),
        cls: fc.constantFrom(...CLASSES),
        category: fc.constantFrom(...CATEGORIES),
        startedMinutesAgo: fc.integer({ min: 0, max: 600 }),
        limitMinutes: fc.integer({ min: 1, max: 900 }),
        stopping: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
      }),
    }),
    { minLength: 1, maxLength: 5 },
  ),
});

const jobArb = fc.record({
  id: fc.stringMatching(/^j[0-9]{1,3}$/),
  waited: fc.integer({ min: 0, max: 6000 }),
  tenant: fc.constantFrom('t1', 't2', 't3', 't4'),
  cls: fc.constantFrom(...CLASSES),
  accelerator: fc.oneof(
    fc.constant({}),
    fc.record({ model: fc.constantFrom(...MODELS) }),
    fc.record({ anyOf: fc.uniqueArray(fc.constantFrom(...MODELS), { minLength: 1, maxLength: 3 }) }),
    fc.constant({ domesticOnly: true }),
  ),
  perNode: fc.integer({ min: 1, max: 8 }),
  nodes: fc.integer({ min: 1, max: 3 }),
  minutes: fc.integer({ min: 1, max: 600 }),
  max: fc.option(fc.integer({ min: 500, max: 2000 }), { nil: undefined }),
  region: fc.option(fc.constantFrom('wanbei', 'wannan'), { nil: undefined }),
  provider: fc.option(fc.constantFrom('prov-hefei-1', 'wuhu-2-aicc'), { nil: undefined }),
});

const CATEGORY_OF: Record<string, TenantCategory> = {
  t1: 'enterprise',
  t2: 'startup',
  t3: 'university',
  t4: 'enterprise',
};

const snapshotArb: fc.Arbitrary<SchedulingSnapshot> = fc
  .record({
    pools: fc.uniqueArray(poolArb, { maxLength: 6, selector: (p) => `${p.cluster}/${p.pool}` }),
    jobs: fc.uniqueArray(jobArb, { maxLength: 14, selector: (j) => j.id }),
    usage: fc.array(fc.record({ tenant: fc.constantFrom('t1', 't2', 't3', 't4'), ph: fc.integer({ max: 500 }) }), {
      maxLength: 4,
    }),
  })
  .map(({ pools, jobs, usage }) => {
    const running: RunningAllocation[] = [];
    const snapshotPools = pools.map((p) => {
      const built = pool(p.cluster, p.pool, {
        acceleratorModel: p.model,
        healthy: p.healthy,
        fenPerAcceleratorHour: p.price,
        regions: [p.region],
        ...(p.green === undefined ? {} : { greenPowerBasisPoints: p.green }),
      });
      built.nodes = p.nodes.map((n, i) => {
        const used = Math.min(n.used, n.accelerators);
        if (used > 0 && n.runner.known) {
          running.push({
            jobId: `r-${p.cluster}-${p.pool}-${i}`,
            tenantId: 'runner',
            tenantCategory: n.runner.category,
            priorityClass: n.runner.cls,
            clusterId: built.clusterId,
            poolId: built.poolId,
            nodeNames: [`n${i}`],
            acceleratorsPerNode: used,
            acceleratorModel: p.model,
            startedAt: new Date(NOW.getTime() - n.runner.startedMinutesAgo * 60_000),
            timeLimitSeconds: n.runner.limitMinutes * 60,
            ...(n.runner.stopping ? { stopRequested: true } : {}),
          });
        }
        return node(`n${i}`, n.accelerators, n.accelerators - used, n.state);
      });
      return built;
    });
    const pending: SnapshotJob[] = jobs.map((j) => ({
      id: j.id,
      tenantId: j.tenant,
      tenantCategory: CATEGORY_OF[j.tenant],
      submittedAt: new Date(NOW.getTime() - j.waited * 60_000),
      spec: spec({
        accelerator: j.accelerator,
        acceleratorsPerNode: j.perNode,
        nodes: j.nodes,
        timeLimitSeconds: j.minutes * 60,
        priorityClass: j.cls,
        constraints: {
          ...(j.max === undefined ? {} : { maxFenPerAcceleratorHour: j.max }),
          ...(j.region === undefined ? {} : { regions: [j.region] }),
          ...(j.provider === undefined ? {} : { providers: [j.provider] }),
        },
      }),
    }));
    return {
      pools: snapshotPools,
      pending,
      running,
      usage: usage.map((u) => ({ tenantId: u.tenant, decayedPh: u.ph, monthPh: u.ph })),
    };
  });

const configArb: fc.Arbitrary<PolicyConfig> = fc
  .record({
    lend: fc.constantFrom(0, 5000, 10_000),
    share: fc.constantFrom(0, 2000, 5000),
    maxJobs: fc.integer({ min: 0, max: 3 }),
    maxP: fc.constantFrom(0, 3, 10, 100),
    quota: fc.option(fc.constantFrom(1, 3, 10), { nil: undefined }),
    floor: fc.constantFrom(0, 1000, 5000),
    backfill: fc.boolean(),
  })
  .map((c) => ({
    ...DEFAULT_POLICY,
    reserved: {
      startup: { basisPoints: c.share, lendingLimitBasisPoints: c.lend },
      university: { basisPoints: c.share, lendingLimitBasisPoints: c.lend },
    },
    domesticFloorBasisPoints: c.floor,
    quotas: { defaultTenant: c.quota === undefined ? {} : { concurrentP: c.quota }, tenants: {}, projects: {} },
    preemption: { ...DEFAULT_POLICY.preemption, maxJobsPerCycle: c.maxJobs, maxPPerCycle: c.maxP },
    backfill: { ...DEFAULT_POLICY.backfill, enabled: c.backfill },
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

function canonical(model: string): string {
  return findAccelerator(model)?.model ?? model;
}

/** Every invariant a placement must keep, whatever the policy. */
function checkPlacements(snapshot: SchedulingSnapshot, d: Decisions): void {
  const ids = [...d.placements.map((p) => p.jobId), ...d.pending.map((p) => p.jobId)].sort();
  expect(ids).toEqual(snapshot.pending.map((j) => j.id).sort());
  const taken = new Map<string, number>();
  for (const p of d.placements) {
    const j = snapshot.pending.find((x) => x.id === p.jobId) as SnapshotJob;
    const target = snapshot.pools.find((x) => x.poolId === p.poolId) as SnapshotPool;
    expect(target.clusterId).toBe(p.clusterId);
    expect(target.healthy).toBe(true);
    // Gang: exactly spec.nodes distinct nodes, all in this one pool.
    expect(new Set(p.nodeNames).size).toBe(j.spec.nodes);
    for (const name of p.nodeNames) {
      const key = `${p.poolId}/${name}`;
      taken.set(key, (taken.get(key) ?? 0) + j.spec.acceleratorsPerNode);
      const n = target.nodes.find((x) => x.name === name);
      expect(n && n.state !== 'down' && n.state !== 'drained').toBe(true);
      expect(taken.get(key)).toBeLessThanOrEqual(n?.free ?? 0);
    }
    // Constraints: model (incl. domestic), region, provider, price.
    const { accelerator, constraints } = j.spec;
    const model = canonical(target.acceleratorModel);
    if (Object.keys(accelerator).length > 0) expect(acceptableModels(accelerator)).toContain(model);
    if (accelerator.domesticOnly === true) expect(findAccelerator(model)?.domestic).toBe(true);
    if (constraints.regions) expect(target.regions.some((r) => constraints.regions?.includes(r))).toBe(true);
    if (constraints.providers)
      expect(
        constraints.providers.includes(target.providerId) || constraints.providers.includes(target.providerName),
      ).toBe(true);
    if (constraints.maxFenPerAcceleratorHour !== undefined) {
      expect(target.fenPerAcceleratorHour).not.toBeNull();
      expect(target.fenPerAcceleratorHour ?? Infinity).toBeLessThanOrEqual(constraints.maxFenPerAcceleratorHour);
    }
  }
  for (const p of d.pending) expect(p.reason.length).toBeGreaterThan(0);
}

function reorder(snapshot: SchedulingSnapshot, seed: number): SchedulingSnapshot {
  return {
    pools: shuffle(snapshot.pools, seed).map((p, i) => ({ ...p, nodes: shuffle(p.nodes, seed + i) })),
    pending: shuffle(snapshot.pending, seed + 1),
    running: shuffle(snapshot.running ?? [], seed + 2),
    usage: shuffle(snapshot.usage ?? [], seed + 3),
  };
}

/** A reserve lent out and reclaimed: one pool of 8-accelerator A100 nodes, every one of them held by borrowers. */
/** The run a placement starts: the waiting job on the placement's nodes, from `now`. */
function startedRun(
  pl: Decisions['placements'][number],
  j: SnapshotJob,
  acceleratorModel: string,
  now: Date,
): RunningAllocation {
  return {
    jobId: pl.jobId,
    tenantId: j.tenantId,
    ...(j.tenantCategory ? { tenantCategory: j.tenantCategory } : {}),
    priorityClass: j.spec.priorityClass,
    clusterId: pl.clusterId,
    poolId: pl.poolId,
    nodeNames: pl.nodeNames,
    acceleratorsPerNode: j.spec.acceleratorsPerNode,
    acceleratorModel,
    startedAt: now,
    timeLimitSeconds: j.spec.timeLimitSeconds,
  };
}

interface ReclaimCase {
  /** Per node: one enterprise borrower on all 8 accelerators (true), or two on 4 each. */
  nodes: boolean[];
  /** Basis points reserved for start-ups and for universities each (together at most the whole). */
  share: number;
  maxJobs: number;
  /** The per-cycle P bound, in nodes' worth. */
  maxNodesP: number;
  owners: Array<{ perNode: number; category: 'startup' | 'university' }>;
  /** Enterprise jobs waiting, older than the owners' (accelerators each). */
  backlog: number[];
}

/**
 * Runs one-minute cycles as the control plane would (victims stop by the next cycle and wait again, holds passed
 * back) until every owner job has started or the bound has passed, checking each cycle's preemptions against the
 * configured bound and that every owner started within it.
 */
function replayReclaim({ nodes, share, maxJobs, maxNodesP, owners, backlog }: ReclaimCase): void {
  const STEP = 60_000;
  const A100_P = pPerAccelerator('A100-80GB');
  const names = nodes.map((_, i) => `n${i + 1}`);
  const p = pool(
    'hefei-1',
    'a100',
    {},
    names.map((n) => node(n)),
  );
  // Each category may reserve `share` basis points, but together at most the whole.
  const bp = Math.min(share, 5000);
  const config: PolicyConfig = {
    ...DEFAULT_POLICY,
    reserved: {
      startup: { basisPoints: bp, lendingLimitBasisPoints: 10_000 },
      university: { basisPoints: bp, lendingLimitBasisPoints: 10_000 },
    },
    preemption: { ...DEFAULT_POLICY.preemption, maxJobsPerCycle: maxJobs, maxPPerCycle: maxNodesP * 8 * A100_P },
  };
  const start = NOW.getTime();
  const running = new Map<string, RunningAllocation>();
  // The borrowers started hours ago and run for days: only reclaim gives their accelerators back.
  nodes.forEach((whole, i) => {
    const name = names[i] as string;
    for (const half of whole ? [8] : [4, 4]) {
      const id = `b${running.size}`;
      running.set(id, {
        ...fixtureRunning(id, p, [name], half, { startedMinutesAgo: 180, timeLimitMinutes: 7 * 24 * 60 }),
        tenantId: 'ent',
        tenantCategory: 'enterprise',
      });
    }
  });
  const waiting = new Map<string, SnapshotJob>();
  const submit = (id: string, tenantId: string, category: TenantCategory, perNode: number, minutesAgo: number) =>
    waiting.set(id, {
      id,
      tenantId,
      tenantCategory: category,
      submittedAt: new Date(start - minutesAgo * 60_000),
      spec: spec({ acceleratorsPerNode: perNode, timeLimitSeconds: 7 * 24 * 3600 }),
    });
  backlog.forEach((perNode, i) => submit(`e${i}`, 'ent', 'enterprise', perNode, 120));
  owners.forEach((o, i) => submit(`o${i}`, `${o.category}-t`, o.category, o.perNode, 0));
  const ownerIds = owners.map((_, i) => `o${i}`);
  // Each owner job needs at most 2 victims (two 4-accelerator borrowers on one node); per cycle at most
  // `maxJobs` of them, and a victim's node goes to the owner the cycle after it stops.
  const victimsAtMost = 2 * owners.length;
  const perCycle = Math.min(maxJobs, maxNodesP);
  const bound = 2 * Math.ceil(victimsAtMost / perCycle) + 2;
  const startedAt = new Map<string, number>();
  let holds: SchedulingSnapshot['holds'] = [];
  for (let cycle = 0; cycle <= bound && ownerIds.some((id) => !startedAt.has(id)); cycle++) {
    const now = new Date(start + cycle * STEP);
    // Victims asked to stop last cycle have stopped (within their grace): they wait again, history kept.
    for (const [id, r] of running)
      if (r.stopRequested === true) {
        running.delete(id);
        submit(id, r.tenantId, r.tenantCategory ?? 'enterprise', r.acceleratorsPerNode, 240);
      }
    const used = new Map<string, number>();
    for (const r of running.values())
      for (const n of r.nodeNames) used.set(n, (used.get(n) ?? 0) + r.acceleratorsPerNode);
    const snapshot: SchedulingSnapshot = {
      pools: [{ ...p, nodes: p.nodes.map((n) => ({ ...n, free: n.accelerators - (used.get(n.name) ?? 0) })) }],
      pending: [...waiting.values()],
      running: [...running.values()],
      holds,
    };
    const d = decide(snapshot, now, config);
    checkPlacements(snapshot, d);
    holds = d.holds ?? [];
    const victims = d.preemptions ?? [];
    expect(victims.length).toBeLessThanOrEqual(maxJobs);
    let victimP = 0;
    for (const v of victims) {
      const r = running.get(v.jobId) as RunningAllocation;
      // Only borrowers are reclaimed from, and only for an owner.
      expect(r.tenantCategory).toBe('enterprise');
      expect(ownerIds).toContain(v.forJobId);
      victimP += r.acceleratorsPerNode * A100_P;
      running.set(v.jobId, { ...r, stopRequested: true, preemptedFor: v.forJobId as string });
    }
    expect(victimP).toBeLessThanOrEqual(config.preemption.maxPPerCycle + 1e-9);
    for (const pl of d.placements) {
      const j = waiting.get(pl.jobId) as SnapshotJob;
      waiting.delete(pl.jobId);
      if (ownerIds.includes(pl.jobId)) startedAt.set(pl.jobId, cycle);
      running.set(pl.jobId, startedRun(pl, j, p.acceleratorModel, now));
    }
  }
  // Every owner got its reserve back within the bound.
  expect(ownerIds.filter((id) => !startedAt.has(id))).toEqual([]);
}

describe('scheduler properties', () => {
  it.each(Object.entries(POLICIES))('%s keeps capacity, gangs and constraints', (_name, policy) => {
    fc.assert(
      fc.property(snapshotArb, (snapshot) => checkPlacements(snapshot, policy(snapshot, NOW))),
      { numRuns: 300 },
    );
  });

  it('suanli keeps them under any configuration, and preempts only within the bound', () => {
    fc.assert(
      fc.property(snapshotArb, configArb, (snapshot, config) => {
        const d = decide(snapshot, NOW, config);
        checkPlacements(snapshot, d);
        const victims = d.preemptions ?? [];
        expect(victims.length).toBeLessThanOrEqual(config.preemption.maxJobsPerCycle);
        const byId = new Map((snapshot.running ?? []).map((r) => [r.jobId, r]));
        let p = 0;
        for (const v of victims) {
          const r = byId.get(v.jobId) as RunningAllocation;
          expect(r).toBeDefined();
          expect(r.stopRequested).not.toBe(true);
          expect(r.priorityClass).not.toBe('strategic');
          p += r.nodeNames.length * r.acceleratorsPerNode * pPerAccelerator(r.acceleratorModel);
        }
        expect(p).toBeLessThanOrEqual(config.preemption.maxPPerCycle + 1e-9);
        expect(new Set(victims.map((v) => v.jobId)).size).toBe(victims.length);
      }),
      { numRuns: 400 },
    );
  });

  it('suanli keeps them in the next cycle with its holds, holds only what is free or stopping, and spares young jobs', () => {
    fc.assert(
      fc.property(snapshotArb, configArb, fc.integer({ min: 0, max: 40 }), (snapshot, config, minutes) => {
        const minRunMs = config.preemption.minRuntimeSeconds * 1000;
        const check = (s: SchedulingSnapshot, now: Date, d: Decisions) => {
          checkPlacements(s, d);
          const byId = new Map((s.running ?? []).map((r) => [r.jobId, r]));
          for (const v of d.preemptions ?? []) {
            const r = byId.get(v.jobId) as RunningAllocation;
            expect(r.startedAt).not.toBeNull();
            expect(now.getTime() - (r.startedAt as Date).getTime()).toBeGreaterThanOrEqual(minRunMs);
            expect(s.pending.some((j) => j.id === v.forJobId)).toBe(true);
          }
          // Placements and holds together never exceed what is free plus what stopping jobs and victims will free.
          const room = new Map<string, number>();
          for (const p of s.pools) for (const n of p.nodes) room.set(`${p.poolId}/${n.name}`, n.free);
          const victims = new Set((d.preemptions ?? []).map((v) => v.jobId));
          for (const r of s.running ?? [])
            if (r.stopRequested === true || victims.has(r.jobId))
              for (const n of r.nodeNames) {
                const key = `${r.poolId}/${n}`;
                room.set(key, (room.get(key) ?? 0) + r.acceleratorsPerNode);
              }
          const use = (poolId: string, names: string[], per: number) => {
            for (const n of names) {
              const key = `${poolId}/${n}`;
              room.set(key, (room.get(key) ?? 0) - per);
              expect(room.get(key)).toBeGreaterThanOrEqual(0);
            }
          };
          for (const p of d.placements) {
            const j = s.pending.find((x) => x.id === p.jobId) as SnapshotJob;
            use(p.poolId, p.nodeNames, j.spec.acceleratorsPerNode);
          }
          const held = (d.holds ?? []).map((h) => h.jobId);
          expect(new Set(held).size).toBe(held.length);
          for (const h of d.holds ?? []) {
            const j = s.pending.find((x) => x.id === h.jobId) as SnapshotJob;
            expect(d.pending.some((p) => p.jobId === h.jobId)).toBe(true);
            expect(h.nodeNames.length).toBe(j.spec.nodes);
            use(h.poolId, h.nodeNames, h.acceleratorsPerNode);
          }
        };
        const d1 = decide(snapshot, NOW, config);
        check(snapshot, NOW, d1);
        // The control plane's part: victims stopping for their job, holds passed back.
        const forJob = new Map((d1.preemptions ?? []).map((v) => [v.jobId, v.forJobId]));
        const next: SchedulingSnapshot = {
          ...snapshot,
          running: (snapshot.running ?? []).map((r) => {
            const to = forJob.get(r.jobId);
            return to === undefined ? r : { ...r, stopRequested: true, preemptedFor: to };
          }),
          holds: d1.holds ?? [],
        };
        const later = new Date(NOW.getTime() + minutes * 60_000);
        const d2 = decide(next, later, config);
        check(next, later, d2);
        expect(decide(structuredClone(next), later, config)).toEqual(d2);
      }),
      { numRuns: 300 },
    );
  });

  it('suanli never lends a reserve that lends nothing', () => {
    fc.assert(
      fc.property(snapshotArb, (snapshot) => {
        const config: PolicyConfig = {
          ...DEFAULT_POLICY,
          reserved: { startup: { basisPoints: 5000, lendingLimitBasisPoints: 0 } },
        };
        const usable = snapshot.pools
          .filter((p) => p.healthy)
          .flatMap((p) =>
            p.nodes
              .filter((n) => n.state !== 'down' && n.state !== 'drained')
              .map((n) => n.accelerators * pPerAccelerator(p.acceleratorModel)),
          )
          .reduce((a, b) => a + b, 0);
        const held = (category: (c: TenantCategory | undefined) => boolean, d?: Decisions) => {
          let sum = 0;
          for (const r of snapshot.running ?? [])
            if (category(r.tenantCategory))
              sum += r.nodeNames.length * r.acceleratorsPerNode * pPerAccelerator(r.acceleratorModel);
          for (const p of d?.placements ?? []) {
            const j = snapshot.pending.find((x) => x.id === p.jobId) as SnapshotJob;
            const model = snapshot.pools.find((x) => x.poolId === p.poolId)?.acceleratorModel ?? '';
            if (category(j.tenantCategory)) sum += j.spec.nodes * j.spec.acceleratorsPerNode * pPerAccelerator(model);
          }
          return sum;
        };
        const shared = (c: TenantCategory | undefined) => c !== 'startup';
        const before = held(shared);
        const after = held(shared, decide(snapshot, NOW, config));
        // Placements by the shared group never take it past its nominal (half), unless it was already past.
        if (after > before) expect(after).toBeLessThanOrEqual(Math.max(before, usable / 2) + 1e-9);
      }),
      { numRuns: 300 },
    );
  });

  it('suanli gives a lent reserve back to its owners within bounded cycles, preempting within the per-cycle bound', () => {
    const reclaimArb = fc
      .record({
        // Per node: one borrower on all 8 accelerators, or two on 4 each.
        nodes: fc.array(fc.boolean(), { minLength: 2, maxLength: 6 }),
        share: fc.constantFrom(2500, 5000, 7500),
        // The bound lets one cycle free at least one node (two victims, 8 accelerators): the policy frees a gang's
        // room in one cycle or not at all.
        maxJobs: fc.integer({ min: 2, max: 4 }),
        maxNodesP: fc.constantFrom(1, 2, 100),
        owners: fc.array(
          // Whole nodes as the borrowers hold them, or less: small jobs of a group must share what one victim frees
          // (the over-reclaim example below).
          fc.record({
            perNode: fc.constantFrom(1, 2, 4, 8),
            category: fc.constantFrom('startup', 'university' as const),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        // Enterprise work waiting too, older than the owners': it must not take what is reclaimed.
        backlog: fc.array(fc.constantFrom(4, 8), { maxLength: 4 }),
      })
      .filter(({ nodes, share, owners }) =>
        (['startup', 'university'] as const).every(
          (c) =>
            owners.filter((o) => o.category === c).reduce((sum, o) => sum + o.perNode, 0) <=
            Math.floor((nodes.length * 8 * Math.min(share, 5000)) / 10_000),
        ),
      );
    fc.assert(fc.property(reclaimArb, replayReclaim), { numRuns: 500 });
  });

  // Found by the property above with owner jobs smaller than a node: each small owner job reclaimed a node of its own
  // in the same cycle, because a victim's accelerators went only to the job it was preempted for. Three
  // 1-accelerator start-up jobs took all three borrowers' nodes, 21 accelerators stayed idle in pieces of 7, and the
  // start-ups' 8-accelerator job, within their share, found nothing left to reclaim. What a victim frees beyond its
  // job's need is now spare capacity that later preempting jobs use first.
  it('small reserve owners share the node one victim frees, leaving a larger one of their group room to reclaim', () => {
    replayReclaim({
      nodes: [true, true, true],
      share: 5000,
      maxJobs: 3,
      maxNodesP: 100,
      owners: [
        { perNode: 1, category: 'startup' },
        { perNode: 1, category: 'startup' },
        { perNode: 1, category: 'startup' },
        { perNode: 8, category: 'startup' },
      ],
      backlog: [],
    });
  });

  it.each(Object.entries(POLICIES))('%s gives identical decisions for identical inputs in any order', (_n, policy) => {
    fc.assert(
      fc.property(snapshotArb, fc.integer(), (snapshot, seed) => {
        const d = policy(snapshot, NOW);
        expect(policy(structuredClone(snapshot), NOW)).toEqual(d);
        expect(policy(reorder(snapshot, seed), NOW)).toEqual(d);
      }),
      { numRuns: 200 },
    );
  });
});

describe('no starvation', () => {
  /** Ten-minute steps; jobs run for exactly their time limit. */
  const STEP = 600_000;
  const arrivalArb = fc.array(
    fc.record({
      step: fc.integer({ min: 0, max: 80 }),
      perNode: fc.constantFrom(1, 2, 4, 8),
      nodes: fc.integer({ min: 1, max: 3 }),
      steps: fc.integer({ min: 1, max: 6 }),
      cls: fc.constantFrom(...CLASSES),
      tenant: fc.constantFrom('t1', 't2', 't3'),
      category: fc.constantFrom(...CATEGORIES),
    }),
    { maxLength: 60 },
  );
  const CAPACITY = 4 * 8;
  // Load below capacity: accelerator-steps requested over the arrival window, at most 60% of what the pool offers.
  const underLoad = (arrivals: Array<{ perNode: number; nodes: number; steps: number }>) =>
    arrivals.reduce((s, a) => s + a.perNode * a.nodes * a.steps, 0) <= 0.6 * CAPACITY * 81;

  it.each(Object.entries(POLICIES).filter(([n]) => n !== 'fifo'))(
    '%s places every job within a bounded wait',
    (_name, policy) => {
      fc.assert(
        fc.property(arrivalArb.filter(underLoad), (arrivals) => {
          const p = pool(
            'hefei-1',
            'a100',
            {},
            ['n1', 'n2', 'n3', 'n4'].map((n) => node(n)),
          );
          const start = NOW.getTime();
          const waiting = new Map<string, SnapshotJob>();
          const running = new Map<string, RunningAllocation & { endStep: number }>();
          const startedAt = new Map<string, number>();
          const arrivedAt = new Map<string, number>();
          let holds: SchedulingSnapshot['holds'] = [];
          const ids = arrivals.map((_, i) => `j${String(i).padStart(3, '0')}`);
          for (let step = 0; step < 400 && startedAt.size < arrivals.length; step++) {
            const now = new Date(start + step * STEP);
            for (const [id, r] of running) if (r.endStep <= step) running.delete(id);
            arrivals.forEach((a, i) => {
              if (a.step !== step) return;
              const id = ids[i] as string;
              arrivedAt.set(id, step);
              waiting.set(id, {
                id,
                tenantId: a.tenant,
                tenantCategory: a.category,
                submittedAt: now,
                spec: spec({
                  acceleratorsPerNode: a.perNode,
                  nodes: a.nodes,
                  timeLimitSeconds: (a.steps * STEP) / 1000,
                  priorityClass: a.cls,
                }),
              });
            });
            const used = new Map<string, number>();
            for (const r of running.values())
              for (const n of r.nodeNames) used.set(n, (used.get(n) ?? 0) + r.acceleratorsPerNode);
            const snapshot: SchedulingSnapshot = {
              pools: [{ ...p, nodes: p.nodes.map((n) => ({ ...n, free: n.accelerators - (used.get(n.name) ?? 0) })) }],
              pending: [...waiting.values()],
              running: [...running.values()].map(({ endStep: _e, ...r }) => r),
              holds,
            };
            const d = policy(snapshot, now);
            holds = d.holds ?? [];
            // Preempted jobs go back to the queue with their history (and their submission time).
            for (const v of d.preemptions ?? []) {
              const r = running.get(v.jobId);
              if (!r) continue;
              running.delete(v.jobId);
              const a = arrivals[ids.indexOf(v.jobId)];
              if (a)
                waiting.set(v.jobId, {
                  id: v.jobId,
                  tenantId: r.tenantId,
                  tenantCategory: a.category,
                  submittedAt: new Date(start + a.step * STEP),
                  spec: spec({
                    acceleratorsPerNode: a.perNode,
                    nodes: a.nodes,
                    timeLimitSeconds: r.timeLimitSeconds,
                    priorityClass: a.cls,
                  }),
                });
            }
            for (const pl of d.placements) {
              const j = waiting.get(pl.jobId) as SnapshotJob;
              waiting.delete(pl.jobId);
              if (!startedAt.has(pl.jobId)) startedAt.set(pl.jobId, step);
              running.set(pl.jobId, {
                ...startedRun(pl, j, p.acceleratorModel, now),
                endStep: step + j.spec.timeLimitSeconds / (STEP / 1000),
              });
            }
          }
          expect(startedAt.size).toBe(arrivals.length);
          for (const [id, s] of startedAt) expect(s - (arrivedAt.get(id) ?? 0)).toBeLessThanOrEqual(120);
        }),
        { numRuns: 60 },
      );
    },
  );
});
