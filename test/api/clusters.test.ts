/** Connecting clusters and pricing pools: who may, what is checked, and what the scheduler then sees. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { startPlatform, type TestPlatform } from '../helpers/platform.ts';

describeEachDatabase('cluster onboarding and prices', (database) => {
  let store: Store;
  let platform: TestPlatform;
  const post = (user: string, url: string, payload: object) =>
    platform.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${platform.token(user)}` }, payload });
  const get = (user: string, url: string) =>
    platform.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${platform.token(user)}` } });
  const localCluster = (id: string, providerId = 'wuhu-hub') => ({
    id,
    providerId,
    engine: 'local',
    config: {
      workDir: `${platform.dataDir}/engines/${id}`,
      pools: [{ name: 'l40s', acceleratorModel: 'L40S', nodes: [{ name: `${id}-n1`, accelerators: 4 }] }],
    },
  });
  beforeAll(async () => {
    store = await database.open();
    platform = await startPlatform(store);
  });
  afterAll(async () => {
    await platform.close();
    await store.close();
  });

  it('probes a cluster, shows what it found, and registers it only when asked', async () => {
    const dry = await post('wuhu-admin', '/api/v1/clusters', { ...localCluster('wuhu-2'), dryRun: true });
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json()).toEqual({
      registered: false,
      pools: [{ name: 'l40s', acceleratorModel: 'L40S', nodes: 1, accelerators: 4 }],
    });
    expect(await store.federation.getCluster('wuhu-2')).toBeNull();

    const created = await post('wuhu-admin', '/api/v1/clusters', localCluster('wuhu-2'));
    expect(created.statusCode, created.body).toBe(201);
    const clusters = (await get('qiming-ai-admin', '/api/v1/clusters')).json<{
      items: Array<{ id: string; pools: Array<{ acceleratorModel: string; accelerators: number }> }>;
    }>();
    const wuhu2 = clusters.items.find((c) => c.id === 'wuhu-2');
    expect(wuhu2?.pools).toEqual([expect.objectContaining({ acceleratorModel: 'L40S', accelerators: 4 })]);
    expect((await post('wuhu-admin', '/api/v1/clusters', localCluster('wuhu-2'))).statusCode).toBe(409);
  });

  it('keeps a provider-admin to its own provider and tenants out', async () => {
    expect((await post('wuhu-admin', '/api/v1/clusters', localCluster('hefei-9', 'hefei-aicc'))).statusCode).toBe(403);
    expect((await post('qiming-ai-admin', '/api/v1/clusters', localCluster('x-1'))).statusCode).toBe(403);
    expect((await post('office', '/api/v1/clusters', localCluster('hefei-9', 'hefei-aicc'))).statusCode).toBe(201);
  });

  it('refuses a configuration the engine cannot use, naming it, and stores nothing', async () => {
    const bad = localCluster('wuhu-bad');
    bad.config.pools[0]!.nodes.push({ name: 'wuhu-bad-n1', accelerators: 4 });
    const response = await post('wuhu-admin', '/api/v1/clusters', bad);
    expect(response.statusCode).toBe(400);
    expect(response.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toBe('config');
    expect(await store.federation.getCluster('wuhu-bad')).toBeNull();
  });

  it('adds price versions that the platform then uses, for the pool’s own provider only', async () => {
    const url = '/api/v1/pools/wuhu-1:h100/prices';
    const added = await post('wuhu-admin', url, {
      fenPerAcceleratorHour: 1650,
      validFrom: '2026-11-01T00:00:00+08:00',
    });
    expect(added.statusCode, added.body).toBe(201);
    const versions = (await get('wuhu-admin', url)).json<{
      items: Array<{ fenPerAcceleratorHour: number; createdBy: string }>;
    }>();
    expect(versions.items.map((p) => [p.fenPerAcceleratorHour, p.createdBy])).toEqual([
      [1800, 'seed'],
      [1650, 'wuhu-admin'],
    ]);
    const clusters = (await get('qiming-ai-admin', '/api/v1/clusters')).json<{
      items: Array<{ id: string; pools: Array<{ name: string; fenPerAcceleratorHour: number | null }> }>;
    }>();
    const h100 = clusters.items.find((c) => c.id === 'wuhu-1')?.pools.find((p) => p.name === 'h100');
    expect(h100?.fenPerAcceleratorHour).toBe(1650);

    expect(
      (
        await post('wuhu-admin', '/api/v1/pools/hefei-1:a100/prices', {
          fenPerAcceleratorHour: 1,
          validFrom: '2026-11-01T00:00:00Z',
        })
      ).statusCode,
    ).toBe(403);
    const backwards = await post('wuhu-admin', url, {
      fenPerAcceleratorHour: 1700,
      validFrom: '2027-01-01T00:00:00Z',
      validTo: '2026-12-01T00:00:00Z',
    });
    expect(backwards.statusCode).toBe(400);
    expect(
      (await post('wuhu-admin', url, { fenPerAcceleratorHour: 12.5, validFrom: '2027-01-01T00:00:00Z' })).statusCode,
    ).toBe(400);
    expect((await get('wuhu-admin', url)).json<{ items: unknown[] }>().items).toHaveLength(2);
  });
});
