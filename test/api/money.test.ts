/**
 * The money API end to end on the demo platform: a job's usage is charged by the control loop, wallets, top-ups,
 * vouchers, statements (JSON, CSV, HTML), the monthly report, reversals and the audit log — with each role seeing
 * only its own (another tenant's or provider's money is 404).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { ALL, type Store } from '../../src/store/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { HELLO_JOB, startPlatform, tickUntil, type TestPlatform } from '../helpers/platform.ts';

interface WalletBody {
  tenantId: string;
  balanceFen: string;
  balance: string;
  recent: Array<{ purpose: string; fen: string; usageRecordId: string | null }>;
}

describeEachDatabase('API: money', (database) => {
  let store: Store;
  let p: TestPlatform;
  let month: string;
  const as = (user: string) => ({ authorization: `Bearer ${p.token(user)}` });
  const get = (user: string, url: string) => p.app.inject({ method: 'GET', url, headers: as(user) });
  const post = (user: string, url: string, payload: object): Promise<LightMyRequestResponse> =>
    p.app.inject({ method: 'POST', url, headers: as(user), payload });

  beforeAll(async () => {
    store = await database.open();
    p = await startPlatform(store);
    // China Standard Time month of now: the job below runs now.
    month = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 7);
  });
  afterAll(async () => {
    await p.close();
    await store.close();
  });

  it('tops up a wallet (operator only, idempotent by reference) and shows it to its tenant alone', async () => {
    const topUp = { tenantId: 'qiming-ai', amountFen: '100000', reference: 'bank-42' };
    const first = await post('office', '/api/v1/wallet/top-ups', topUp);
    expect(first.statusCode, first.body).toBe(201);
    expect((await post('office', '/api/v1/wallet/top-ups', topUp)).json()).toMatchObject({ created: false });
    expect((await post('qiming-ai-admin', '/api/v1/wallet/top-ups', topUp)).statusCode).toBe(403);
    const bad = await post('office', '/api/v1/wallet/top-ups', { ...topUp, amountFen: '-5', reference: 'x' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toBe('amountFen');
    const unknown = await post('office', '/api/v1/wallet/top-ups', { ...topUp, tenantId: 'nobody', reference: 'y' });
    expect(unknown.statusCode).toBe(404);

    const wallet = await get('qiming-ai-admin', '/api/v1/wallet');
    expect(wallet.statusCode, wallet.body).toBe(200);
    expect(wallet.json<WalletBody>()).toMatchObject({
      tenantId: 'qiming-ai',
      balanceFen: '100000',
      balance: '¥1,000.00',
    });
    expect((await get('zhiyuan-llm-admin', '/api/v1/wallet?tenantId=qiming-ai')).statusCode).toBe(404);
    expect((await get('wuhu-admin', '/api/v1/wallet')).statusCode).toBe(403);
    expect((await get('office', '/api/v1/wallet')).statusCode).toBe(400);
    expect((await get('office', '/api/v1/wallet?tenantId=qiming-ai')).json<WalletBody>().balanceFen).toBe('100000');
  });

  it('charges a finished job’s usage through the control loop, and reverses it on request', async () => {
    const submitted = await post('qiming-ai-admin', '/api/v1/jobs', HELLO_JOB);
    expect(submitted.statusCode, submitted.body).toBe(201);
    await tickUntil(p.loop, async () => (await store.ledger.queued()) === 0 && (await usageCount()) > 0);
    const [usage] = await store.usage.list(ALL, { jobId: submitted.json<{ id: string }>().id });
    const wallet = (await get('qiming-ai-admin', '/api/v1/wallet')).json<WalletBody>();
    const charge = wallet.recent.find((l) => l.purpose === 'charge');
    expect(charge?.usageRecordId).toBe(usage!.id);
    expect(BigInt(wallet.balanceFen)).toBe(100000n + BigInt(charge!.fen));
    expect(BigInt(charge!.fen)).toBeLessThan(0n);

    expect((await post('qiming-ai-admin', `/api/v1/usage/${usage!.id}/reversal`, { reason: 'x' })).statusCode).toBe(
      403,
    );
    const reversed = await post('office', `/api/v1/usage/${usage!.id}/reversal`, { reason: 'test run' });
    expect(reversed.statusCode, reversed.body).toBe(200);
    expect(reversed.json<{ reversals: string[] }>().reversals).toHaveLength(1);
    expect((await get('qiming-ai-admin', '/api/v1/wallet')).json<WalletBody>().balanceFen).toBe('100000');
  });

  async function usageCount(): Promise<number> {
    return (await store.usage.list(ALL)).length;
  }

  it('issues vouchers from a funded pool (operator) and lists them to their tenant only', async () => {
    const voucher = {
      id: 'qiming-2026-001',
      kind: 'compute',
      tenantId: 'qiming-ai',
      programmeId: 'anhui-vouchers',
      funder: 'province',
      faceFen: '50000',
      validFrom: '2026-01-01T00:00:00+08:00',
      validTo: '2027-01-01T00:00:00+08:00',
      providers: ['wuhu-hub'],
    };
    const short = await post('office', '/api/v1/vouchers', voucher);
    expect(short.statusCode).toBe(409);
    expect(short.json<{ detail: string }>().detail).toMatch(/holds 0 fen/);
    const funded = await post('office', '/api/v1/programmes/anhui-vouchers/pools/province/fundings', {
      amountFen: '80000',
      reference: 'budget-2026',
    });
    expect(funded.statusCode, funded.body).toBe(201);
    const issued = await post('office', '/api/v1/vouchers', voucher);
    expect(issued.statusCode, issued.body).toBe(201);
    expect(issued.json()).toMatchObject({ id: voucher.id, faceFen: '50000', remainingFen: '50000' });
    expect((await post('qiming-ai-admin', '/api/v1/vouchers', { ...voucher, id: 'mine' })).statusCode).toBe(403);
    const invalid = await post('office', '/api/v1/vouchers', { ...voucher, id: 'v-bad', kind: 'gift' });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json<{ errors: Array<{ field: string }> }>().errors.map((e) => e.field)).toContain('kind');

    // Under a shipped voucher programme its terms apply; a subsidy programme issues no vouchers.
    const offTerms = await post('office', '/api/v1/vouchers', {
      ...voucher,
      id: 'v-js',
      programmeId: 'jiangsu-2026-compute-voucher',
      funder: 'jiangsu-locality',
    });
    expect(offTerms.statusCode).toBe(400);
    expect(offTerms.json<{ detail: string }>().detail).toMatch(/face value ¥500\.00 is not one of ¥10,000\.00/);
    const subsidy = await post('office', '/api/v1/vouchers', {
      ...voucher,
      id: 'v-ah',
      programmeId: 'anhui-2025-compute',
    });
    expect(subsidy.statusCode).toBe(400);
    expect(subsidy.json<{ detail: string }>().detail).toMatch(/is a subsidy programme/);

    const own = (await get('qiming-ai-admin', '/api/v1/vouchers')).json<{ items: Array<{ id: string }> }>();
    expect(own.items.map((v) => v.id)).toEqual([voucher.id]);
    expect((await get('zhiyuan-llm-admin', '/api/v1/vouchers')).json<{ items: unknown[] }>().items).toEqual([]);
    expect((await get('zhiyuan-llm-admin', '/api/v1/vouchers?tenantId=qiming-ai')).statusCode).toBe(404);
  });

  it('gives statements as JSON, CSV and HTML to their owner, 404 to others', async () => {
    const url = `/api/v1/statements/tenants/qiming-ai/${month}`;
    const json = await get('qiming-ai-admin', url);
    expect(json.statusCode, json.body).toBe(200);
    const statement = json.json<{ lines: Array<{ purpose: string }>; closingFen: string }>();
    expect(statement.lines.map((l) => l.purpose)).toEqual(['top-up', 'charge', 'reversal']);
    expect(statement.closingFen).toBe('100000');
    const csv = await get('qiming-ai-admin', `${url}?format=csv`);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.body.split('\r\n')[0]).toBe('time,purpose,reason,usage record or sale,voucher,programme,amount (CNY)');
    expect(csv.body).toContain('closing balance,,,,,1000.00');
    const html = await get('qiming-ai-admin', `${url}?format=html`);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.body).toContain('¥1,000.00');
    expect((await get('zhiyuan-llm-admin', url)).statusCode).toBe(404);
    expect((await get('office', url)).statusCode).toBe(200);
    expect((await get('qiming-ai-admin', '/api/v1/statements/tenants/qiming-ai/2026-13')).statusCode).toBe(400);

    const payouts = `/api/v1/statements/providers/wuhu-hub/${month}`;
    const provider = await get('wuhu-admin', payouts);
    expect(provider.statusCode, provider.body).toBe(200);
    expect(provider.json<{ lines: Array<{ purpose: string }> }>().lines.map((l) => l.purpose)).toEqual([
      'charge',
      'reversal',
    ]);
    expect((await get('wuhu-admin', `/api/v1/statements/providers/hefei-aicc/${month}`)).statusCode).toBe(404);
    // The charge was reversed, so wuhu-hub is owed nothing: a payout is refused, and nothing stored.
    const payout = await post('office', '/api/v1/providers/wuhu-hub/payouts', { amountFen: '1', reference: 'p-1' });
    expect(payout.statusCode).toBe(409);
    expect(payout.json<{ detail: string }>().detail).toMatch(/owed 0 fen, less than the payout 1/);
    expect(
      (await post('wuhu-admin', '/api/v1/providers/wuhu-hub/payouts', { amountFen: '1', reference: 'p' })).statusCode,
    ).toBe(403);
    expect((await get('qiming-ai-admin', payouts)).statusCode).toBe(403);
  });

  it('gives the programme office its monthly report, and the audit log, to the operator only', async () => {
    const url = `/api/v1/reports/monthly/${month}`;
    const report = await get('office', url);
    expect(report.statusCode, report.body).toBe(200);
    expect(report.json()).toMatchObject({
      month,
      total: { spendFen: '0', voucherFen: '0', subsidyFen: '0' },
      poolsRemaining: [{ programmeId: 'anhui-vouchers', funder: 'province', fen: '30000' }],
    });
    expect((await get('office', `${url}?format=csv`)).body).toContain('Pools remaining,anhui-vouchers,province,300.00');
    expect((await get('office', `${url}?format=html`)).body).toContain('<h2>Top tenants by spend</h2>');
    expect((await get('qiming-ai-admin', url)).statusCode).toBe(403);

    const audit = await get('office', '/api/v1/audit?limit=1000');
    const actions = audit.json<{ items: Array<{ action: string; actor: string }> }>().items.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['price.add', 'wallet.top-up', 'usage.reverse', 'voucher.issue']));
    expect((await get('qiming-ai-admin', '/api/v1/audit')).statusCode).toBe(403);
  });

  it('lets only the operator tag a project with regions (they raise subsidy rates)', async () => {
    const url = '/api/v1/tenants/qiming-ai/projects';
    const own = await post('qiming-ai-admin', url, { name: 'north', regions: ['wanbei'] });
    expect(own.statusCode).toBe(403);
    const tagged = await post('office', url, { name: 'north', regions: ['wanbei'] });
    expect(tagged.statusCode, tagged.body).toBe(201);
    expect(tagged.json()).toEqual({ id: 'qiming-ai-north', tenantId: 'qiming-ai', name: 'north', regions: ['wanbei'] });
    const listed = (await get('qiming-ai-admin', url)).json<{ items: Array<{ name: string; regions: string[] }> }>();
    expect(listed.items.find((p) => p.name === 'north')?.regions).toEqual(['wanbei']);
  });

  it('records the office’s awarded rate under a ceiling-rate programme, within its ceiling (operator only)', async () => {
    const url = '/api/v1/programmes/anhui-2025-compute/awarded-rates';
    const set = await post('office', url, { tenantId: 'qiming-ai', basisPoints: 1500 });
    expect(set.statusCode, set.body).toBe(201);
    const above = await post('office', url, { tenantId: 'qiming-ai', basisPoints: 2500 });
    expect(above.statusCode).toBe(400);
    expect(above.json<{ detail: string }>().detail).toMatch(/above the ceiling/);
    expect((await post('qiming-ai-admin', url, { tenantId: 'qiming-ai', basisPoints: 2000 })).statusCode).toBe(403);
    expect(
      (await post('office', '/api/v1/programmes/nope/awarded-rates', { tenantId: 'qiming-ai', basisPoints: 1 }))
        .statusCode,
    ).toBe(404);
    expect((await post('office', url, { tenantId: 'nobody', basisPoints: 1000 })).statusCode).toBe(404);
    await post('office', url, { tenantId: 'qiming-ai', basisPoints: 2000 });
    const rates = (await get('office', '/api/v1/programmes/awarded-rates')).json<{ items: unknown[] }>().items;
    expect(rates).toEqual([{ programmeId: 'anhui-2025-compute', tenantId: 'qiming-ai', basisPoints: 2000 }]);
    const audit = (await get('office', '/api/v1/audit?objectType=programme')).json<{
      items: Array<{ action: string; before?: unknown }>;
    }>();
    expect(audit.items[0]).toMatchObject({ action: 'programme.award-rate', before: { basisPoints: '1500' } });
  });
  it('gives each programme pool per funder as budget, spent and remaining, to the operator only', async () => {
    // anhui-vouchers/province: 800.00 paid in, a 500.00 voucher issued from it (the vouchers test above).
    const pools = await get('office', '/api/v1/programmes/pools');
    expect(pools.statusCode, pools.body).toBe(200);
    expect(pools.json()).toEqual({
      items: [
        {
          programmeId: 'anhui-vouchers',
          funder: 'province',
          budgetFen: '80000',
          spentFen: '50000',
          remainingFen: '30000',
        },
      ],
    });
    // Funding more raises budget and remaining, not spent.
    await post('office', '/api/v1/programmes/anhui-vouchers/pools/province/fundings', {
      amountFen: '12345',
      reference: 'budget-2026-top',
    });
    expect((await get('office', '/api/v1/programmes/pools')).json()).toMatchObject({
      items: [{ budgetFen: '92345', spentFen: '50000', remainingFen: '42345' }],
    });
    expect((await get('qiming-ai-admin', '/api/v1/programmes/pools')).statusCode).toBe(403);
    expect((await get('wuhu-admin', '/api/v1/programmes/pools')).statusCode).toBe(403);
  });

  it('tells a provider what it is owed and the payouts made to it; another provider’s is 404', async () => {
    interface PayoutsBody {
      providerId: string;
      payableFen: string;
      payable: string;
      payouts: Array<{ fen: string; yuan: string; reason: string }>;
    }
    const url = '/api/v1/providers/wuhu-hub/payouts';
    const before = (await get('wuhu-admin', url)).json<PayoutsBody>();
    expect(before).toEqual({ providerId: 'wuhu-hub', payableFen: '0', payable: '¥0.00', payouts: [] });

    const submitted = await post('qiming-ai-admin', '/api/v1/jobs', HELLO_JOB);
    expect(submitted.statusCode, submitted.body).toBe(201);
    const jobId = submitted.json<{ id: string }>().id;
    await tickUntil(
      p.loop,
      async () => (await store.usage.list(ALL, { jobId })).length > 0 && (await store.ledger.queued()) === 0,
    );
    const owed = (await get('wuhu-admin', url)).json<PayoutsBody>();
    const payableFen = BigInt(owed.payableFen);
    // What the provider is owed is what its payable account holds, as its statement closes.
    const statement = (await get('wuhu-admin', `/api/v1/statements/providers/wuhu-hub/${month}`)).json<{
      closingFen: string;
    }>();
    expect(owed.payableFen).toBe(statement.closingFen);
    expect(payableFen).toBeGreaterThan(0n);

    const paid = await post('office', url, { amountFen: '1', reference: 'bank-payout-7' });
    expect(paid.statusCode, paid.body).toBe(201);
    const after = (await get('wuhu-admin', url)).json<PayoutsBody>();
    expect(after.payableFen).toBe((payableFen - 1n).toString());
    expect(after.payouts).toHaveLength(1);
    expect(after.payouts[0]).toMatchObject({ fen: '1', yuan: '¥0.01' });
    expect(after.payouts[0]!.reason).toContain('bank-payout-7');
    expect((await get('office', url)).json<PayoutsBody>().payableFen).toBe(after.payableFen);

    expect((await get('wuhu-admin', '/api/v1/providers/hefei-aicc/payouts')).statusCode).toBe(404);
    expect((await get('office', '/api/v1/providers/nowhere/payouts')).statusCode).toBe(404);
    expect((await get('qiming-ai-admin', url)).statusCode).toBe(403);
  });
});
