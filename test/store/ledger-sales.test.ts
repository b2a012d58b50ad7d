/**
 * Sales of model services and corpora, charged in the ledger like metered usage: worked examples with the fen worked
 * by hand. Vouchers pay only sales of their own kind (and compute vouchers only usage), within their window, providers
 * and products; subsidy programmes award on a sale only where their base includes its kind; a repeat is one charge;
 * a reversal restores every balance; statements and the monthly report show it.
 */
import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { evaluateSubsidies } from '../../src/core/money/programmes/evaluate.ts';
import { parseProgrammeText } from '../../src/core/money/programmes/load.ts';
import type { SubsidyProgramme } from '../../src/core/money/programmes/types.ts';
import type { Store } from '../../src/store/index.ts';
import {
  LedgerRefusal,
  PLATFORM_FEE_ACCOUNT,
  programmePool,
  providerPayable,
  tenantWallet,
  voucherLiability,
  type NewSale,
  type SubsidySource,
  type VoucherKind,
} from '../../src/store/ledger/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { h100Run, insertUsage, paidShareProgramme, seedLedgerFederation } from '../helpers/ledger-fixtures.ts';

const NOW = new Date('2026-11-30T00:00:00Z');
const DECEMBER = new Date('2026-12-01T00:00:00+08:00');
const JANUARY = new Date('2027-01-01T00:00:00+08:00');

/** A pro-rata-at-close programme paying `rate` of what is metered of the kinds named, funded 1:1 by two funders. */
function proRataProgramme(id: string, kinds: string[], rate: string): SubsidyProgramme {
  const text = `apiVersion: suanli.io/v1
kind: SubsidyProgramme
metadata: { id: ${id}, version: '1', series: ${id}, title: t, sources: [s] }
spec:
  validFrom: 2026-10-01
  payee: tenant
  funders:
    - { funder: anhui-province, share: 50% }
    - { funder: hefei-city, share: 50% }
  rounding: down
  budget: { exhaustion: pro-rata-at-close, period: month }
  rules:
    - { id: use, base: metered, rate: { fixed: ${rate} }, appliesTo: { kinds: [${kinds.join(', ')}] } }
`;
  const parsed = parseProgrammeText(text, `${id}.yaml`);
  if (!parsed.ok || parsed.loaded.programme.kind !== 'SubsidyProgramme') throw new Error(JSON.stringify(parsed));
  return parsed.loaded.programme;
}

const AT = new Date('2026-11-10T10:00:00+08:00');

/** ¥800.00 of fine-tuning sold by Suzhou Wanbei (no platform fee) to acme. */
const sale = (over: Partial<NewSale & { at: Date }> = {}): NewSale & { actor: string; at: Date } => ({
  actor: 'suzhou-admin',
  at: NOW,
  providerId: 'suzhou-wanbei',
  reference: 'order-1',
  tenantId: 'acme',
  kind: 'model',
  product: 'qwen-finetune',
  amountFen: 80_000n,
  occurredAt: AT,
  ...over,
});

describeEachDatabase('ledger: sales of model services and corpora', (database) => {
  let store: Store;
  beforeEach(async () => {
    store = await database.open();
    await seedLedgerFederation(store.db);
    await store.ledger.fundPool({
      actor: 'office',
      at: NOW,
      programmeId: 'vouchers',
      funder: 'province',
      fen: 1_000_000n,
      reference: 'fund-vouchers',
    });
  });
  afterEach(async () => store.close());

  const balances = () => store.ledger.cachedBalances();
  const issue = (id: string, kind: VoucherKind, over: { providers?: string[]; products?: string[] } = {}) =>
    store.ledger.issueVoucher({
      actor: 'office',
      at: NOW,
      id,
      kind,
      tenantId: 'acme',
      programmeId: 'vouchers',
      funder: 'province',
      faceFen: 50_000n,
      validFrom: new Date('2026-11-01T00:00:00+08:00'),
      validTo: new Date('2026-12-01T00:00:00+08:00'),
      providers: over.providers ?? [],
      products: over.products ?? [],
      maxShareBasisPoints: 10_000,
    });
  const sumsToZero = async () => {
    const all = await store.ledger.balancesFromPostings();
    expect([...all.values()].reduce((a, b) => a + b, 0n)).toBe(0n);
    for (const [account, fen] of await balances()) expect(fen, account).toBe(all.get(account) ?? 0n);
  };

  it('a ¥500.00 模型券 pays ¥500.00 of an ¥800.00 model service; the wallet pays ¥300.00, the provider gets ¥800.00', async () => {
    await issue('m-1', 'model');
    const { sale: stored, created, transactions } = await store.ledger.recordSale(sale());
    expect(created).toBe(true);
    expect(transactions).toHaveLength(2);
    expect(stored).toMatchObject({ kind: 'model', amountFen: 80_000n, voucherFen: 50_000n, reversed: false });
    const after = await balances();
    // The wallet is debited 80000 and credited 50000 by the voucher: it owes 30000 (debit +).
    expect(after.get(tenantWallet('acme'))).toBe(30_000n);
    expect(after.get(providerPayable('suzhou-wanbei'))).toBe(-80_000n);
    expect(after.get(voucherLiability('m-1'))).toBe(0n);
    await sumsToZero();
  });

  it('takes the platform fee as compute charges do: 5% of ¥800.00 at Hefei AICC is ¥40.00', async () => {
    await store.ledger.recordSale(sale({ providerId: 'hefei-aicc', kind: 'corpus', product: 'legal-zh-corpus' }));
    const after = await balances();
    expect(after.get(tenantWallet('acme'))).toBe(80_000n);
    expect(after.get(providerPayable('hefei-aicc'))).toBe(-76_000n);
    expect(after.get(PLATFORM_FEE_ACCOUNT)).toBe(-4_000n);
  });

  it('pays a sale only with a voucher of its kind, valid then, for that provider and product', async () => {
    await issue('corpus-1', 'corpus');
    await issue('compute-1', 'compute');
    await issue('other-provider', 'model', { providers: ['hefei-aicc'] });
    await issue('other-product', 'model', { products: ['glm-api'] });
    await issue('this-product', 'model', { providers: ['suzhou-wanbei'], products: ['qwen-finetune'] });
    // A 语料券 and a compute voucher pay nothing of a model sale, nor vouchers for another provider or product.
    await store.ledger.recordSale(sale({ amountFen: 20_000n }));
    let after = await balances();
    for (const id of ['corpus-1', 'compute-1', 'other-provider', 'other-product'])
      expect(after.get(voucherLiability(id)), id).toBe(-50_000n);
    expect(after.get(voucherLiability('this-product'))).toBe(-30_000n);
    expect(after.get(tenantWallet('acme'))).toBe(0n);
    // The 语料券 pays a corpus sale.
    await store.ledger.recordSale(
      sale({ reference: 'order-2', kind: 'corpus', product: 'legal-zh', amountFen: 7_000n }),
    );
    after = await balances();
    expect(after.get(voucherLiability('corpus-1'))).toBe(-43_000n);
    expect(after.get(tenantWallet('acme'))).toBe(0n);
    // After its window a voucher pays nothing.
    await store.ledger.recordSale(
      sale({
        reference: 'order-3',
        at: new Date('2026-12-02T00:00:00Z'),
        occurredAt: new Date('2026-12-01T00:00:00+08:00'),
        amountFen: 1_000n,
      }),
    );
    after = await balances();
    expect(after.get(voucherLiability('this-product'))).toBe(-30_000n);
    expect(after.get(tenantWallet('acme'))).toBe(1_000n);
    await sumsToZero();
  });

  it('never pays compute usage with a 模型券 or 语料券', async () => {
    await issue('m-1', 'model');
    await issue('c-1', 'corpus');
    await insertUsage(store.db, [h100Run('u1', 'acme')]);
    await store.ledger.postPending({ now: NOW });
    const after = await balances();
    // 4 accelerator-hours at ¥18.00 = ¥72.00, all from the wallet.
    expect(after.get(tenantWallet('acme'))).toBe(7_200n);
    expect(after.get(voucherLiability('m-1'))).toBe(-50_000n);
    expect(after.get(voucherLiability('c-1'))).toBe(-50_000n);
  });

  it('awards subsidies on a sale only from programmes whose base includes its kind', async () => {
    for (const id of ['compute-only', 'models-and-corpora'])
      await store.ledger.fundPool({
        actor: 'office',
        at: NOW,
        programmeId: id,
        funder: 'province',
        fen: 100_000n,
        reference: `fund-${id}`,
      });
    const subsidies: SubsidySource = {
      programmes: [
        paidShareProgramme('compute-only', ['compute'], 2_000n),
        paidShareProgramme('models-and-corpora', ['model', 'corpus'], 1_000n),
      ],
      evaluate: evaluateSubsidies,
    };
    await issue('m-1', 'model');
    const { sale: stored } = await store.ledger.recordSale(sale(), { subsidies });
    // Paid after the voucher: 80000 − 50000 = 30000; 10% of it = 3000 from the models-and-corpora pool.
    expect(stored.subsidyFen).toBe(3_000n);
    const after = await balances();
    expect(after.get(tenantWallet('acme'))).toBe(27_000n);
    expect(after.get(programmePool('models-and-corpora', 'province'))).toBe(-97_000n);
    expect(after.get(programmePool('compute-only', 'province'))).toBe(-100_000n);
    const awards = await store.db
      .selectFrom('ledger_transactions')
      .select(['programme_id', 'sale_id', 'amount_fen'])
      .where('purpose', '=', 'subsidy')
      .execute();
    expect(awards).toEqual([{ programme_id: 'models-and-corpora', sale_id: stored.id, amount_fen: '3000' }]);
    await sumsToZero();
  });

  it('claims on a sale under a pro-rata programme whose base admits it, paid at close, withdrawn or clawed back by its reversal', async () => {
    for (const funder of ['anhui-province', 'hefei-city'])
      await store.ledger.fundPool({
        actor: 'office',
        at: new Date('2026-10-01T00:00:00+08:00'),
        programmeId: 'models-prorata',
        funder,
        fen: 1_001n,
        reference: `${funder}-models`,
      });
    const models = proRataProgramme('models-prorata', ['model', 'corpus'], '10%');
    const compute = proRataProgramme('compute-prorata', ['compute'], '20%');
    const subsidies: SubsidySource = { programmes: [models, compute], evaluate: evaluateSubsidies };
    const record = (over: Partial<NewSale & { at: Date }>) => store.ledger.recordSale(sale(over), { subsidies });
    const claims = async () =>
      (
        await sql<{ key: string; programme: string; usage: string | null; sale: string | null; fen: string; at: Date }>`
          select idempotency_key as key, programme_id as programme, usage_record_id as usage, sale_id as sale,
            amount_fen::text as fen, at from programme_claims order by amount_fen desc`.execute(store.db)
      ).rows;
    const before = await balances();

    // ¥800.00 of fine-tuning to acme: 10% = 8,000 fen claimed, nothing paid now; the compute-only programme claims
    // nothing on a sale. ¥120.00 of corpus to rival: 1,200 claimed. ¥50.00 to campus, reversed before the close.
    const acme = (await record({})).sale;
    const rival = (await record({ reference: 'order-2', tenantId: 'rival', kind: 'corpus', amountFen: 12_000n })).sale;
    const campus = (await record({ reference: 'order-3', tenantId: 'campus', amountFen: 5_000n })).sale;
    // A sale made on 1 December (China time), reported later: its claim belongs to December, not November.
    const late = (
      await record({
        reference: 'order-4',
        at: new Date('2026-12-02T00:00:00Z'),
        occurredAt: new Date('2026-12-01T09:00:00+08:00'),
        amountFen: 1_000n,
      })
    ).sale;
    // Usage is claimed by the compute programme only: 4 H100-hours at ¥18.00 = 7,200 fen, 20% = 1,440.
    await insertUsage(store.db, [h100Run('u1', 'acme')]);
    await store.ledger.postPending({ now: DECEMBER, subsidies });
    expect(await claims()).toEqual([
      {
        key: `sale:${acme.id}:claim:models-prorata:use`,
        programme: 'models-prorata',
        usage: null,
        sale: acme.id,
        fen: '8000',
        at: AT,
      },
      {
        key: 'usage:u1#0:claim:compute-prorata:use',
        programme: 'compute-prorata',
        usage: 'u1',
        sale: null,
        fen: '1440',
        at: new Date('2026-11-02T02:00:00Z'),
      },
      expect.objectContaining({ sale: rival.id, fen: '1200', at: AT }),
      expect.objectContaining({ sale: campus.id, fen: '500' }),
      expect.objectContaining({ sale: late.id, fen: '100', at: new Date('2026-12-01T01:00:00Z') }),
    ]);
    expect(
      await store.db.selectFrom('ledger_transactions').select('id').where('purpose', '=', 'subsidy').execute(),
    ).toEqual([]);
    expect(acme.subsidyFen).toBe(0n);
    // Recording a sale again claims nothing more.
    await record({});
    expect(await claims()).toHaveLength(5);

    // Reversing campus's sale withdraws its unsettled claim, as a usage reversal does.
    await store.ledger.reverseSale({ actor: 'office', at: DECEMBER, saleId: campus.id, reason: 'refunded' });
    expect(await store.ledger.outstandingClaims()).toEqual([
      { programmeId: 'compute-prorata', claims: 1, claimedFen: 1_440n, oldest: new Date('2026-11-02T02:00:00Z') },
      { programmeId: 'models-prorata', claims: 3, claimedFen: 9_300n, oldest: AT },
    ]);

    // November: claims acme 8,000 and rival 1,200 (9,200) on pools of 1,001 + 1,001 = 2,002. acme 2,002 × 8,000 /
    // 9,200 = 1,740.87, rival 261.13: 1,740 + 261 = 2,001, the last fen to acme (larger remainder): 1,741 and 261.
    // acme 1,741 of (1,001 : 1,001) → 870.5 each, the tied fen to anhui-province: 871 : 870; rival 261 of the rest
    // (130 : 131). The December sale's 100 waits for December's close.
    const { close } = await store.ledger.closePeriod({
      programme: models,
      period: '2026-11',
      now: DECEMBER,
      actor: 'office',
    });
    expect(close).toMatchObject({ claimedFen: 9_200n, paidFen: 2_002n });
    expect(close.payments.map((p) => [p.payeeId, p.paidFen, p.byFunder.map((f) => f.amountFen)])).toEqual([
      ['acme', 1_741n, [871n, 870n]],
      ['rival', 261n, [130n, 131n]],
    ]);
    const closed = await balances();
    expect(closed.get(programmePool('models-prorata', 'anhui-province'))).toBe(0n);
    expect(closed.get(programmePool('models-prorata', 'hefei-city'))).toBe(0n);
    expect(closed.get(tenantWallet('acme'))).toBe(80_000n + 1_000n + 7_200n - 1_741n);
    expect(closed.get(tenantWallet('rival'))).toBe(12_000n - 261n);
    expect(await store.ledger.outstandingClaims()).toEqual([
      { programmeId: 'compute-prorata', claims: 1, claimedFen: 1_440n, oldest: new Date('2026-11-02T02:00:00Z') },
      { programmeId: 'models-prorata', claims: 1, claimedFen: 100n, oldest: new Date('2026-12-01T01:00:00Z') },
    ]);

    // Reversing acme's sale after the close claws back the 1,741 fen paid for its claim, into the pools it came from,
    // linked to the sale; reversing again claws back nothing twice.
    await store.ledger.reverseSale({ actor: 'office', at: JANUARY, saleId: acme.id, reason: 'refunded' });
    const clawback = await store.db
      .selectFrom('ledger_transactions')
      .selectAll()
      .where('idempotency_key', 'like', 'clawback:%')
      .executeTakeFirstOrThrow();
    expect(clawback).toMatchObject({ purpose: 'reversal', sale_id: acme.id, tenant_id: 'acme', amount_fen: '1741' });
    await store.ledger.reverseSale({ actor: 'office', at: JANUARY, saleId: acme.id, reason: 'again' });
    const after = await balances();
    expect(after.get(programmePool('models-prorata', 'anhui-province'))).toBe(-871n);
    expect(after.get(programmePool('models-prorata', 'hefei-city'))).toBe(-870n);
    // acme owes only the December sale and the usage; the refund took back the subsidy too.
    expect(after.get(tenantWallet('acme'))).toBe((before.get(tenantWallet('acme')) ?? 0n) + 1_000n + 7_200n);
    await sumsToZero();

    // The database takes a claim on exactly one cause.
    const claim = (usage: string | null, saleId: string | null) =>
      sql`insert into programme_claims (id, idempotency_key, programme_id, programme_version, rule_id, usage_record_id,
          sale_id, charge_transaction_id, tenant_id, provider_id, payee, at, amount_fen, detail, recorded_at)
        select 'c-x', 'k-x', 'models-prorata', '1', 'use', ${usage}, ${saleId}, charge_transaction_id, tenant_id,
          provider_id, payee, at, 1, '{}', now() from programme_claims limit 1`.execute(store.db);
    await expect(claim(null, null)).rejects.toThrow(/programme_claims_one_cause/);
    await expect(claim('u1', rival.id)).rejects.toThrow(/programme_claims_one_cause/);
    await expect(claim(null, rival.id)).rejects.toThrow(/programme_claims_sale|duplicate/);
  });

  it('charges a sale recorded twice once, refuses the reference with other terms, and reverses it entirely', async () => {
    await issue('m-1', 'model');
    const before = await balances();
    const first = await store.ledger.recordSale(sale());
    const charged = await balances();
    const again = await store.ledger.recordSale(sale({ description: 'a repeat of the same order' }));
    expect(again).toMatchObject({ created: false, transactions: [] });
    expect(again.sale.id).toBe(first.sale.id);
    expect(await balances()).toEqual(charged);
    await expect(store.ledger.recordSale(sale({ amountFen: 90_000n }))).rejects.toMatchObject({
      problem: 'conflict',
    });
    // Another provider may use the same order number for its own sale.
    await store.ledger.recordSale(sale({ providerId: 'hefei-aicc', amountFen: 100n }));

    const reversals = await store.ledger.reverseSale({
      actor: 'office',
      at: NOW,
      saleId: first.sale.id,
      reason: 'refunded',
    });
    expect(reversals).toHaveLength(2);
    expect(
      await store.ledger.reverseSale({ actor: 'office', at: NOW, saleId: first.sale.id, reason: 'again' }),
    ).toEqual([]);
    const after = await balances();
    for (const account of [tenantWallet('acme'), providerPayable('suzhou-wanbei'), voucherLiability('m-1')])
      expect(after.get(account) ?? 0n, account).toBe(
        (before.get(account) ?? 0n) + (account === tenantWallet('acme') ? 100n : 0n),
      );
    const [listed] = await store.ledger.sales({ providerId: 'suzhou-wanbei' });
    expect(listed).toMatchObject({ id: first.sale.id, reversed: true, voucherFen: 0n });
    await expect(
      store.ledger.reverseSale({ actor: 'office', at: NOW, saleId: 'nope', reason: 'x' }),
    ).rejects.toMatchObject({ problem: 'not-found' });
    await sumsToZero();
  });

  it('stores and charges one sale when the same reference is recorded by concurrent requests', async () => {
    await issue('m-1', 'model');
    const results = await Promise.all(Array.from({ length: 4 }, () => store.ledger.recordSale(sale())));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.sale.id)).size).toBe(1);
    const charges = await store.db
      .selectFrom('ledger_transactions')
      .select('id')
      .where('purpose', '=', 'charge')
      .execute();
    expect(charges).toHaveLength(1);
    expect((await balances()).get(tenantWallet('acme'))).toBe(30_000n);
  });

  it('refuses bad input naming the field, storing nothing', async () => {
    const refused = async (over: Partial<NewSale>, field: string) => {
      const error = (await store.ledger.recordSale(sale(over)).catch((e: unknown) => e)) as LedgerRefusal;
      expect(error).toBeInstanceOf(LedgerRefusal);
      expect(error.problem).toBe('invalid');
      expect(error.message.startsWith(`${field}: `), error.message).toBe(true);
    };
    await refused({ tenantId: 'nobody' }, 'tenantId');
    await refused({ providerId: 'nobody' }, 'providerId');
    await refused({ projectId: 'rival-p' }, 'projectId');
    await refused({ amountFen: 0n }, 'amountFen');
    await refused({ product: ' ' }, 'product');
    await refused({ kind: 'compute' as never }, 'kind');
    await refused({ occurredAt: new Date(NOW.getTime() + 3_600_000) }, 'occurredAt');
    expect(await store.db.selectFrom('sales').select('id').execute()).toEqual([]);
    expect(
      await store.db.selectFrom('ledger_transactions').select('id').where('purpose', '=', 'charge').execute(),
    ).toEqual([]);
    // The database refuses changing a sale.
    await store.ledger.recordSale(sale());
    await expect(store.db.updateTable('sales').set({ amount_fen: '1' }).execute()).rejects.toThrow(/append-only/);
  });

  it('shows sales in the tenant’s and provider’s statements and in the monthly report by kind', async () => {
    await issue('m-1', 'model');
    const { sale: stored } = await store.ledger.recordSale(sale());
    await store.ledger.recordSale(
      sale({ reference: 'order-2', providerId: 'hefei-aicc', kind: 'corpus', product: 'legal-zh', amountFen: 10_000n }),
    );
    await insertUsage(store.db, [h100Run('u1', 'rival')]);
    await store.ledger.postPending({ now: NOW });

    const tenant = await store.ledger.tenantStatement('acme', '2026-11');
    const lines = tenant.lines.filter((l) => l.saleId === stored.id).map((l) => [l.purpose, l.fen]);
    expect(lines).toEqual([
      ['charge', -80_000n],
      ['voucher-apply', 50_000n],
    ]);
    expect(tenant.closingFen).toBe(-30_000n - 10_000n);
    const provider = await store.ledger.providerStatement('suzhou-wanbei', '2026-11');
    expect(provider.lines.map((l) => [l.purpose, l.saleId, l.fen])).toEqual([['charge', stored.id, 80_000n]]);

    const report = await store.ledger.monthlyReport('2026-11', NOW);
    expect(report.byKind).toEqual([
      { kind: 'compute', spendFen: 7_200n, voucherFen: 0n, subsidyFen: 0n },
      { kind: 'model', spendFen: 80_000n, voucherFen: 50_000n, subsidyFen: 0n },
      { kind: 'corpus', spendFen: 10_000n, voucherFen: 0n, subsidyFen: 0n },
    ]);
    expect(report.total.spendFen).toBe(97_200n);
    // A reversal is netted in the month it is made, by kind.
    await store.ledger.reverseSale({ actor: 'office', at: NOW, saleId: stored.id, reason: 'refunded' });
    const reversed = await store.ledger.monthlyReport('2026-11', NOW);
    expect(reversed.byKind[1]).toEqual({ kind: 'model', spendFen: 0n, voucherFen: 0n, subsidyFen: 0n });
  });
});
