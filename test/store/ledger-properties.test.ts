/**
 * The ledger's invariants over random usage streams mixed with sales of model services and corpora (fast-check), on
 * PGlite and PostgreSQL, and under concurrent posters on PostgreSQL: every transaction balances, all balances add up
 * to zero, the cached balances equal the sums of postings, no pool or voucher goes below zero, replaying usage and
 * sales changes nothing and reversing them restores every balance.
 */
import fc from 'fast-check';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createStore, type Store } from '../../src/store/index.ts';
import type { Database } from '../../src/store/schema.ts';
import { programmePool, voucherLiability } from '../../src/store/ledger/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import {
  POOLS,
  TENANTS,
  UNPRICED_POOL,
  insertUsage,
  seedLedgerFederation,
  standingCharges,
  testSubsidies,
  type UsageInput,
} from '../helpers/ledger-fixtures.ts';

const NOW = new Date('2026-12-05T00:00:00Z');
const MONTH_START = Date.parse('2026-11-01T00:00:00+08:00');
const ALL_POOLS = [...POOLS, UNPRICED_POOL];

const usageArb = fc.record({
  tenant: fc.integer({ min: 0, max: TENANTS.length - 1 }),
  pool: fc.integer({ min: 0, max: ALL_POOLS.length - 1 }),
  startMinute: fc.integer({ min: 0, max: 29 * 24 * 60 }),
  seconds: fc.integer({ min: 0, max: 40_000 }),
  accelerators: fc.integer({ min: 1, max: 8 }),
});

/** A sale by one of the two providers, paid partly by model or corpus vouchers and subsidised as it comes. */
const saleArb = fc.record({
  tenant: fc.integer({ min: 0, max: TENANTS.length - 1 }),
  provider: fc.constantFrom('hefei-aicc', 'suzhou-wanbei'),
  kind: fc.constantFrom('model' as const, 'corpus' as const),
  product: fc.constantFrom('llm-api', 'finetune', 'corpus-zh'),
  amountFen: fc.bigInt({ min: 1n, max: 100_000n }),
  minute: fc.integer({ min: 0, max: 29 * 24 * 60 }),
});

interface GeneratedUsage {
  tenant: number;
  pool: number;
  startMinute: number;
  seconds: number;
  accelerators: number;
}

function toUsage(id: string, u: GeneratedUsage): UsageInput {
  const pool = ALL_POOLS[u.pool]!;
  const startedAt = new Date(MONTH_START + u.startMinute * 60_000);
  return {
    id,
    tenant: TENANTS[u.tenant]!,
    poolId: pool.id,
    model: pool.model,
    cluster: pool.cluster,
    startedAt,
    endedAt: new Date(startedAt.getTime() + u.seconds * 1000),
    acceleratorSeconds: BigInt(u.seconds * u.accelerators),
  };
}

async function expectInvariants(store: Store): Promise<void> {
  const db = store.db;
  const unbalanced = await sql`select transaction_id from ledger_postings group by transaction_id
    having sum(fen) <> 0 or count(*) < 2`.execute(db);
  expect(unbalanced.rows).toEqual([]);
  const fromPostings = await store.ledger.balancesFromPostings();
  const cached = await store.ledger.cachedBalances();
  for (const [account, fen] of cached) expect([account, fen]).toEqual([account, fromPostings.get(account) ?? 0n]);
  expect([...fromPostings.values()].reduce((a, b) => a + b, 0n)).toBe(0n);
  const overdrawn = await sql`select id, balance_fen from ledger_accounts
    where kind in ('programme-pool', 'voucher-liability') and balance_fen > 0`.execute(db);
  expect(overdrawn.rows).toEqual([]);
}

const snapshot = async (store: Store) =>
  new Map([...(await store.ledger.cachedBalances())].filter(([, fen]) => fen !== 0n));

describeEachDatabase('ledger properties', (database) => {
  let store: Store;
  beforeAll(async () => {
    store = await database.open();
    await seedLedgerFederation(store.db);
  });
  afterAll(async () => store.close());

  it('keeps every invariant over random usage streams mixed with sales, with vouchers and subsidies; replays and reversals', async () => {
    const subsidies = testSubsidies({ respectPools: false });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(usageArb, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: TENANTS.length - 1 }),
        fc.bigInt({ min: 1n, max: 20_000n }),
        fc.array(saleArb, { maxLength: 4 }),
        // Without programmes loaded, records no voucher pays are charged as lines of per-batch charges.
        fc.boolean(),
        async (stream, voucherTenant, funding, sales, withProgrammes) => {
          run++;
          const at = new Date(MONTH_START);
          // Small pools, so that awards and vouchers run them dry and the cut to what is left is exercised.
          for (const funder of ['province', 'hefei']) {
            await store.ledger.fundPool({
              actor: 't',
              at,
              programmeId: 'test-compute',
              funder,
              fen: funding,
              reference: `${run}-${funder}`,
            });
          }
          await store.ledger.fundPool({
            actor: 't',
            at,
            programmeId: 'vouchers',
            funder: 'province',
            fen: 3n * funding,
            reference: `${run}-v`,
          });
          // A compute voucher, a 模型券 and a 语料券 to one tenant: each pays only charges of its own kind.
          for (const kind of ['compute', 'model', 'corpus'] as const) {
            await store.ledger.issueVoucher({
              actor: 't',
              at,
              id: `v${run}-${kind}`,
              kind,
              tenantId: TENANTS[voucherTenant]!,
              programmeId: 'vouchers',
              funder: 'province',
              faceFen: funding,
              validFrom: at,
              validTo: new Date(MONTH_START + 31 * 86_400_000),
              providers: [],
              products: [],
              maxShareBasisPoints: kind === 'compute' ? 8000 : 10_000,
            });
          }
          const before = await snapshot(store);
          const records = stream.map((u, i) => toUsage(`r${run}-${i}`, u));
          await insertUsage(store.db, records);
          // Sales are charged as they are recorded, between the usage being metered and posted.
          const recordSale = (sale: (typeof sales)[number], i: number) =>
            store.ledger.recordSale(
              {
                actor: 't',
                at: NOW,
                providerId: sale.provider,
                reference: `${run}-${i}`,
                tenantId: TENANTS[sale.tenant]!,
                kind: sale.kind,
                product: sale.product,
                amountFen: sale.amountFen,
                occurredAt: new Date(MONTH_START + sale.minute * 60_000),
              },
              { subsidies },
            );
          const saleIds = [];
          for (const [i, sale] of sales.entries()) saleIds.push((await recordSale(sale, i)).sale.id);
          await store.ledger.postPending({ now: NOW, ...(withProgrammes ? { subsidies } : {}) });
          await expectInvariants(store);
          // No record charged twice, as a line or on its own (an unpriced one waits, a zero charge posts nothing).
          const charged = await standingCharges(store.db);
          for (const r of records) expect(charged.get(r.id) ?? 0).toBeLessThanOrEqual(1);
          const priced = records.filter((r) => r.poolId !== UNPRICED_POOL.id && r.acceleratorSeconds >= 3600n);
          for (const r of priced) expect([r.id, charged.get(r.id)]).toEqual([r.id, 1]);
          const posted = await snapshot(store);

          await store.ledger.requeue(records.map((r) => r.id));
          const replay = await store.ledger.postPending({ now: NOW, ...(withProgrammes ? { subsidies } : {}) });
          expect(replay.transactions).toBe(0);
          for (const [i, sale] of sales.entries()) expect((await recordSale(sale, i)).created).toBe(false);
          expect(await snapshot(store)).toEqual(posted);

          for (const r of records) {
            await store.ledger.reverseUsageRecord({ actor: 't', at: NOW, usageRecordId: r.id, reason: 'property' });
          }
          for (const saleId of saleIds) {
            await store.ledger.reverseSale({ actor: 't', at: NOW, saleId, reason: 'property' });
          }
          await expectInvariants(store);
          expect(await snapshot(store)).toEqual(before);
          const left = await standingCharges(store.db);
          for (const r of records) expect(left.get(r.id) ?? 0).toBe(0);
        },
      ),
      { numRuns: database.kind === 'postgres' ? 12 : 8 },
    );
  });

  if (database.kind === 'postgres') {
    it('never lets a pool or voucher go below zero with 8 connections posting at once', async () => {
      const url = await database.freshUrl();
      const writer = await createStore({ databaseUrl: url!, maxConnections: 8 });
      try {
        await seedLedgerFederation(writer.db as Kysely<Database>);
        const at = new Date(MONTH_START);
        await writer.ledger.fundPool({
          actor: 't',
          at,
          programmeId: 'test-compute',
          funder: 'province',
          fen: 5_000n,
          reference: 'p',
        });
        await writer.ledger.fundPool({
          actor: 't',
          at,
          programmeId: 'test-compute',
          funder: 'hefei',
          fen: 3_000n,
          reference: 'h',
        });
        await writer.ledger.fundPool({
          actor: 't',
          at,
          programmeId: 'vouchers',
          funder: 'province',
          fen: 4_000n,
          reference: 'v',
        });
        await writer.ledger.issueVoucher({
          actor: 't',
          at,
          id: 'small',
          kind: 'compute',
          tenantId: 'acme',
          programmeId: 'vouchers',
          funder: 'province',
          faceFen: 4_000n,
          validFrom: at,
          validTo: new Date(MONTH_START + 31 * 86_400_000),
          providers: [],
          products: [],
          maxShareBasisPoints: 10_000,
        });
        // 240 one-hour H100 runs of 2 accelerators: 3600 fen each, 720 fen of subsidy asked for each.
        const records = Array.from({ length: 240 }, (_, i) =>
          toUsage(`c${i}`, { tenant: i % TENANTS.length, pool: 0, startMinute: i, seconds: 3600, accelerators: 2 }),
        );
        await insertUsage(writer.db, records);
        const subsidies = testSubsidies({ respectPools: false });
        const reports = await Promise.all(
          Array.from({ length: 8 }, () => writer.ledger.postPending({ now: NOW, limit: 10, subsidies })),
        );
        expect(reports.reduce((n, r) => n + r.posted, 0)).toBe(240);
        expect(await writer.ledger.queued()).toBe(0);
        await expectInvariants(writer);
        const balances = await writer.ledger.cachedBalances();
        // Demand (240 × 432 and 240 × 288) far exceeds the pools: each paid out exactly what it held, not a fen more.
        expect(balances.get(programmePool('test-compute', 'province'))).toBe(0n);
        expect(balances.get(programmePool('test-compute', 'hefei'))).toBe(0n);
        expect(balances.get(voucherLiability('small'))).toBe(0n);
        // Every record charged exactly once, by its own charge or as a line of a charge of many.
        const charges = await standingCharges(writer.db as Kysely<Database>);
        expect([charges.size, Math.max(...charges.values())]).toEqual([240, 1]);
      } finally {
        await writer.close();
      }
    });
  }
});
