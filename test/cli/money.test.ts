import { afterEach, describe, expect, it } from 'vitest';
import { api, fakeApi, run, type FakeApi } from './helpers.ts';

let fake: FakeApi | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('suanli wallet, vouchers, report', () => {
  it('prints the wallet in exact yuan, amounts beyond a float’s precision included', async () => {
    fake = await fakeApi(() => ({
      json: {
        tenantId: 'qiming-ai',
        balanceFen: '9007199254740993',
        balance: 'x',
        recent: [{ at: '2026-11-02T00:00:00Z', purpose: 'charge', reason: 'usage charge', fen: '-3450' }],
      },
    }));
    const r = await run(['wallet'], { env: api(fake) });
    expect(r.code, r.stderr).toBe(0);
    expect(fake.requests[0]?.path).toBe('/api/v1/wallet');
    expect(r.stdout).toContain('Tenant qiming-ai: ¥90,071,992,547,409.93 held');
    expect(r.stdout).toMatch(/charge\s+-¥34\.50\s+usage charge/);
  });

  it('issues a voucher with its face value converted to fen exactly, and refuses a bad amount', async () => {
    fake = await fakeApi((req) => ({
      status: 201,
      json: { ...(JSON.parse(req.body) as object), remainingFen: '50000' },
    }));
    const args = ['vouchers', 'issue', '--id', 'v1', '--tenant', 'qiming-ai', '--programme', 'p', '--funder', 'prov'];
    const dates = ['--from', '2026-11-01T00:00+08:00', '--to', '2026-12-01T00:00+08:00'];
    const r = await run([...args, '--face', '500.10', ...dates, '--provider', 'wuhu-hub', '--max-share', '50'], {
      env: api(fake),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(fake.requests[0]!.body)).toMatchObject({
      faceFen: '50010',
      providers: ['wuhu-hub'],
      maxShareBasisPoints: 5000,
      kind: 'compute',
      validFrom: '2026-10-31T16:00:00.000Z',
    });
    expect(r.stdout).toBe('voucher v1 issued to qiming-ai: ¥500.10\n');

    const bad = await run([...args, '--face', '500.001', ...dates], { env: api(fake) });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--face.*at most two decimals/);
    expect(fake.requests).toHaveLength(1);
  });

  it('says a voucher issued again was issued before (200), not that it was issued', async () => {
    fake = await fakeApi((req) => ({
      status: 200,
      json: { ...(JSON.parse(req.body) as object), remainingFen: '50000', created: false },
    }));
    const r = await run(
      [
        ...['vouchers', 'issue', '--id', 'v1', '--tenant', 'qiming-ai', '--programme', 'p', '--funder', 'prov'],
        ...['--face', '500', '--from', '2026-11-01T00:00+08:00', '--to', '2026-12-01T00:00+08:00'],
      ],
      { env: api(fake) },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('voucher v1 was issued before (to qiming-ai: ¥500.00); nothing changed\n');
  });

  it('lists vouchers', async () => {
    const voucher = {
      id: 'v1',
      kind: 'compute',
      tenantId: 'qiming-ai',
      programmeId: 'p',
      funder: 'prov',
      faceFen: '50000',
      remainingFen: '1234',
      validFrom: '2026-11-01T00:00:00Z',
      validTo: '2026-12-01T00:00:00Z',
      providers: [],
      products: [],
    };
    fake = await fakeApi(() => ({ json: { items: [voucher] } }));
    const r = await run(['vouchers', 'ls', '--tenant', 'qiming-ai'], { env: api(fake) });
    expect(r.code, r.stderr).toBe(0);
    expect(fake.requests[0]?.query.get('tenantId')).toBe('qiming-ai');
    expect(r.stdout).toMatch(/v1\s+compute\s+qiming-ai\s+p\/prov\s+¥500\.00\s+¥12\.34/);
  });

  it('prints the monthly report as the API renders it, CSV or HTML or JSON', async () => {
    fake = await fakeApi((req) =>
      req.query.get('format') === 'csv'
        ? { text: 'Total,,spend (CNY)\r\n', contentType: 'text/csv' }
        : { json: { month: '2026-11' } },
    );
    const csv = await run(['report', 'monthly', '--month', '2026-11', '--format', 'csv'], { env: api(fake) });
    expect(csv.code, csv.stderr).toBe(0);
    expect(fake.requests[0]?.path).toBe('/api/v1/reports/monthly/2026-11');
    expect(csv.stdout).toBe('Total,,spend (CNY)\r\n');
    const jsonOut = await run(['report', 'monthly', '--month', '2026-11'], { env: api(fake) });
    expect(JSON.parse(jsonOut.stdout)).toEqual({ month: '2026-11' });
    const bad = await run(['report', 'monthly', '--month', '2026-13'], { env: api(fake) });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/YYYY-MM/);
  });

  it('asks for a quarter’s or a year’s report, checking the period before any request', async () => {
    fake = await fakeApi((req) =>
      req.query.get('format') === 'html'
        ? { text: '<!doctype html>', contentType: 'text/html' }
        : { json: { period: 'x' } },
    );
    const quarter = await run(['report', 'quarterly', '2026-Q4', '--format', 'html'], { env: api(fake) });
    expect(quarter.code, quarter.stderr).toBe(0);
    expect(fake.requests[0]?.path).toBe('/api/v1/reports/quarterly/2026-Q4');
    expect(fake.requests[0]?.query.get('format')).toBe('html');
    expect(quarter.stdout).toBe('<!doctype html>');
    const year = await run(['report', 'yearly', '2026'], { env: api(fake) });
    expect(year.code, year.stderr).toBe(0);
    expect(fake.requests[1]?.path).toBe('/api/v1/reports/yearly/2026');
    expect(JSON.parse(year.stdout)).toEqual({ period: 'x' });

    for (const [args, wanted] of [
      [['report', 'quarterly', '2026-Q5'], /quarter written YYYY-Qn \(Q1 = January to March\)/],
      [['report', 'quarterly', '2026-4'], /got "2026-4"/],
      [['report', 'yearly', '26'], /year written YYYY/],
      [['report', 'quarterly', '2026-Q4', '--format', 'pdf'], /pdf/],
    ] as const) {
      const bad = await run([...args], { env: api(fake) });
      expect(bad.code, args.join(' ')).toBe(2);
      expect(bad.stderr).toMatch(wanted);
    }
    expect(fake.requests).toHaveLength(2);
  });
});
