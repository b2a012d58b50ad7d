import { afterEach, describe, expect, it } from 'vitest';
import { api, fakeApi, run, type FakeApi } from './helpers.ts';

let fake: FakeApi | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const SALE = {
  id: 's1',
  providerId: 'wuhu-hub',
  reference: 'order-1',
  tenantId: 'qiming-ai',
  projectId: null,
  kind: 'model',
  product: 'qwen-finetune',
  description: '',
  amountFen: '80000',
  amount: '¥800.00',
  occurredAt: '2026-11-20T02:00:00.000Z',
  recordedBy: 'wuhu-admin',
  recordedAt: '2026-11-20T02:00:00.000Z',
  voucherFen: '50000',
  subsidyFen: '3000',
  reversed: false,
};

describe('suanli sales', () => {
  it('records a sale with its price converted to fen exactly, and says what vouchers and the wallet paid', async () => {
    fake = await fakeApi(() => ({ status: 201, json: SALE }));
    const args = ['sales', 'record', '--tenant', 'qiming-ai', '--kind', 'model', '--product', 'qwen-finetune'];
    const r = await run([...args, '--amount', '800', '--reference', 'order-1', '--at', '2026-11-20T10:00+08:00'], {
      env: api(fake),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(fake.requests[0]?.path).toBe('/api/v1/sales');
    expect(JSON.parse(fake.requests[0]!.body)).toEqual({
      reference: 'order-1',
      tenantId: 'qiming-ai',
      kind: 'model',
      product: 'qwen-finetune',
      amountFen: '80000',
      occurredAt: '2026-11-20T02:00:00.000Z',
    });
    expect(r.stdout).toBe(
      'sale s1: model qwen-finetune to qiming-ai for ¥800.00 (vouchers ¥500.00, wallet ¥300.00, subsidy ¥30.00)\n',
    );

    const bad = await run(
      [...args.slice(0, 4), '--kind', 'compute', '--product', 'x', '--amount', '1', '--reference', 'r'],
      {
        env: api(fake),
      },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--kind/);
    expect(fake.requests).toHaveLength(1);
  });

  it('lists sales with filters, and reverses one', async () => {
    fake = await fakeApi((req) =>
      req.method === 'GET' ? { json: { items: [SALE] } } : { json: { reversals: ['t1', 't2', 't3'] } },
    );
    const r = await run(['sales', 'ls', '--kind', 'model', '--month', '2026-11'], { env: api(fake) });
    expect(r.code, r.stderr).toBe(0);
    expect(Object.fromEntries(fake.requests[0]!.query)).toEqual({ kind: 'model', month: '2026-11' });
    expect(r.stdout).toMatch(/wuhu-hub\s+qiming-ai\s+model\s+qwen-finetune\s+¥800\.00\s+¥500\.00\s+¥30\.00\s+order-1/);
    // A month that is not YYYY-MM is refused before anything is sent, naming the option.
    const bad = await run(['sales', 'ls', '--month', '2026-13'], { env: api(fake) });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--month.*must be a month written YYYY-MM/);
    expect(fake.requests).toHaveLength(1);
    const reversed = await run(['sales', 'reverse', 's1', '--reason', 'refund'], { env: api(fake) });
    expect(reversed.code, reversed.stderr).toBe(0);
    expect(fake.requests[1]?.path).toBe('/api/v1/sales/s1/reversal');
    expect(reversed.stdout).toBe('sale s1: 3 transactions reversed\n');
  });
});
