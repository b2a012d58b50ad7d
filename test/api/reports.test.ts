/**
 * The programme office's quarterly and yearly reports through the API: who may read them, the three formats, the
 * month-by-month breakdown, and 400s naming the parameter for a malformed period or one not yet begun. Two sales are
 * recorded, one in November 2026 and one in January 2027, on a platform whose clock reads 10 February 2027.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { startPlatform, type TestPlatform } from '../helpers/platform.ts';

interface ReportBody {
  period: string;
  kind: string;
  from: string;
  to: string;
  total: { spendFen: string; voucherFen: string; subsidyFen: string };
  byMonth: Array<{ month: string; spendFen: string }>;
  byKind: Array<{ kind: string; spendFen: string }>;
  poolsAt: string;
  poolsAsOf: string;
  topTenants: Array<{ tenantId: string; spendFen: string }>;
  chips: unknown[];
}

describeEachDatabase('API: quarterly and yearly reports', (database) => {
  let store: Store;
  let p: TestPlatform;
  const now = new Date('2027-02-10T12:00:00+08:00');
  const get = (user: string, url: string) =>
    p.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${p.token(user)}` } });

  beforeAll(async () => {
    store = await database.open();
    p = await startPlatform(store, { clock: () => now });
    for (const [reference, amountFen, occurredAt] of [
      ['order-nov', '80000', '2026-11-20T10:00:00+08:00'],
      // 00:30 on 1 January in Hefei, still 31 December in UTC: 2027's.
      ['order-jan', '50000', '2027-01-01T00:30:00+08:00'],
    ]) {
      const sale = {
        reference,
        tenantId: 'qiming-ai',
        kind: 'model',
        product: 'qwen-72b-finetune',
        amountFen,
        occurredAt,
      };
      const recorded = await p.app.inject({
        method: 'POST',
        url: '/api/v1/sales',
        headers: { authorization: `Bearer ${p.token('wuhu-admin')}` },
        payload: sale,
      });
      expect(recorded.statusCode, recorded.body).toBe(201);
    }
  });
  afterAll(async () => {
    await p.close();
    await store.close();
  });

  it('gives the operator a quarter’s report with its months, the pools at its end, in JSON, CSV and HTML', async () => {
    const url = '/api/v1/reports/quarterly/2026-Q4';
    const response = await get('office', url);
    expect(response.statusCode, response.body).toBe(200);
    const report = response.json<ReportBody>();
    expect(report).toMatchObject({
      period: '2026-Q4',
      kind: 'quarter',
      from: '2026-09-30T16:00:00.000Z',
      to: '2026-12-31T16:00:00.000Z',
      total: { spendFen: '80000', voucherFen: '0', subsidyFen: '0' },
      poolsAt: 'period-end',
      poolsAsOf: '2026-12-31T16:00:00.000Z',
      topTenants: [{ tenantId: 'qiming-ai', spendFen: '80000' }],
    });
    expect(report.byMonth.map((m) => [m.month, m.spendFen])).toEqual([
      ['2026-10', '0'],
      ['2026-11', '80000'],
      ['2026-12', '0'],
    ]);
    expect(report.byKind.find((k) => k.kind === 'model')?.spendFen).toBe('80000');
    expect(Array.isArray(report.chips)).toBe(true);

    const csv = await get('office', `${url}?format=csv`);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.body).toContain('By month,2026-11,800.00,0.00,0.00\r\n');
    expect(csv.body).toContain('Total,all,800.00,0.00,0.00\r\n');
    const html = await get('office', `${url}?format=html`);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.body).toContain('<title>Programme office quarterly report 2026-Q4</title>');
    expect(html.body).toContain('<h2>By month</h2>');
    expect(html.body).toContain('as they stood at the end of the period');

    for (const user of ['qiming-ai-admin', 'wuhu-admin']) expect((await get(user, url)).statusCode).toBe(403);
  });

  it('gives a year’s report, the current year running to now with the pools as they stand', async () => {
    const last = (await get('office', '/api/v1/reports/yearly/2026')).json<ReportBody>();
    expect(last.total.spendFen).toBe('80000');
    expect(last.byMonth).toHaveLength(12);
    const current = await get('office', '/api/v1/reports/yearly/2027');
    expect(current.statusCode, current.body).toBe(200);
    expect(current.json<ReportBody>()).toMatchObject({
      period: '2027',
      kind: 'year',
      total: { spendFen: '50000' },
      poolsAt: 'now',
      poolsAsOf: now.toISOString(),
    });
    expect(current.json<ReportBody>().byMonth.map((m) => [m.month, m.spendFen])).toEqual([
      ['2027-01', '50000'],
      ['2027-02', '0'],
    ]);
    const html = (await get('office', '/api/v1/reports/yearly/2027?format=html')).body;
    expect(html).toContain('<title>Programme office annual report 2027</title>');
    expect(html).toContain('as they stand now');
    expect((await get('qiming-ai-admin', '/api/v1/reports/yearly/2027')).statusCode).toBe(403);
  });

  it('refuses a malformed period or one not yet begun with a 400 naming the parameter', async () => {
    for (const [url, field, message] of [
      ['/api/v1/reports/quarterly/2026-Q5', 'params.quarter', /must be a quarter written YYYY-Qn/],
      ['/api/v1/reports/quarterly/2026-4', 'params.quarter', /got "2026-4"/],
      ['/api/v1/reports/quarterly/2027-Q2', 'params.quarter', /2027-Q2 has not begun/],
      ['/api/v1/reports/yearly/27', 'params.year', /must be a year written YYYY/],
      ['/api/v1/reports/yearly/2028', 'params.year', /2028 has not begun \(it starts 2027-12-31T16:00:00.000Z/],
    ] as const) {
      const response = await get('office', url);
      expect(response.statusCode, url).toBe(400);
      const problem = response.json<{ detail: string; errors: Array<{ field: string; message: string }> }>();
      expect(problem.errors[0]?.field, url).toBe(field);
      expect(problem.detail, url).toMatch(message);
    }
    // The current quarter has begun: it is reported to now.
    expect((await get('office', '/api/v1/reports/quarterly/2027-Q1')).statusCode).toBe(200);
  });

  it('keeps the monthly report’s shape and its empty report for a month not yet begun', async () => {
    const month = await get('office', '/api/v1/reports/monthly/2026-11');
    expect(month.json()).toMatchObject({ month: '2026-11', period: '2026-11', total: { spendFen: '80000' } });
    // A month's CSV has no breakdown section: it would repeat the total.
    expect((await get('office', '/api/v1/reports/monthly/2026-11?format=csv')).body).not.toContain('By month');
    const ahead = await get('office', '/api/v1/reports/monthly/2027-06');
    expect(ahead.statusCode, ahead.body).toBe(200);
    expect(ahead.json()).toMatchObject({ total: { spendFen: '0' }, byMonth: [], chips: [] });
    expect((await get('office', '/api/v1/reports/monthly/2026-13')).statusCode).toBe(400);
  });
});
