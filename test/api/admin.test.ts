/** Onboarding through the API: providers, tenants, projects, users and tokens, with who may do what. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { HELLO_JOB, startPlatform, type TestPlatform } from '../helpers/platform.ts';

describeEachDatabase('onboarding API', (database) => {
  let store: Store;
  let platform: TestPlatform;
  const as = (user: string) => ({ authorization: `Bearer ${platform.token(user)}` });
  beforeAll(async () => {
    store = await database.open();
    platform = await startPlatform(store);
  });
  afterAll(async () => {
    await platform.close();
    await store.close();
  });

  it('lets the operator onboard a tenant whose new admin then creates a member who can submit', async () => {
    const tenant = {
      id: 'huaibei-robotics',
      name: 'Huaibei Robotics',
      category: 'startup',
      regions: ['anhui', 'wanbei'],
      verified: true,
      organisation: 'Huaibei Robotics Ltd.',
    };
    const created = await platform.app.inject({
      method: 'POST',
      url: '/api/v1/tenants',
      headers: as('office'),
      payload: tenant,
    });
    expect(created.statusCode).toBe(201);
    const again = await platform.app.inject({
      method: 'POST',
      url: '/api/v1/tenants',
      headers: as('office'),
      payload: tenant,
    });
    expect(again.statusCode).toBe(409);

    const admin = await platform.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: as('office'),
      payload: { name: 'hb-admin', role: 'tenant-admin', tenantId: 'huaibei-robotics' },
    });
    expect(admin.statusCode).toBe(201);
    const adminToken = await platform.app.inject({
      method: 'POST',
      url: '/api/v1/users/hb-admin/tokens',
      headers: as('office'),
    });
    expect(adminToken.statusCode).toBe(201);
    const hbAdmin = { authorization: `Bearer ${adminToken.json<{ token: string }>().token}` };

    expect(
      (
        await platform.app.inject({
          method: 'POST',
          url: '/api/v1/tenants/huaibei-robotics/projects',
          headers: hbAdmin,
          payload: { name: 'demo' },
        })
      ).statusCode,
    ).toBe(201);
    const member = await platform.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: hbAdmin,
      payload: { name: 'hb-dev', role: 'tenant-member', tenantId: 'huaibei-robotics' },
    });
    expect(member.statusCode).toBe(201);
    const memberToken = await platform.app.inject({
      method: 'POST',
      url: '/api/v1/users/hb-dev/tokens?label=laptop',
      headers: hbAdmin,
    });
    const hbDev = { authorization: `Bearer ${memberToken.json<{ token: string }>().token}` };
    const submitted = await platform.app.inject({
      method: 'POST',
      url: '/api/v1/jobs',
      headers: hbDev,
      payload: HELLO_JOB,
    });
    expect(submitted.statusCode).toBe(201);
    expect(submitted.json<{ tenantId: string }>().tenantId).toBe('huaibei-robotics');

    // Revoked tokens stop working at once.
    const revoked = await platform.app.inject({
      method: 'POST',
      url: '/api/v1/users/hb-dev/tokens/revoke',
      headers: hbAdmin,
    });
    expect(revoked.json()).toEqual({ revoked: 1 });
    expect((await platform.app.inject({ method: 'GET', url: '/api/v1/jobs', headers: hbDev })).statusCode).toBe(401);
  });

  it('keeps tenant admins inside their own tenant and onboarding with the office', async () => {
    const post = (url: string, user: string, payload: object) =>
      platform.app.inject({ method: 'POST', url, headers: as(user), payload });
    // Another tenant's admin cannot add users or projects to qiming-ai, nor issue tokens for its users.
    expect(
      (
        await post('/api/v1/users', 'zhiyuan-llm-admin', {
          name: 'intruder',
          role: 'tenant-member',
          tenantId: 'qiming-ai',
        })
      ).statusCode,
    ).toBe(403);
    expect((await post('/api/v1/tenants/qiming-ai/projects', 'zhiyuan-llm-admin', { name: 'x' })).statusCode).toBe(403);
    expect((await post('/api/v1/users/qiming-ai-dev/tokens', 'zhiyuan-llm-admin', {})).statusCode).toBe(404);
    // Only the office registers tenants and providers, and creates operators.
    expect(
      (await post('/api/v1/tenants', 'qiming-ai-admin', { id: 'x', name: 'x', category: 'startup', organisation: 'x' }))
        .statusCode,
    ).toBe(403);
    expect((await post('/api/v1/users', 'qiming-ai-admin', { name: 'boss', role: 'operator' })).statusCode).toBe(403);
    expect(
      (await post('/api/v1/users', 'qiming-ai-dev', { name: 'friend', role: 'tenant-member', tenantId: 'qiming-ai' }))
        .statusCode,
    ).toBe(403);
    // Any user may issue a token for itself.
    expect((await post('/api/v1/users/qiming-ai-dev/tokens', 'qiming-ai-dev', {})).statusCode).toBe(201);
    // A tenant-admin sees only its tenant.
    const tenants = await platform.app.inject({
      method: 'GET',
      url: '/api/v1/tenants',
      headers: as('qiming-ai-admin'),
    });
    expect(tenants.json<{ items: Array<{ id: string }> }>().items.map((t) => t.id)).toEqual(['qiming-ai']);
  });

  it('names the bad field and stores nothing on malformed onboarding requests', async () => {
    const before = (await store.federation.listTenants()).length;
    const bad = await platform.app.inject({
      method: 'POST',
      url: '/api/v1/tenants',
      headers: as('office'),
      payload: { id: 'Bad Id', name: 'x', category: 'pirates', organisation: 'x', colour: 'red' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    const fields = bad.json<{ errors: Array<{ field: string }> }>().errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['id', 'category', 'colour']));
    expect((await store.federation.listTenants()).length).toBe(before);
    const user = await platform.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: as('office'),
      payload: { name: 'lost-member', role: 'tenant-member' },
    });
    expect(user.statusCode).toBe(400);
    expect(user.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toBe('tenantId');
    expect(await store.federation.getUser('lost-member')).toBeNull();
  });
});
