import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobSpec } from '../../src/core/domain.ts';
import {
  ALL,
  IdempotencyConflict,
  UnknownProject,
  createStore,
  tenantScope,
  type Store,
} from '../../src/store/index.ts';
import { TOKEN_CACHE_MS } from '../../src/store/federation.ts';
import { listMigrations, migrate } from '../../src/store/migrate.ts';
import { describeEachDatabase, freshPostgresDatabase, postgresUrl } from '../helpers/databases.ts';

const spec: JobSpec = {
  apiVersion: 'suanli.io/v1',
  kind: 'Job',
  name: 'smoke',
  project: 'vision',
  accelerator: { model: 'H100-SXM' },
  acceleratorsPerNode: 1,
  nodes: 1,
  timeLimitSeconds: 600,
  command: ['echo', 'hi'],
  env: {},
  priorityClass: 'normal',
  constraints: {},
};

async function seed(store: Store) {
  const f = store.federation;
  await f.upsertProvider({
    id: 'hefei-aicc',
    name: 'Hefei AICC',
    city: 'Hefei',
    regions: ['anhui'],
    ownerOrganisation: 'Hefei Gov',
    greenPowerBasisPoints: 3000,
  });
  await f.upsertCluster({ id: 'hefei-1', providerId: 'hefei-aicc', name: 'hefei-1', engine: 'local', config: {} });
  for (const t of ['acme', 'rival']) {
    await f.upsertTenant({ id: t, name: t, category: 'startup', regions: ['anhui'], verified: true, organisation: t });
    await f.upsertProject({ id: `${t}-vision`, tenantId: t, name: 'vision' });
    await f.upsertUser({ id: `${t}-admin`, name: `${t}-admin`, role: 'tenant-admin', tenantId: t, providerId: null });
  }
}

describeEachDatabase('store', (database) => {
  let store: Store;
  beforeEach(async () => {
    store = await database.open();
    await seed(store);
  });
  afterEach(async () => store.close());
  /** A pending job of acme's vision project, submitted at `now`. */
  const createAcmeJob = async (now: Date) =>
    (
      await store.jobs.create({
        tenantId: 'acme',
        projectId: 'acme-vision',
        submittedBy: 'acme-admin',
        spec,
        idempotencyKey: null,
        now,
      })
    ).job;

  it('applies every migration once, and again is a no-op', async () => {
    expect(await migrate(store.db)).toEqual([]);
    const rows = await store.db.selectFrom('schema_migrations').select('version').execute();
    expect(rows.map((r) => r.version)).toEqual(listMigrations().map((m) => m.version));
  });

  it('creates a job with its submitted event, idempotently by key', async () => {
    const now = new Date('2026-11-23T08:00:00Z');
    const input = {
      tenantId: 'acme',
      projectId: 'acme-vision',
      submittedBy: 'acme-admin',
      spec,
      idempotencyKey: 'k1',
      now,
    };
    const first = await store.jobs.create(input);
    const again = await store.jobs.create({ ...input, now: new Date('2026-11-23T08:01:00Z') });
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.job.id).toBe(first.job.id);
    expect(await store.jobs.list(ALL)).toHaveLength(1);
    expect((await store.jobs.events(first.job.id)).map((e) => e.to)).toEqual(['pending']);
    await expect(store.jobs.create({ ...input, spec: { ...spec, nodes: 2 } })).rejects.toBeInstanceOf(
      IdempotencyConflict,
    );
    // The same key in another tenant is another job.
    const other = await store.jobs.create({
      ...input,
      tenantId: 'rival',
      projectId: 'rival-vision',
      submittedBy: 'rival-admin',
    });
    expect(other.created).toBe(true);
  });

  it('submits by project name in one statement, only into a project of the tenant', async () => {
    const now = new Date('2026-11-23T08:00:00Z');
    const input = {
      tenantId: 'acme',
      projectName: 'vision',
      submittedBy: 'acme-admin',
      spec,
      idempotencyKey: 'n1',
      now,
    };
    const first = await store.jobs.create(input);
    expect(first).toMatchObject({ created: true, job: { projectId: 'acme-vision', projectName: 'vision' } });
    expect((await store.jobs.create(input)).job.id).toBe(first.job.id);
    // The key names the first submission: another project under it is a conflict, as another spec is.
    await store.federation.upsertProject({ id: 'acme-audio', tenantId: 'acme', name: 'audio' });
    await expect(store.jobs.create({ ...input, projectName: 'audio' })).rejects.toBeInstanceOf(IdempotencyConflict);
    // A project the tenant does not have, with or without a key: nothing stored. Another tenant's is not its own.
    await expect(store.jobs.create({ ...input, projectName: 'nope', idempotencyKey: 'n2' })).rejects.toBeInstanceOf(
      UnknownProject,
    );
    await store.federation.upsertProject({ id: 'rival-speech', tenantId: 'rival', name: 'speech' });
    await expect(store.jobs.create({ ...input, projectName: 'speech', idempotencyKey: null })).rejects.toThrow(
      /tenant acme has no project with name "speech"/,
    );
    expect(await store.jobs.list(ALL)).toHaveLength(1);
  });

  it('knows a token at once, forgets a revoked one at once in this process', async () => {
    const f = store.federation;
    expect(await f.userByTokenHash('hash-1')).toBeNull();
    // An unknown token is not remembered as unknown: once added, it works at once.
    await f.addTokenHash('acme-admin', 'hash-1', 'test');
    expect(await f.userByTokenHash('hash-1')).toMatchObject({ id: 'acme-admin', tenantId: 'acme' });
    expect(await f.revokeTokens('acme-admin', new Date())).toBe(1);
    expect(await f.userByTokenHash('hash-1')).toBeNull();
  });

  it('scopes reads to the tenant', async () => {
    const now = new Date();
    const job = await createAcmeJob(now);
    expect(await store.jobs.get(tenantScope('acme'), job.id)).not.toBeNull();
    expect(await store.jobs.get(tenantScope('rival'), job.id)).toBeNull();
    expect(await store.jobs.list(tenantScope('rival'))).toEqual([]);
    expect(await store.jobs.requestCancel(tenantScope('rival'), job.id, now)).toBe(false);
  });

  it('moves a job only from the state it is in, recording each change', async () => {
    const now = new Date();
    const job = await createAcmeJob(now);
    const change = { reason: 'placed', actor: 'test', now };
    const admitted = await store.jobs.transition(job.id, 'pending', 'admitted', {
      ...change,
      patch: { clusterId: 'hefei-1' },
    });
    expect(admitted?.state).toBe('admitted');
    expect(admitted?.clusterId).toBe('hefei-1');
    expect(await store.jobs.transition(job.id, 'pending', 'admitted', change)).toBeNull();
    await expect(store.jobs.transition(job.id, 'admitted', 'succeeded', change)).rejects.toThrow(/admitted.*succeeded/);
    const events = await store.jobs.events(job.id);
    expect(events.map((e) => [e.from, e.to])).toEqual([
      [null, 'pending'],
      ['pending', 'admitted'],
    ]);
  });

  it('admits a cycle’s placements in one go, skipping a job that left pending meanwhile', async () => {
    const now = new Date();
    const create = () => createAcmeJob(now);
    await store.federation.recordInventory(
      'hefei-1',
      [
        {
          id: 'hefei-1:a100',
          name: 'a100',
          acceleratorModel: 'A100-80GB',
          nodes: ['n1', 'n2', 'n3'].map((name) => ({ name, accelerators: 8, state: 'idle' as const })),
        },
      ],
      now,
    );
    const [a, b] = [await create(), await create()];
    await store.jobs.transition(b.id, 'pending', 'cancelled', { reason: 'cancelled', actor: 'test', now });
    const placement = (id: string, nodeNames: string[]) => ({
      id,
      clusterId: 'hefei-1',
      poolId: 'hefei-1:a100',
      nodeNames,
      attempt: 1,
      dispatchTag: `suanli-${id}-1`,
      reason: `placed on hefei-1/a100 (${nodeNames.join(', ')})`,
    });
    const moved = await store.jobs.admitMany([placement(a.id, ['n1', 'n2']), placement(b.id, ['n3'])], 'plane', now);
    expect(moved).toEqual([a.id]);
    expect(await store.jobs.get(ALL, a.id)).toMatchObject({
      state: 'admitted',
      clusterId: 'hefei-1',
      poolId: 'hefei-1:a100',
      nodeNames: ['n1', 'n2'],
      attempt: 1,
      dispatchTag: `suanli-${a.id}-1`,
      reason: 'placed on hefei-1/a100 (n1, n2)',
    });
    expect((await store.jobs.events(a.id)).at(-1)).toMatchObject({
      from: 'pending',
      to: 'admitted',
      actor: 'plane',
      reason: 'placed on hefei-1/a100 (n1, n2)',
    });
    expect((await store.jobs.get(ALL, b.id))?.state).toBe('cancelled');
    expect(await store.jobs.admitMany([], 'plane', now)).toEqual([]);
  });

  it('sets a cycle’s pending reasons in one statement, only on jobs still pending', async () => {
    const now = new Date();
    const create = () => createAcmeJob(now);
    const [a, b, c] = [await create(), await create(), await create()];
    await store.jobs.transition(c.id, 'pending', 'cancelled', { reason: 'cancelled', actor: 'test', now });
    const reasons = [
      { id: a.id, reason: 'waiting: 8 × A100-80GB busy on hefei-1/a100' },
      { id: b.id, reason: 'quota: acme has used its month' },
      { id: c.id, reason: 'waiting' },
    ];
    expect(await store.jobs.setPendingReasons(reasons, now)).toBe(2);
    expect((await store.jobs.get(ALL, a.id))?.reason).toBe(reasons[0]!.reason);
    expect((await store.jobs.get(ALL, b.id))?.reason).toBe(reasons[1]!.reason);
    expect(await store.jobs.get(ALL, c.id)).toMatchObject({ state: 'cancelled', reason: 'cancelled' });
    expect(await store.jobs.setPendingReasons([], now)).toBe(0);
  });

  it('claims and moves many jobs in one statement each, only those still where the caller expects them', async () => {
    const now = new Date('2026-11-23T08:00:00Z');
    const later = new Date('2026-11-23T08:05:00Z');
    await store.federation.recordInventory(
      'hefei-1',
      [
        {
          id: 'hefei-1:a100',
          name: 'a100',
          acceleratorModel: 'A100-80GB',
          nodes: [{ name: 'n1', accelerators: 8, state: 'idle' as const }],
        },
      ],
      now,
    );
    const jobs = [];
    for (let i = 0; i < 4; i++) jobs.push(await createAcmeJob(now));
    const [a, b, c, d] = jobs.map((j) => j.id) as [string, string, string, string];
    const placement = (id: string) => ({
      id,
      clusterId: 'hefei-1',
      poolId: 'hefei-1:a100',
      nodeNames: ['n1'],
      attempt: 1,
      dispatchTag: `suanli-${id}-1`,
      reason: 'placed',
    });
    await store.jobs.admitMany([a, b, c].map(placement), 'plane', now);

    // Without the lease, nothing is claimed; with it, each admitted job once.
    expect(await store.jobs.claimDispatchMany([a, b], 'control-loop', 'plane', now)).toEqual([]);
    expect(await store.leases.acquire('control-loop', 'plane', 60_000)).not.toBeNull();
    expect((await store.jobs.claimDispatchMany([a, b, d], 'control-loop', 'plane', now)).sort()).toEqual([a, b].sort());
    expect(await store.jobs.claimDispatchMany([a, b], 'control-loop', 'plane', now)).toEqual([]);
    expect((await store.jobs.get(ALL, a))?.dispatchStartedAt).toEqual(now);

    const moved = await store.jobs.transitionMany(
      [
        { id: a, from: 'admitted', to: 'dispatched', reason: 'dispatched as 11', patch: { engineJobId: '11' } },
        { id: b, from: 'admitted', to: 'dispatched', reason: 'dispatched as 12', patch: { engineJobId: '12' } },
        // d is pending, not admitted: left alone.
        { id: d, from: 'admitted', to: 'dispatched', reason: 'dispatched as 13', patch: { engineJobId: '13' } },
      ],
      'plane',
      now,
    );
    expect(moved.sort()).toEqual([a, b].sort());
    expect(await store.jobs.get(ALL, d)).toMatchObject({ state: 'pending', engineJobId: null });
    expect(await store.jobs.get(ALL, a)).toMatchObject({
      state: 'dispatched',
      engineJobId: '11',
      reason: 'dispatched as 11',
    });

    // Runs start and end, with times, exit codes and the nodes; an ended run is queued for metering.
    await store.jobs.transitionMany(
      [
        { id: a, from: 'dispatched', to: 'running', reason: 'running', patch: { startedAt: now, nodeNames: ['n9'] } },
        { id: b, from: 'dispatched', to: 'running', reason: 'running', patch: { startedAt: now } },
      ],
      'plane',
      now,
    );
    expect(
      await store.jobs.transitionMany(
        [
          {
            id: a,
            from: 'running',
            to: 'failed',
            reason: 'exit code 3',
            patch: { endedAt: later, exitCode: 3 },
            meter: {
              clusterId: 'hefei-1',
              engineJobId: '11',
              poolId: 'hefei-1:a100',
              endedAt: later,
              outcome: 'failed',
            },
          },
          { id: b, from: 'running', to: 'cancelled', reason: 'cancelled', patch: { endedAt: later, exitCode: null } },
        ],
        'plane',
        later,
      ),
    ).toHaveLength(2);
    expect(await store.jobs.get(ALL, a)).toMatchObject({
      state: 'failed',
      startedAt: now,
      endedAt: later,
      exitCode: 3,
      nodeNames: ['n9'],
      engineJobId: '11',
      clusterId: 'hefei-1',
      attempt: 1,
    });
    expect(await store.jobs.get(ALL, b)).toMatchObject({ state: 'cancelled', nodeNames: ['n1'], exitCode: null });
    expect((await store.jobs.events(a)).map((e) => [e.from, e.to, e.actor])).toEqual([
      [null, 'pending', 'acme-admin'],
      ['pending', 'admitted', 'plane'],
      ['admitted', 'dispatched', 'plane'],
      ['dispatched', 'running', 'plane'],
      ['running', 'failed', 'plane'],
    ]);
    expect((await store.jobs.awaitingMetering('hefei-1')).map((m) => [m.jobId, m.engineJobId, m.outcome])).toEqual([
      [a, '11', 'failed'],
    ]);
    // The state machine holds here as in `transition`.
    await expect(
      store.jobs.transitionMany([{ id: c, from: 'admitted', to: 'succeeded', reason: 'no' }], 'plane', now),
    ).rejects.toThrow();
    expect(await store.jobs.transitionMany([], 'plane', now)).toEqual([]);
  });

  it('records a usage record once however often it is delivered, and sums exactly', async () => {
    const { job } = await store.jobs.create({
      tenantId: 'acme',
      projectId: 'acme-vision',
      submittedBy: 'acme-admin',
      spec,
      idempotencyKey: null,
      now: new Date(),
    });
    const record = {
      jobId: job.id,
      tenantId: 'acme',
      projectId: 'acme-vision',
      clusterId: 'hefei-1',
      poolId: 'hefei-1:h100',
      engineJobId: 'local-1',
      acceleratorModel: 'H100-SXM',
      acceleratorCount: 2,
      startedAt: new Date('2026-11-23T08:00:00Z'),
      endedAt: new Date('2026-11-23T09:00:00Z'),
      elapsedSeconds: 3600,
      acceleratorSeconds: 7200,
      // Larger than 2^53, to prove no float sneaks in on the way.
      gflop: 9_007_199_254_740_993n,
    };
    await store.db
      .insertInto('pools')
      .values({ id: 'hefei-1:h100', cluster_id: 'hefei-1', name: 'h100', accelerator_model: 'H100-SXM', nodes: '[]' })
      .execute();
    expect(await store.usage.record({ id: 'u1', ...record })).toBe(true);
    expect(await store.usage.record({ id: 'u2', ...record })).toBe(false);
    const rows = await store.usage.list(tenantScope('acme'));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.gflop).toBe(9_007_199_254_740_993n);
    expect(await store.usage.list(tenantScope('rival'))).toEqual([]);
    const totals = await store.usage.totals(ALL);
    expect(totals).toEqual([
      {
        tenantId: 'acme',
        acceleratorModel: 'H100-SXM',
        jobs: 1,
        acceleratorSeconds: 7200,
        gflop: 9_007_199_254_740_993n,
      },
    ]);
  });

  it('decays usage by half-life for fair share and sums the month for quotas', async () => {
    const { job } = await store.jobs.create({
      tenantId: 'acme',
      projectId: 'acme-vision',
      submittedBy: 'acme-admin',
      spec,
      idempotencyKey: null,
      now: new Date(),
    });
    await store.db
      .insertInto('pools')
      .values({ id: 'hefei-1:h100', cluster_id: 'hefei-1', name: 'h100', accelerator_model: 'H100-SXM', nodes: '[]' })
      .execute();
    const now = new Date('2026-11-23T12:00:00Z');
    const base = {
      jobId: job.id,
      tenantId: 'acme',
      projectId: 'acme-vision',
      clusterId: 'hefei-1',
      poolId: 'hefei-1:h100',
      acceleratorModel: 'H100-SXM',
      acceleratorCount: 1,
      startedAt: new Date('2026-10-01T00:00:00Z'),
      elapsedSeconds: 3600,
      acceleratorSeconds: 3600,
      gflop: 3_600_000_000n, // exactly 1 P·h
    };
    // One P·h that just ended, one that ended one half-life (168 h) ago, in October.
    await store.usage.record({ ...base, id: 'now', engineJobId: 'e1', endedAt: now });
    await store.usage.record({
      ...base,
      id: 'old',
      engineJobId: 'e2',
      endedAt: new Date(now.getTime() - 168 * 3600_000),
    });
    const [acme] = await store.usage.decayedByTenant(now, 168, new Date('2026-11-01T00:00:00+08:00'));
    expect(acme?.tenantId).toBe('acme');
    expect(acme?.decayedPh).toBeCloseTo(1.5, 9);
    expect(acme?.monthPh).toBe(2);
  });

  it('gives the lease to one holder at a time and hands it over on expiry', async () => {
    expect(await store.leases.acquire('control', 'a', 60_000)).toBe(1);
    expect(await store.leases.acquire('control', 'b', 60_000)).toBeNull();
    expect(await store.leases.acquire('control', 'a', 60_000)).toBe(1);
    expect(await store.leases.acquire('short', 'a', 1)).toBe(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(await store.leases.acquire('short', 'b', 60_000)).toBe(2);
  });

  it('resolves the price in force at a time', async () => {
    await store.db
      .insertInto('pools')
      .values({ id: 'hefei-1:h100', cluster_id: 'hefei-1', name: 'h100', accelerator_model: 'H100-SXM', nodes: '[]' })
      .execute();
    await store.federation.addPrice(
      'hefei-1:h100',
      1500,
      new Date('2026-01-01T00:00:00Z'),
      new Date('2026-07-01T00:00:00Z'),
    );
    await store.federation.addPrice('hefei-1:h100', 1200, new Date('2026-07-01T00:00:00Z'));
    expect((await store.federation.pricesAt(new Date('2026-03-01T00:00:00Z'))).get('hefei-1:h100')).toBe(1500);
    expect((await store.federation.pricesAt(new Date('2026-08-01T00:00:00Z'))).get('hefei-1:h100')).toBe(1200);
    expect((await store.federation.pricesAt(new Date('2025-08-01T00:00:00Z'))).has('hefei-1:h100')).toBe(false);
  });
});

// Two stores on one PostgreSQL database are two server processes.
describe('tokens across server processes [postgres]', () => {
  it('refuses a token revoked by another server process within TOKEN_CACHE_MS', async () => {
    const url = await freshPostgresDatabase(postgresUrl());
    const [here, there] = [await createStore({ databaseUrl: url }), await createStore({ databaseUrl: url })];
    try {
      await seed(here);
      await here.federation.addTokenHash('acme-admin', 'hash-2', 'test');
      expect(await there.federation.userByTokenHash('hash-2')).toMatchObject({ id: 'acme-admin' });
      await here.federation.revokeTokens('acme-admin', new Date());
      await new Promise((resolve) => setTimeout(resolve, TOKEN_CACHE_MS + 50));
      expect(await there.federation.userByTokenHash('hash-2')).toBeNull();
    } finally {
      await Promise.all([here.close(), there.close()]);
    }
  });
});
