/**
 * The console's read-only routes: the province overview (operator only) and the jobs at a provider (its own
 * administrators and the operator); and PATCH /tenants/:id, which verifies and re-categorises a tenant.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { HELLO_JOB, startPlatform, tickUntil, type TestPlatform } from '../helpers/platform.ts';

interface Overview {
  capacity: Record<
    'total' | 'byCity' | 'byProvider' | 'byModel' | 'byOrigin',
    unknown & { key?: string; capacityP?: string }
  > & {
    total: { capacityP: string; busyP: string; accelerators: number; busyAccelerators: number };
    byCity: Array<{ key: string; capacityP: string; busyAccelerators: number }>;
    byModel: Array<{ key: string; capacityP: string }>;
    byOrigin: Array<{ key: string; capacityP: string }>;
  };
  clusters: Array<{ id: string; healthy: boolean; city: string }>;
  utilisation: { stepSeconds: number; points: Array<{ at: string; busyP: number }> };
  queue: {
    byPriorityClass: Array<{ key: string; pending: number; started: number }>;
    byTenantCategory: Array<{ key: string; pending: number; started: number }>;
  };
  reservedShares: Array<{ group: string; nominalP: number; usedP: number; lentP: number; borrowedP: number }>;
}

const MLU_JOB = (name: string) => ({
  ...HELLO_JOB,
  metadata: { name, project: 'demo' },
  spec: {
    ...HELLO_JOB.spec,
    resources: { accelerator: { model: 'MLU370-X8' }, acceleratorsPerNode: 8 },
    script: 'sleep 60',
  },
});

describeEachDatabase('the console routes', (database) => {
  let store: Store;
  let platform: TestPlatform;
  const call = (user: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    platform.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${platform.token(user)}` },
      ...(payload ? { payload } : {}),
    });

  beforeAll(async () => {
    store = await database.open();
    platform = await startPlatform(store);
  });
  afterAll(async () => {
    await platform.close();
    await store.close();
  });

  it('gives the operator the province: capacity in exact P by city, model and origin, and healthy clusters', async () => {
    const response = await call('office', 'GET', '/api/v1/overview');
    expect(response.statusCode, response.body).toBe(200);
    const overview = response.json() as Overview;
    // 16 H100 + 16 910B + 16 A100 + 8 H800 + 8 MLU370 + 8 K100, at their catalogue FP16 TFLOPS.
    expect(overview.capacity.total).toMatchObject({ capacityP: '35.970304', busyP: '0', accelerators: 72 });
    expect(overview.capacity.byCity.map((c) => [c.key, c.capacityP])).toEqual([
      ['Wuhu', '21.494304'],
      ['Hefei', '12.908'],
      ['Suzhou', '1.568'],
    ]);
    expect(overview.capacity.byOrigin.map((o) => [o.key, o.capacityP])).toEqual([
      ['foreign', '28.74'],
      ['domestic', '7.230304'],
    ]);
    expect(overview.capacity.byModel.find((m) => m.key === 'H100-SXM')?.capacityP).toBe('15.832');
    expect(overview.clusters.map((c) => [c.id, c.healthy])).toEqual([
      ['hefei-1', true],
      ['suzhou-1', true],
      ['wuhu-1', true],
    ]);
    expect(overview.utilisation.points).toHaveLength(24);
    expect(overview.utilisation.stepSeconds).toBe(3600);
    expect(overview.queue.byPriorityClass.map((r) => r.key)).toEqual(['strategic', 'normal', 'best-effort']);
    expect(overview.queue.byTenantCategory.every((r) => r.pending === 0)).toBe(true);
    // Three reserved categories at 5% of the usable P each, the rest shared.
    expect(overview.reservedShares.map((r) => [r.group, r.nominalP])).toEqual([
      ['startup', 1.799],
      ['research-institute', 1.799],
      ['university', 1.799],
      ['shared', 30.575],
    ]);
  });

  it('counts running work, the queue by class and category, and the reserve a category uses', async () => {
    const first = await call('qiming-ai-admin', 'POST', '/api/v1/jobs', MLU_JOB('first'));
    expect(first.statusCode, first.body).toBe(201);
    const firstId = (first.json() as { id: string }).id;
    await tickUntil(platform.loop, async () => (await store.jobs.get({ kind: 'all' }, firstId))?.state === 'running');
    const second = await call('qiming-ai-admin', 'POST', '/api/v1/jobs', MLU_JOB('second'));
    const secondId = (second.json() as { id: string }).id;
    await platform.loop.tick();
    // A second of running is 1/30 of a 30-second step: enough to show at 3 decimals.
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const overview = (await call('office', 'GET', '/api/v1/overview?hours=1&buckets=120')).json() as Overview;
    expect(overview.capacity.total).toMatchObject({ busyP: '0.768', busyAccelerators: 8 });
    expect(overview.capacity.byCity.find((c) => c.key === 'Suzhou')?.busyAccelerators).toBe(8);
    expect(overview.utilisation.points).toHaveLength(120);
    // The running job counts in the last step, for the part of it that it has run.
    const last = overview.utilisation.points.at(-1)!.busyP;
    expect(last).toBeGreaterThan(0);
    expect(last).toBeLessThan(0.768);
    expect(overview.queue.byPriorityClass.find((r) => r.key === 'normal')).toMatchObject({ pending: 1, started: 1 });
    expect(overview.queue.byTenantCategory.find((r) => r.key === 'startup')).toMatchObject({ pending: 1, started: 1 });
    expect(overview.reservedShares.find((r) => r.group === 'startup')).toMatchObject({ usedP: 0.768, borrowedP: 0 });

    // The provider hosting it sees it; another provider's administrator may not look.
    const atSuzhou = await call('office', 'GET', '/api/v1/providers/suzhou-wanbei/jobs');
    expect(atSuzhou.statusCode, atSuzhou.body).toBe(200);
    expect((atSuzhou.json() as { items: unknown[] }).items).toEqual([
      expect.objectContaining({
        id: firstId,
        tenantId: 'qiming-ai',
        state: 'running',
        poolId: 'suzhou-1:mlu370',
        acceleratorModel: 'MLU370-X8',
        accelerators: 8,
      }),
    ]);
    expect((await call('wuhu-admin', 'GET', '/api/v1/providers/suzhou-wanbei/jobs')).statusCode).toBe(403);
    const own = await call('wuhu-admin', 'GET', '/api/v1/providers/wuhu-hub/jobs');
    expect(own.statusCode).toBe(200);
    expect((own.json() as { items: unknown[] }).items).toEqual([]);

    for (const id of [firstId, secondId]) await call('qiming-ai-admin', 'POST', `/api/v1/jobs/${id}/cancel`);
    await tickUntil(
      platform.loop,
      async () => (await store.jobs.inStates(['pending', 'admitted', 'dispatched', 'running'])).length === 0,
    );
  });

  it('refuses the overview to everyone but the operator, and provider jobs to tenants', async () => {
    for (const user of ['wuhu-admin', 'qiming-ai-admin', 'qiming-ai-dev']) {
      const response = await call(user, 'GET', '/api/v1/overview');
      expect(response.statusCode, user).toBe(403);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    expect((await call('qiming-ai-admin', 'GET', '/api/v1/providers/wuhu-hub/jobs')).statusCode).toBe(403);
    expect((await call('office', 'GET', '/api/v1/providers/nowhere/jobs')).statusCode).toBe(404);
    expect((await call('office', 'GET', '/api/v1/overview?buckets=0')).statusCode).toBe(400);
  });

  it('lets the operator verify a tenant and change its category, and no one else', async () => {
    await store.federation.upsertTenant({
      id: 'new-lab',
      name: 'New Lab',
      category: 'enterprise',
      regions: ['anhui'],
      verified: false,
      organisation: 'New Lab',
    });
    const patched = await call('office', 'PATCH', '/api/v1/tenants/new-lab', {
      verified: true,
      category: 'university',
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ id: 'new-lab', verified: true, category: 'university', name: 'New Lab' });
    expect((await store.federation.listTenants()).find((t) => t.id === 'new-lab')).toMatchObject({
      verified: true,
      category: 'university',
      regions: ['anhui'],
    });
    expect((await call('qiming-ai-admin', 'PATCH', '/api/v1/tenants/qiming-ai', { verified: true })).statusCode).toBe(
      403,
    );
    expect((await call('office', 'PATCH', '/api/v1/tenants/nobody', { verified: true })).statusCode).toBe(404);
    expect((await call('office', 'PATCH', '/api/v1/tenants/new-lab', {})).statusCode).toBe(400);
    expect((await call('office', 'PATCH', '/api/v1/tenants/new-lab', { category: 'alien' })).statusCode).toBe(400);
    expect((await call('office', 'PATCH', '/api/v1/tenants/new-lab', { name: 'Renamed' })).statusCode).toBe(400);
  });

  it('documents the new routes in the OpenAPI document', async () => {
    const doc = (await platform.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(doc.paths['/api/v1/overview'] ?? {})).toContain('get');
    expect(Object.keys(doc.paths['/api/v1/providers/{providerId}/jobs'] ?? {})).toContain('get');
    expect(Object.keys(doc.paths['/api/v1/tenants/{tenantId}'] ?? {})).toContain('patch');
  });
});

describeEachDatabase('the overview under a configured policy', (database) => {
  it('shows the reserved shares of the policy the loop schedules with', async () => {
    const { DEFAULT_POLICY } = await import('../../src/core/scheduler/index.ts');
    const store = await database.open();
    const platform = await startPlatform(store, {
      policyConfig: {
        ...DEFAULT_POLICY,
        reserved: { startup: { basisPoints: 2000, lendingLimitBasisPoints: 10_000 } },
      },
    });
    try {
      const response = await platform.app.inject({
        method: 'GET',
        url: '/api/v1/overview',
        headers: { authorization: `Bearer ${platform.token('office')}` },
      });
      expect(response.statusCode, response.body).toBe(200);
      // 20% of the usable P (35.97), no other reserved category: the rest is shared.
      expect((response.json() as Overview).reservedShares.map((r) => [r.group, r.nominalP])).toEqual([
        ['startup', 7.194],
        ['shared', 28.776],
      ]);
    } finally {
      await platform.close();
      await store.close();
    }
  });
});
