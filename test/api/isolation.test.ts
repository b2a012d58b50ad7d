/**
 * Tenant isolation and roles on the job and usage routes: another tenant's token sees none of qiming-ai's job or
 * usage (404, never 403, so ids do not leak), the operator sees everything, and each role may do only what the
 * permission table grants.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { ALL, type Store } from '../../src/store/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { HELLO_JOB, startPlatform, tickUntil, type TestPlatform } from '../helpers/platform.ts';

interface JobBody {
  id: string;
  state: string;
  tenantId: string;
  submittedBy: string;
  cancelRequested: boolean;
}
interface UsageBody {
  items: Array<{ id: string; jobId: string }>;
  totals: Array<{ tenantId: string; jobs: number }>;
}

function expectProblem(res: LightMyRequestResponse, status: number): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json<{ status: number; type: string; detail: string }>();
  expect(body.status).toBe(status);
  expect(body.type).toMatch(/^\/problems\//);
  expect(body.detail).toBeTruthy();
}

describeEachDatabase('API: tenant isolation and roles', (db) => {
  let store: Store;
  let p: TestPlatform;
  let jobId: string;
  let otherJobId: string;

  const as = (user: string) => ({ authorization: `Bearer ${p.token(user)}` });
  const get = (user: string, url: string) => p.app.inject({ method: 'GET', url, headers: as(user) });
  const post = (user: string, url: string, payload?: object): Promise<LightMyRequestResponse> => {
    const options: InjectOptions = { method: 'POST', url, headers: as(user) };
    if (payload !== undefined) options.payload = payload;
    return p.app.inject(options);
  };
  const state = async (id: string) => (await store.jobs.get(ALL, id))?.state;

  beforeAll(async () => {
    store = await db.open();
    p = await startPlatform(store);
    // qiming-ai runs a job to the end, so that it has a usage record too.
    const submitted = await post('qiming-ai-admin', '/api/v1/jobs', HELLO_JOB);
    expect(submitted.statusCode, submitted.body).toBe(201);
    jobId = submitted.json<JobBody>().id;
    // zhiyuan-llm has a job of its own, to show that its own reads still work.
    const other = await post('zhiyuan-llm-admin', '/api/v1/jobs', {
      ...HELLO_JOB,
      spec: { ...HELLO_JOB.spec, script: 'echo zhiyuan' },
    });
    expect(other.statusCode, other.body).toBe(201);
    otherJobId = other.json<JobBody>().id;
    await tickUntil(p.loop, async () => {
      const [a, b] = await Promise.all([
        get('office', `/api/v1/jobs/${jobId}`),
        get('office', `/api/v1/jobs/${otherJobId}`),
      ]);
      return a.json<JobBody>().state === 'succeeded' && b.json<JobBody>().state === 'succeeded';
    });
  });

  afterAll(async () => {
    await p?.close();
    await store?.close();
  });

  describe('another tenant', () => {
    it('gets 404 for the job, its logs and its cancellation', async () => {
      expectProblem(await get('zhiyuan-llm-admin', `/api/v1/jobs/${jobId}`), 404);
      expectProblem(await get('zhiyuan-llm-admin', `/api/v1/jobs/${jobId}/logs`), 404);
      expectProblem(await post('zhiyuan-llm-admin', `/api/v1/jobs/${jobId}/cancel`), 404);
      // The owner still reads it: the 404 is the scope, not a missing job.
      expect((await get('qiming-ai-admin', `/api/v1/jobs/${jobId}`)).statusCode).toBe(200);
      expect((await get('qiming-ai-admin', `/api/v1/jobs/${jobId}/logs`)).body).toContain('done');
      expect((await get('zhiyuan-llm-admin', `/api/v1/jobs/${otherJobId}`)).statusCode).toBe(200);
    });

    it('does not see the job in the list, in any state filter', async () => {
      for (const query of ['', '?state=succeeded', '?state=pending,running,succeeded&limit=1000']) {
        const res = await get('zhiyuan-llm-admin', `/api/v1/jobs${query}`);
        expect(res.statusCode).toBe(200);
        const items = res.json<{ items: JobBody[] }>().items;
        expect(items.map((j) => j.id)).not.toContain(jobId);
        expect(items.every((j) => j.tenantId === 'zhiyuan-llm')).toBe(true);
      }
      const own = await get('zhiyuan-llm-admin', '/api/v1/jobs');
      expect(own.json<{ items: JobBody[] }>().items.map((j) => j.id)).toEqual([otherJobId]);
    });

    it('reads none of its usage records or totals, also when asking by job id', async () => {
      const mine = (await get('qiming-ai-admin', '/api/v1/usage')).json<UsageBody>();
      expect(mine.items.map((r) => r.jobId)).toEqual([jobId]);
      expect(mine.totals.map((t) => t.tenantId)).toEqual(['qiming-ai']);

      const all = await get('zhiyuan-llm-admin', '/api/v1/usage');
      expect(all.statusCode).toBe(200);
      const body = all.json<UsageBody>();
      expect(body.items.map((r) => r.jobId)).toEqual([otherJobId]);
      expect(body.totals.map((t) => t.tenantId)).toEqual(['zhiyuan-llm']);

      const byJob = await get('zhiyuan-llm-admin', `/api/v1/usage?jobId=${jobId}`);
      expect(byJob.statusCode).toBe(200);
      expect(byJob.json<UsageBody>().items).toEqual([]);
      expect(byJob.json<UsageBody>().totals.some((t) => t.tenantId === 'qiming-ai')).toBe(false);
    });

    it('cannot cancel a running job of another tenant either', async () => {
      const running = await post('qiming-ai-admin', '/api/v1/jobs', {
        ...HELLO_JOB,
        metadata: { name: 'long', project: 'research' },
        spec: { ...HELLO_JOB.spec, script: 'sleep 30' },
      });
      expect(running.statusCode).toBe(201);
      const id = running.json<JobBody>().id;
      expectProblem(await post('zhiyuan-llm-admin', `/api/v1/jobs/${id}/cancel`), 404);
      expect((await get('office', `/api/v1/jobs/${id}`)).json<JobBody>().cancelRequested).toBe(false);
      // Clean up: the owner cancels it while it is still pending.
      expect((await post('qiming-ai-admin', `/api/v1/jobs/${id}/cancel`)).statusCode).toBe(202);
      await tickUntil(p.loop, async () => (await state(id)) === 'cancelled');
    });
  });

  describe('usage windows', () => {
    it('filters by end time and rejects a time that is not ISO-8601, naming the field', async () => {
      const future = new Date(Date.now() + 3_600_000).toISOString();
      const later = (await get('qiming-ai-admin', `/api/v1/usage?from=${future}`)).json<UsageBody>();
      expect(later).toEqual({ items: [], totals: [] });
      const earlier = (await get('qiming-ai-admin', `/api/v1/usage?to=${future}`)).json<UsageBody>();
      expect(earlier.items.map((r) => r.jobId)).toEqual([jobId]);
      for (const field of ['from', 'to']) {
        // Not a time at all, and a time JavaScript can hold but PostgreSQL cannot.
        for (const value of ['yesterday', '-271821-04-20T00:00:00Z', '+275760-09-13T00:00:00Z']) {
          const res = await get('qiming-ai-admin', `/api/v1/usage?${field}=${encodeURIComponent(value)}`);
          expectProblem(res, 400);
          expect(res.json<{ errors: Array<{ field: string }> }>().errors.map((e) => e.field)).toEqual([field]);
        }
      }
    });
  });

  describe('the operator', () => {
    it('sees every tenant’s jobs and usage', async () => {
      const job = await get('office', `/api/v1/jobs/${jobId}`);
      expect(job.statusCode).toBe(200);
      expect(job.json<JobBody>().tenantId).toBe('qiming-ai');
      expect((await get('office', `/api/v1/jobs/${jobId}/logs`)).body).toContain('done');

      const list = (await get('office', '/api/v1/jobs?limit=1000')).json<{ items: JobBody[] }>().items;
      expect(list.map((j) => j.id)).toEqual(expect.arrayContaining([jobId, otherJobId]));

      const usage = (await get('office', '/api/v1/usage')).json<UsageBody>();
      expect(usage.items.map((r) => r.jobId).sort()).toEqual([jobId, otherJobId].sort());
      expect(usage.totals.map((t) => t.tenantId).sort()).toEqual(['qiming-ai', 'zhiyuan-llm']);
      const byJob = (await get('office', `/api/v1/usage?jobId=${jobId}`)).json<UsageBody>();
      expect(byJob.items.map((r) => r.jobId)).toEqual([jobId]);
      // Totals cover the same records as the items: one job of one tenant.
      expect(byJob.totals.map((t) => t.tenantId)).toEqual(['qiming-ai']);
      expect(byJob.totals.reduce((n, t) => n + t.jobs, 0)).toBe(1);
    });

    it('may not submit jobs (403), but may cancel any tenant’s job', async () => {
      expectProblem(await post('office', '/api/v1/jobs', HELLO_JOB), 403);
      const res = await post('qiming-ai-admin', '/api/v1/jobs', {
        ...HELLO_JOB,
        spec: { ...HELLO_JOB.spec, script: 'sleep 30' },
      });
      const id = res.json<JobBody>().id;
      const cancel = await post('office', `/api/v1/jobs/${id}/cancel`);
      expect(cancel.statusCode, cancel.body).toBe(202);
      expect(cancel.json<JobBody>().cancelRequested).toBe(true);
      await tickUntil(p.loop, async () => (await state(id)) === 'cancelled');
    });
  });

  describe('roles', () => {
    it('a tenant-member may not read usage', async () => {
      expectProblem(await get('qiming-ai-dev', '/api/v1/usage'), 403);
      expectProblem(await get('qiming-ai-dev', `/api/v1/usage?jobId=${jobId}`), 403);
    });

    it('a tenant-member may read its tenant’s jobs and cancel only its own', async () => {
      const admins = await post('qiming-ai-admin', '/api/v1/jobs', {
        ...HELLO_JOB,
        spec: { ...HELLO_JOB.spec, script: 'sleep 30' },
      });
      const adminJob = admins.json<JobBody>().id;
      const devs = await post('qiming-ai-dev', '/api/v1/jobs', {
        ...HELLO_JOB,
        spec: { ...HELLO_JOB.spec, script: 'sleep 30' },
      });
      expect(devs.statusCode, devs.body).toBe(201);
      const devJob = devs.json<JobBody>();
      expect(devJob.submittedBy).toBe('qiming-ai-dev');

      expect((await get('qiming-ai-dev', `/api/v1/jobs/${adminJob}`)).statusCode).toBe(200);
      expectProblem(await post('qiming-ai-dev', `/api/v1/jobs/${adminJob}/cancel`), 403);
      expect((await get('office', `/api/v1/jobs/${adminJob}`)).json<JobBody>().cancelRequested).toBe(false);

      const own = await post('qiming-ai-dev', `/api/v1/jobs/${devJob.id}/cancel`);
      expect(own.statusCode, own.body).toBe(202);
      expect(own.json<JobBody>().cancelRequested).toBe(true);
      // The tenant-admin may cancel anyone's job in its tenant.
      expect((await post('qiming-ai-admin', `/api/v1/jobs/${adminJob}/cancel`)).statusCode).toBe(202);
      await tickUntil(
        p.loop,
        async () => (await state(devJob.id)) === 'cancelled' && (await state(adminJob)) === 'cancelled',
      );
    });

    it('a provider-admin may not submit jobs and sees no tenant data', async () => {
      expectProblem(await post('wuhu-admin', '/api/v1/jobs', HELLO_JOB), 403);
      expectProblem(await post('wuhu-admin', '/api/v1/jobs/batch', { jobs: [HELLO_JOB] }), 403);
      expectProblem(await get('wuhu-admin', '/api/v1/jobs'), 403);
      expectProblem(await get('wuhu-admin', '/api/v1/usage'), 403);
      expectProblem(await get('wuhu-admin', `/api/v1/jobs/${jobId}`), 403);
      expect((await get('wuhu-admin', '/api/v1/clusters')).statusCode).toBe(200);
    });

    it('no token or an unknown token gets 401 problem+json on every API route', async () => {
      const routes: Array<['GET' | 'POST', string]> = [
        ['GET', '/api/v1/jobs'],
        ['POST', '/api/v1/jobs'],
        ['POST', '/api/v1/jobs/batch'],
        ['GET', `/api/v1/jobs/${jobId}`],
        ['POST', `/api/v1/jobs/${jobId}/cancel`],
        ['GET', `/api/v1/jobs/${jobId}/logs`],
        ['GET', '/api/v1/usage'],
        ['GET', '/api/v1/clusters'],
        ['GET', '/api/v1/whoami'],
      ];
      for (const [method, url] of routes) {
        for (const headers of [
          {},
          { authorization: 'Bearer sl_not-a-real-token' },
          { authorization: `Basic ${p.token('qiming-ai-admin')}` },
        ]) {
          const res = await p.app.inject({
            method,
            url,
            headers,
            ...(method === 'POST' && url.endsWith('/jobs') ? { payload: HELLO_JOB } : {}),
            ...(method === 'POST' && url.endsWith('/batch') ? { payload: { jobs: [HELLO_JOB] } } : {}),
          });
          expectProblem(res, 401);
        }
      }
      const before = await store.db
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      await p.app.inject({ method: 'POST', url: '/api/v1/jobs', payload: HELLO_JOB });
      await p.app.inject({ method: 'POST', url: '/api/v1/jobs/batch', payload: { jobs: [HELLO_JOB] } });
      const after = await store.db
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(after.n)).toBe(Number(before.n));
    });

    it('whoami names the caller', async () => {
      const res = await get('qiming-ai-dev', '/api/v1/whoami');
      expect(res.json()).toEqual({
        id: 'qiming-ai-dev',
        name: 'qiming-ai-dev',
        role: 'tenant-member',
        tenantId: 'qiming-ai',
        providerId: null,
      });
    });
  });
});
