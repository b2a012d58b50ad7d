/**
 * The sales API on the demo platform: a provider-admin records its provider's sale of a model service or corpus to a
 * tenant (the operator any provider's), it is charged at once with the tenant's vouchers of its kind and the programmes
 * whose base includes it, a repeat is one charge, bad input is 400 naming the field with nothing stored, each role sees
 * only its own sales (another's is 404), the operator reverses one, and statements and the monthly report show it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import type { Store } from '../../src/store/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { paidShareProgramme } from '../helpers/ledger-fixtures.ts';
import { startPlatform, type TestPlatform } from '../helpers/platform.ts';

interface SaleBody {
  id: string;
  providerId: string;
  tenantId: string;
  kind: string;
  amountFen: string;
  amount: string;
  voucherFen: string;
  subsidyFen: string;
  reversed: boolean;
}

/** 10% of what the tenant paid for model services and corpora, from the province's pool. */
const MODELS_PROGRAMME = paidShareProgramme('models-2026', ['model', 'corpus'], 1_000n);

describeEachDatabase('API: sales', (database) => {
  let store: Store;
  let p: TestPlatform;
  const now = new Date('2026-11-20T04:00:00Z');
  const as = (user: string) => ({ authorization: `Bearer ${p.token(user)}` });
  const get = (user: string, url: string) => p.app.inject({ method: 'GET', url, headers: as(user) });
  const post = (user: string, url: string, payload: object): Promise<LightMyRequestResponse> =>
    p.app.inject({ method: 'POST', url, headers: as(user), payload });
  const sale = {
    reference: 'wuhu-order-1',
    tenantId: 'qiming-ai',
    kind: 'model',
    product: 'qwen-72b-finetune',
    description: 'LoRA fine-tuning, 3 epochs',
    amountFen: '80000',
    occurredAt: '2026-11-20T10:00:00+08:00',
  };

  beforeAll(async () => {
    store = await database.open();
    p = await startPlatform(store, { programmes: [MODELS_PROGRAMME], clock: () => now });
    for (const [programme, reference] of [
      ['model-vouchers', 'f-1'],
      ['models-2026', 'f-2'],
    ] as const) {
      const funded = await post('office', `/api/v1/programmes/${programme}/pools/province/fundings`, {
        amountFen: '1000000',
        reference,
      });
      expect(funded.statusCode, funded.body).toBe(201);
    }
    const voucher = await post('office', '/api/v1/vouchers', {
      id: 'qiming-model-1',
      kind: 'model',
      tenantId: 'qiming-ai',
      programmeId: 'model-vouchers',
      funder: 'province',
      faceFen: '50000',
      validFrom: '2026-11-01T00:00:00+08:00',
      validTo: '2026-12-01T00:00:00+08:00',
      products: ['qwen-72b-finetune'],
    });
    expect(voucher.statusCode, voucher.body).toBe(201);
  });
  afterAll(async () => {
    await p.close();
    await store.close();
  });

  it('records a provider’s sale, charged with the 模型券 and the model programme; a repeat is one charge', async () => {
    const first = await post('wuhu-admin', '/api/v1/sales', sale);
    expect(first.statusCode, first.body).toBe(201);
    // ¥800.00 less the ¥500.00 voucher = ¥300.00 paid; 10% of it = ¥30.00 back from the models programme.
    expect(first.json<SaleBody>()).toMatchObject({
      providerId: 'wuhu-hub',
      amount: '¥800.00',
      voucherFen: '50000',
      subsidyFen: '3000',
      reversed: false,
    });
    const again = await post('wuhu-admin', '/api/v1/sales', sale);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json<SaleBody>().id).toBe(first.json<SaleBody>().id);
    const conflict = await post('wuhu-admin', '/api/v1/sales', { ...sale, amountFen: '90000' });
    expect(conflict.statusCode).toBe(409);
    const wallet = await get('qiming-ai-admin', '/api/v1/wallet');
    expect(wallet.json<{ balanceFen: string }>().balanceFen).toBe(String(-80_000 + 50_000 + 3_000));
  });

  it('lets only the seller’s provider-admin and the operator record a sale', async () => {
    expect((await post('qiming-ai-admin', '/api/v1/sales', { ...sale, reference: 'x' })).statusCode).toBe(403);
    const forOther = await post('wuhu-admin', '/api/v1/sales', { ...sale, reference: 'x', providerId: 'hefei-aicc' });
    expect(forOther.statusCode).toBe(404);
    const unnamed = await post('office', '/api/v1/sales', { ...sale, reference: 'x' });
    expect(unnamed.statusCode).toBe(400);
    expect(unnamed.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toBe('providerId');
    const byOperator = await post('office', '/api/v1/sales', {
      ...sale,
      providerId: 'suzhou-wanbei',
      reference: 'sz-1',
      tenantId: 'zhiyuan-llm',
      kind: 'corpus',
      product: 'zh-legal-corpus',
      amountFen: '12345',
    });
    expect(byOperator.statusCode, byOperator.body).toBe(201);
  });

  it('refuses bad input with 400 naming the field, storing nothing', async () => {
    const before = (await store.ledger.sales()).length;
    const cases: Array<[object, string]> = [
      [{ amountFen: '-5' }, 'amountFen'],
      [{ amountFen: '12.50' }, 'amountFen'],
      [{ kind: 'compute' }, 'kind'],
      [{ tenantId: 'nobody' }, 'tenantId'],
      [{ projectId: 'nope' }, 'projectId'],
      [{ occurredAt: 'yesterday' }, 'occurredAt'],
      [{ occurredAt: '2027-01-01T00:00:00Z' }, 'occurredAt'],
      [{ product: ' ' }, 'product'],
    ];
    for (const [change, field] of cases) {
      const response = await post('wuhu-admin', '/api/v1/sales', { ...sale, reference: 'bad', ...change });
      expect(response.statusCode, JSON.stringify(change)).toBe(400);
      const fields = response.json<{ errors?: Array<{ field: string }> }>().errors?.map((e) => e.field);
      expect(fields, response.body).toContain(field);
    }
    expect((await store.ledger.sales()).length).toBe(before);
  });

  it('shows each role only its own sales: another tenant’s or provider’s is 404', async () => {
    const items = async (user: string, query = '') => {
      const response = await get(user, `/api/v1/sales${query}`);
      expect(response.statusCode, response.body).toBe(200);
      return response.json<{ items: SaleBody[] }>().items.map((s) => `${s.providerId}>${s.tenantId}`);
    };
    expect(await items('qiming-ai-admin')).toEqual(['wuhu-hub>qiming-ai']);
    expect(await items('zhiyuan-llm-admin')).toEqual(['suzhou-wanbei>zhiyuan-llm']);
    expect(await items('wuhu-admin')).toEqual(['wuhu-hub>qiming-ai']);
    expect((await items('office')).sort()).toEqual(['suzhou-wanbei>zhiyuan-llm', 'wuhu-hub>qiming-ai']);
    expect(await items('office', '?kind=corpus')).toEqual(['suzhou-wanbei>zhiyuan-llm']);
    expect(await items('office', '?month=2026-10')).toEqual([]);
    expect(await items('wuhu-admin', '?month=2026-11')).toEqual(['wuhu-hub>qiming-ai']);
    // A month is YYYY-MM: anything else is 400 naming the field, as the statements' and report's months are.
    for (const month of ['2026-13', '2026-1', 'november', '2026-11-01']) {
      const bad = await get('office', `/api/v1/sales?month=${month}`);
      expect(bad.statusCode, bad.body).toBe(400);
      expect(bad.json<{ detail: string }>().detail).toMatch(/^month: /);
      expect(bad.json<{ errors?: Array<{ field: string }> }>().errors?.map((e) => e.field)).toEqual(['month']);
    }
    expect((await get('qiming-ai-admin', '/api/v1/sales?tenantId=zhiyuan-llm')).statusCode).toBe(404);
    expect((await get('wuhu-admin', '/api/v1/sales?providerId=suzhou-wanbei')).statusCode).toBe(404);
    expect((await get('qiming-ai-dev', '/api/v1/sales')).statusCode).toBe(403);
  });

  it('shows the sale in statements and the monthly report, and reverses it (operator only)', async () => {
    const [mine] = (await get('qiming-ai-admin', '/api/v1/sales')).json<{ items: SaleBody[] }>().items;
    const statement = await get('qiming-ai-admin', '/api/v1/statements/tenants/qiming-ai/2026-11');
    const lines = statement.json<{ lines: Array<{ purpose: string; saleId: string | null; fen: string }> }>().lines;
    expect(lines.filter((l) => l.saleId === mine!.id).map((l) => [l.purpose, l.fen])).toEqual([
      ['charge', '-80000'],
      ['voucher-apply', '50000'],
      ['subsidy', '3000'],
    ]);
    const csv = await get('wuhu-admin', '/api/v1/statements/providers/wuhu-hub/2026-11?format=csv');
    expect(csv.body).toContain(`sale ${mine!.id}`);
    const report = (await get('office', '/api/v1/reports/monthly/2026-11')).json<{
      byKind: Array<{ kind: string; spendFen: string; voucherFen: string; subsidyFen: string }>;
    }>();
    expect(report.byKind.filter((k) => k.kind !== 'compute')).toEqual([
      { kind: 'model', spendFen: '80000', voucherFen: '50000', subsidyFen: '3000' },
      { kind: 'corpus', spendFen: '12345', voucherFen: '0', subsidyFen: '1234' },
    ]);

    const url = `/api/v1/sales/${mine!.id}/reversal`;
    expect((await post('wuhu-admin', url, { reason: 'refund' })).statusCode).toBe(403);
    const reversed = await post('office', url, { reason: 'refund' });
    expect(reversed.statusCode, reversed.body).toBe(200);
    expect(reversed.json<{ reversals: string[] }>().reversals).toHaveLength(3);
    expect((await post('office', '/api/v1/sales/nope/reversal', { reason: 'x' })).statusCode).toBe(404);
    const wallet = await get('qiming-ai-admin', '/api/v1/wallet');
    expect(wallet.json<{ balanceFen: string }>().balanceFen).toBe('0');
    const [after] = (await get('qiming-ai-admin', '/api/v1/sales')).json<{ items: SaleBody[] }>().items;
    expect(after).toMatchObject({ reversed: true, voucherFen: '0', subsidyFen: '0' });
  });
});
