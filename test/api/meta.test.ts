/**
 * The routes around the job API: health, readiness, metrics, the clusters view, and the OpenAPI document (valid
 * OpenAPI 3.1, documenting the job routes with the JobSpec body) with its /docs page.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { Store } from '../../src/store/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { HELLO_JOB, startPlatform, tickUntil, type TestPlatform } from '../helpers/platform.ts';

interface PoolBody {
  id: string;
  name: string;
  acceleratorModel: string;
  domestic: boolean;
  accelerators: number;
  freeAccelerators: number;
  capacityP: string;
  fenPerAcceleratorHour: number | null;
  nodes: Array<{ name: string; accelerators: number; free: number; state: string }>;
}
interface ClusterBody {
  id: string;
  name: string;
  engine: string;
  healthy: boolean;
  provider: { id: string; name: string; city: string; regions: string[] };
  capacityP: string;
  accelerators: number;
  freeAccelerators: number;
  pools: PoolBody[];
}
type OpenApi = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components?: { schemas?: Record<string, unknown> };
};

describeEachDatabase('API: meta, clusters and OpenAPI', (db) => {
  let store: Store;
  let p: TestPlatform;
  const auth = (user: string) => ({ authorization: `Bearer ${p.token(user)}` });

  beforeAll(async () => {
    store = await db.open();
    p = await startPlatform(store);
  });

  afterAll(async () => {
    await p?.close();
    await store?.close();
  });

  it('answers /healthz and /readyz (with the database kind) without a token', async () => {
    const health = await p.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
    const ready = await p.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', database: db.kind });
  });

  it('exposes Prometheus metrics: jobs by state and HTTP latency', async () => {
    const submitted = await p.app.inject({
      method: 'POST',
      url: '/api/v1/jobs',
      headers: auth('qiming-ai-admin'),
      payload: { ...HELLO_JOB, spec: { ...HELLO_JOB.spec, script: 'sleep 30' } },
    });
    expect(submitted.statusCode).toBe(201);
    await p.app.inject({ method: 'GET', url: '/healthz' });
    const res = await p.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/^suanli_jobs\{state="pending"\} 1$/m);
    expect(res.body).toContain('suanli_http_request_duration_seconds_bucket{');
    expect(res.body).toMatch(
      /suanli_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} \d+/,
    );
    expect(res.body).toMatch(
      /suanli_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/jobs",status="201"\} 1/,
    );
    expect(res.body).toContain('suanli_process_');

    const id = submitted.json<{ id: string }>().id;
    await p.app.inject({ method: 'POST', url: `/api/v1/jobs/${id}/cancel`, headers: auth('qiming-ai-admin') });
    await tickUntil(p.loop, async () => (await store.jobs.inStates(['pending'])).length === 0);
    const after = await p.app.inject({ method: 'GET', url: '/metrics' });
    expect(after.body).toMatch(/^suanli_jobs\{state="cancelled"\} 1$/m);
    expect(after.body).not.toMatch(/^suanli_jobs\{state="pending"\}/m);
  });

  it('lists the demo clusters with pools, capacity in P and prices', async () => {
    const res = await p.app.inject({ method: 'GET', url: '/api/v1/clusters', headers: auth('qiming-ai-dev') });
    expect(res.statusCode, res.body).toBe(200);
    const clusters = res.json<{ items: ClusterBody[] }>().items;
    expect(clusters.map((c) => c.id).sort()).toEqual(['hefei-1', 'suzhou-1', 'wuhu-1']);

    const wuhu = clusters.find((c) => c.id === 'wuhu-1')!;
    expect(wuhu).toMatchObject({
      engine: 'local',
      healthy: true,
      provider: { id: 'wuhu-hub', name: 'Wuhu Hub Computing Centre', city: 'Wuhu', regions: ['anhui', 'wuhu'] },
      accelerators: 32,
    });
    expect(wuhu.pools.map((pl) => pl.name).sort()).toEqual(['910b', 'h100']);
    const h100 = wuhu.pools.find((pl) => pl.name === 'h100')!;
    expect(h100).toMatchObject({
      id: 'wuhu-1:h100',
      acceleratorModel: 'H100-SXM',
      domestic: false,
      accelerators: 16,
      fenPerAcceleratorHour: 1800,
    });
    expect(h100.nodes.map((n) => n.name)).toEqual(['wuhu-h100-n1', 'wuhu-h100-n2']);
    const ascend = wuhu.pools.find((pl) => pl.name === '910b')!;
    expect(ascend).toMatchObject({ acceleratorModel: 'Ascend-910B', domestic: true, fenPerAcceleratorHour: 900 });

    for (const cluster of clusters) {
      expect(cluster.capacityP).toMatch(/^\d+(\.\d+)?$/);
      expect(Number(cluster.capacityP)).toBeGreaterThan(0);
      // The cluster's capacity is the sum of its pools' (exact decimals; compare rounded).
      const sum = cluster.pools.reduce((s, pl) => s + Number(pl.capacityP), 0);
      expect(Number(cluster.capacityP)).toBeCloseTo(sum, 6);
      for (const pool of cluster.pools) {
        expect(typeof pool.capacityP).toBe('string');
        expect(pool.capacityP).toMatch(/^\d+(\.\d+)?$/);
        expect(Number.isInteger(pool.fenPerAcceleratorHour)).toBe(true);
        expect(pool.freeAccelerators).toBeLessThanOrEqual(pool.accelerators);
        expect(pool.accelerators).toBe(pool.nodes.reduce((s, n) => s + n.accelerators, 0));
      }
    }
    const prices = Object.fromEntries(clusters.flatMap((c) => c.pools.map((pl) => [pl.id, pl.fenPerAcceleratorHour])));
    expect(prices).toEqual({
      'wuhu-1:h100': 1800,
      'wuhu-1:910b': 900,
      'hefei-1:a100': 800,
      'hefei-1:h800': 1600,
      'suzhou-1:mlu370': 400,
      'suzhou-1:k100': 500,
    });
    // 16 H100-SXM at 0.989 PFLOPS dense FP16 each, if the catalogue says so: at least a plausible, non-zero figure.
    expect(Number(h100.capacityP)).toBeGreaterThan(1);
  });

  it('serves a valid OpenAPI 3.1 document', async () => {
    const res = await p.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const doc = res.json<OpenApi>();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('suanli API');

    const validator = new Validator();
    const result = await validator.validate(doc as unknown as Record<string, unknown>);
    expect(result.errors, JSON.stringify(result.errors, null, 2)).toBeFalsy();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('documents the job routes, the JobSpec request body and problem responses', async () => {
    const doc = (await p.app.inject({ method: 'GET', url: '/openapi.json' })).json<OpenApi>();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/jobs',
        '/api/v1/jobs/{id}',
        '/api/v1/jobs/{id}/cancel',
        '/api/v1/jobs/{id}/logs',
        '/api/v1/usage',
        '/api/v1/clusters',
        '/healthz',
        '/readyz',
      ]),
    );
    expect(doc.paths['/openapi.json']).toBeUndefined();
    expect(Object.keys(doc.paths['/api/v1/jobs'] ?? {})).toEqual(expect.arrayContaining(['get', 'post']));
    expect(doc.paths['/api/v1/jobs/{id}/cancel']?.post).toBeDefined();

    const post = doc.paths['/api/v1/jobs']?.post as {
      requestBody: { required?: boolean; content: Record<string, { schema: Record<string, unknown> }> };
      responses: Record<string, { content?: Record<string, unknown> }>;
      parameters?: Array<{ in: string; name: string }>;
    };
    const content = post.requestBody.content;
    expect(Object.keys(content)).toEqual(expect.arrayContaining(['application/json', 'application/yaml']));
    const schema = resolve(doc, content['application/json']!.schema);
    expect(schema.title).toBe('JobSpec');
    expect(schema.required).toEqual(expect.arrayContaining(['apiVersion', 'kind', 'metadata', 'spec']));
    const props = schema.properties as Record<string, Record<string, unknown>>;
    const spec = resolve(doc, props.spec!);
    expect(Object.keys(spec.properties as object)).toEqual(
      expect.arrayContaining(['resources', 'timeLimit', 'command', 'script', 'constraints']),
    );
    expect(post.parameters?.some((param) => param.in === 'header' && param.name === 'idempotency-key')).toBe(true);
    expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['200', '201', '400', '401', '403', '409']));
    // Errors are documented with the media type the server sends them as.
    expect(Object.keys(post.responses['400']?.content ?? {})).toEqual(['application/problem+json']);
    expect(Object.keys(post.responses['201']?.content ?? {})).toEqual(['application/json']);
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const responses = (operation as { responses?: Record<string, { content?: object }> }).responses ?? {};
        for (const [status, response] of Object.entries(responses)) {
          if (Number(status) >= 400 && response.content)
            expect(Object.keys(response.content), `${method} ${path} ${status}`).toEqual(['application/problem+json']);
        }
      }
    }
    expect(doc.paths['/api/v1/jobs/{id}']?.get).toBeDefined();
  });

  it('serves the API docs page at /docs', async () => {
    let res = await p.app.inject({ method: 'GET', url: '/docs' });
    for (let hops = 0; res.statusCode >= 300 && res.statusCode < 400 && hops < 3; hops++) {
      const location = new URL(String(res.headers.location), 'http://localhost/docs/');
      res = await p.app.inject({ method: 'GET', url: location.pathname });
    }
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toMatch(/<html/i);
    expect(res.body).toMatch(/swagger/i);
  });

  it('rejects an unknown job state filter naming `state`', async () => {
    const res = await p.app.inject({ method: 'GET', url: '/api/v1/jobs?state=bogus', headers: auth('office') });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json<{ errors: Array<{ field: string }> }>().errors.map((e) => e.field)).toEqual(['state']);
  });
});

/** Follows a local `$ref` (#/components/schemas/…) if the schema is one. */
function resolve(doc: OpenApi, schema: Record<string, unknown>): Record<string, unknown> {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  const target = ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], doc);
  return target as Record<string, unknown>;
}
