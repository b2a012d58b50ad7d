/** The PostgreSQL ledger: posting usage, vouchers, subsidies, reversals, and the rules the database itself enforces. */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.ts';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createStore, type Store } from '../../src/store/index.ts';
import { inTransaction, writeEntries, type LedgerEntry } from '../../src/store/ledger/entries.ts';
import {
  BANK_ACCOUNT,
  LedgerRefusal,
  PLATFORM_FEE_ACCOUNT,
  programmePool,
  providerPayable,
  tenantWallet,
  voucherLiability,
} from '../../src/store/ledger/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { POOLS, UNPRICED_POOL, insertUsage, seedLedgerFederation, testSubsidies } from '../helpers/ledger-fixtures.ts';

const NOW = new Date('2026-11-30T00:00:00Z');
const h100 = POOLS[0];
const ascend = POOLS[1];

const usage = (
  id: string,
  tenant: string,
  pool: (typeof POOLS)[number] | typeof UNPRICED_POOL,
  start: string,
  hours: number,
) => ({
  id,
  tenant,
  poolId: pool.id,
  model: pool.model,
  cluster: pool.cluster,
  startedAt: new Date(start),
  endedAt: new Date(new Date(start).getTime() + hours * 3_600_000),
  acceleratorSeconds: BigInt(Math.round(hours * 3600) * 2),
});

describeEachDatabase('ledger', (database) => {
  let store: Store;
  beforeEach(async () => {
    store = await database.open();
    await seedLedgerFederation(store.db);
  });
  afterEach(async () => store.close());

  const balances = () => store.ledger.cachedBalances();
  const post = (subsidies?: ReturnType<typeof testSubsidies>) =>
    store.ledger.postPending({ now: NOW, ...(subsidies ? { subsidies } : {}) });

  it('charges a usage record once: wallet debited, provider and platform fee credited, replays change nothing', async () => {
    // 2 accelerators × 2 h at ¥18.00/h = ¥72.00; a 5% fee is ¥3.60.
    await insertUsage(store.db, [usage('u1', 'acme', h100, '2026-11-02T08:00:00+08:00', 2)]);
    const report = await post();
    expect(report).toMatchObject({ posted: 1, transactions: 1, unpriced: [] });
    const after = await balances();
    expect(after.get(tenantWallet('acme'))).toBe(7200n);
    expect(after.get(providerPayable('hefei-aicc'))).toBe(-6840n);
    expect(after.get(PLATFORM_FEE_ACCOUNT)).toBe(-360n);
    expect(await store.ledger.queued()).toBe(0);

    await store.ledger.requeue(['u1']);
    expect(await post()).toMatchObject({ posted: 1, transactions: 0 });
    expect(await balances()).toEqual(after);

    // The provider is paid what it is owed, once per reference, never more.
    await expect(
      store.ledger.payOut({ actor: 'office', at: NOW, providerId: 'hefei-aicc', fen: 6841n, reference: 'pay-1' }),
    ).rejects.toThrow(/owed 6840 fen, less than the payout 6841/);
    await store.ledger.payOut({ actor: 'office', at: NOW, providerId: 'hefei-aicc', fen: 6840n, reference: 'pay-1' });
    await store.ledger.payOut({ actor: 'office', at: NOW, providerId: 'hefei-aicc', fen: 6840n, reference: 'pay-1' });
    expect((await balances()).get(providerPayable('hefei-aicc'))).toBe(0n);
    // The charge is a line of its batch's charge transaction for acme at hefei-aicc in November (migration 016).
    const charge = await store.db
      .selectFrom('ledger_transactions')
      .selectAll()
      .where('purpose', '=', 'charge')
      .executeTakeFirstOrThrow();
    expect(charge).toMatchObject({ purpose: 'charge', usage_record_id: null, tenant_id: 'acme', amount_fen: '7200' });
    const lines = await store.db.selectFrom('ledger_charge_lines').selectAll().execute();
    expect(lines).toEqual([
      expect.objectContaining({
        transaction_id: charge.id,
        usage_seqs: [
          (await store.db.selectFrom('usage_records').select('ledger_seq').executeTakeFirstOrThrow()).ledger_seq,
        ],
        fen: ['7200'],
        fee_fen: ['360'],
        price_versions: [expect.stringMatching(/^p\d+$/)],
      }),
    ]);
    const [line] = (await store.ledger.tenantStatement('acme', '2026-11')).lines;
    expect(line).toMatchObject({ transactionId: charge.id, usageRecordId: 'u1', purpose: 'charge', fen: -7200n });
    expect(line?.detail).toMatchObject({ priceVersion: lines[0]?.price_versions[0], acceleratorSeconds: '14400' });
  });

  it('splits a run across a price change and rounds once', async () => {
    // 2 accelerators, 1 h before and 1 h after the drop to ¥16.50: 7200 s × 1800/3600 + 7200 s × 1650/3600 = 6900.
    await insertUsage(store.db, [usage('u1', 'rival', h100, '2026-11-14T23:00:00+08:00', 2)]);
    await post();
    expect((await balances()).get(tenantWallet('rival'))).toBe(6900n);
  });

  it('leaves a record without a price uncharged and queued with the reason, and charges it once one is set', async () => {
    await insertUsage(store.db, [usage('u1', 'acme', UNPRICED_POOL, '2026-11-02T08:00:00+08:00', 1)]);
    const report = await post();
    expect(report.posted).toBe(0);
    expect(report.unpriced).toEqual([{ usageRecordId: 'u1', reason: expect.stringContaining('no price') }]);
    expect(await store.ledger.unpriced()).toEqual([
      { usageRecordId: 'u1', reason: expect.stringContaining('hefei-1:spare'), attempts: 1 },
    ]);
    expect(await store.db.selectFrom('ledger_transactions').selectAll().execute()).toEqual([]);
    // Not tried again at once…
    expect((await post()).unpriced).toEqual([]);
    await store.federation.addPrice(UNPRICED_POOL.id, 700, new Date('2026-01-01T00:00:00Z'));
    const later = await store.ledger.postPending({ now: new Date(NOW.getTime() + 120_000) });
    expect(later.posted).toBe(1);
    expect((await balances()).get(tenantWallet('acme'))).toBe(1400n);
  });

  it('tops up a wallet idempotently by reference, and refuses bad input naming it, storing nothing', async () => {
    const at = NOW;
    const first = await store.ledger.topUp({ actor: 'office', at, tenantId: 'acme', fen: 100_00n, reference: 'b-1' });
    const again = await store.ledger.topUp({ actor: 'office', at, tenantId: 'acme', fen: 100_00n, reference: 'b-1' });
    expect(again).toEqual({ id: first.id, created: false });
    expect((await balances()).get(tenantWallet('acme'))).toBe(-100_00n);
    expect((await balances()).get(BANK_ACCOUNT)).toBe(100_00n);
    await expect(
      store.ledger.topUp({ actor: 'office', at, tenantId: 'acme', fen: 5n, reference: 'b-1' }),
    ).rejects.toThrow(/b-1 was used before/);
    await expect(
      store.ledger.topUp({ actor: 'office', at, tenantId: 'rival', fen: 100_00n, reference: 'b-1' }),
    ).rejects.toThrow(/b-1 was used before for 10000 fen to acme/);
    await expect(
      store.ledger.topUp({ actor: 'office', at, tenantId: 'acme', fen: 0n, reference: 'b-2' }),
    ).rejects.toThrow(/amount must be a positive/);
    await expect(
      store.ledger.topUp({ actor: 'office', at, tenantId: 'nobody', fen: 5n, reference: 'b-3' }),
    ).rejects.toThrow(LedgerRefusal);
    expect(await store.db.selectFrom('ledger_transactions').select('id').execute()).toHaveLength(1);
    expect((await store.audit.list({ objectType: 'tenant-wallet' })).map((e) => e.action)).toEqual(['wallet.top-up']);
  });

  it('writes a key once however many writers race for it, and concurrent replays of a batch write nothing', async () => {
    // On PostgreSQL these run on separate connections: the losers wait for the winner's key and are skipped.
    const at = NOW;
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        store.ledger.topUp({ actor: 'office', at, tenantId: 'acme', fen: 10_00n, reference: 'race-1' }),
      ),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect((await balances()).get(tenantWallet('acme'))).toBe(-10_00n);

    const records = Array.from({ length: 120 }, (_, i) =>
      usage(`race-u${i}`, i % 2 ? 'acme' : 'rival', i % 3 ? h100 : ascend, '2026-11-14T20:00:00+08:00', 1 + (i % 7)),
    );
    await insertUsage(store.db, records);
    const posters = () =>
      Promise.all(Array.from({ length: 4 }, () => store.ledger.postPending({ now: NOW, limit: 25 })));
    const first = await posters();
    expect(first.reduce((n, r) => n + r.posted, 0)).toBe(120);
    const after = await balances();
    const count = (await store.db.selectFrom('ledger_transactions').select('id').execute()).length;
    await store.ledger.requeue(records.map((r) => r.id));
    const again = await posters();
    expect(again.reduce((n, r) => n + r.posted, 0)).toBe(120);
    expect(again.reduce((n, r) => n + r.transactions, 0)).toBe(0);
    expect(await balances()).toEqual(after);
    expect((await store.db.selectFrom('ledger_transactions').select('id').execute()).length).toBe(count);
    expect(await store.ledger.queued()).toBe(0);
  });

  it('issues vouchers from a pool, spends them on charges up to their share, and returns the rest at expiry', async () => {
    const at = new Date('2026-11-01T00:00:00+08:00');
    await store.ledger.fundPool({
      actor: 'office',
      at,
      programmeId: 'vouchers-2026',
      funder: 'province',
      fen: 10_000n,
      reference: 'f1',
    });
    const voucher = {
      actor: 'office',
      at,
      id: 'v1',
      kind: 'compute' as const,
      tenantId: 'acme',
      programmeId: 'vouchers-2026',
      funder: 'province',
      faceFen: 5_000n,
      validFrom: at,
      validTo: new Date('2026-12-01T00:00:00+08:00'),
      providers: ['hefei-aicc'],
      products: [],
      maxShareBasisPoints: 5000,
    };
    expect(await store.ledger.issueVoucher(voucher)).toEqual({ id: 'v1', created: true });
    expect(await store.ledger.issueVoucher(voucher)).toEqual({ id: 'v1', created: false });
    await expect(store.ledger.issueVoucher({ ...voucher, id: 'v2', faceFen: 6_000n })).rejects.toThrow(
      /holds 5000 fen, less than the face value 6000/,
    );
    expect(await store.db.selectFrom('vouchers').select('id').execute()).toEqual([{ id: 'v1' }]);
    await expect(sql`update vouchers set tenant_id = 'rival'`.execute(store.db)).rejects.toThrow(/non-transferable/);

    // 7200 fen charge: the voucher pays at most half (3600); then 1400 of a second charge; the Ascend pool's
    // provider is not on the voucher, so its charge is the tenant's alone.
    await insertUsage(store.db, [
      usage('u1', 'acme', h100, '2026-11-02T08:00:00+08:00', 2),
      usage('u2', 'acme', h100, '2026-11-03T08:00:00+08:00', 2),
      {
        ...usage('u3', 'acme', h100, '2026-11-03T08:00:00+08:00', 1),
        poolId: ascend.id,
        cluster: ascend.cluster,
        model: ascend.model,
      },
    ]);
    await post();
    const vouchers = await store.ledger.vouchers('acme');
    expect(vouchers.map((v) => [v.id, v.remainingFen])).toEqual([['v1', 0n]]);
    const b = await balances();
    expect(b.get(tenantWallet('acme'))).toBe(7200n + 7200n + 1810n - 5000n);
    expect(b.get(voucherLiability('v1'))).toBe(0n);

    await store.ledger.issueVoucher({
      ...voucher,
      id: 'v3',
      faceFen: 2_000n,
      validTo: new Date('2026-11-10T00:00:00+08:00'),
    });
    expect(await store.ledger.expireVouchers({ actor: 'system', at: NOW })).toBe(1);
    expect(await store.ledger.expireVouchers({ actor: 'system', at: NOW })).toBe(0);
    expect((await balances()).get(programmePool('vouchers-2026', 'province'))).toBe(-5_000n);
  });

  it('pays subsidy awards from each funder’s pool, cut to what the pool holds, never below zero', async () => {
    const at = new Date('2026-11-01T00:00:00+08:00');
    await store.ledger.fundPool({
      actor: 'office',
      at,
      programmeId: 'test-compute',
      funder: 'province',
      fen: 1_000n,
      reference: 'p',
    });
    await store.ledger.fundPool({
      actor: 'office',
      at,
      programmeId: 'test-compute',
      funder: 'hefei',
      fen: 100_000n,
      reference: 'h',
    });
    // 7200 fen → 20% = 1440: province 864, Hefei 576.
    await insertUsage(store.db, [
      usage('u1', 'acme', h100, '2026-11-02T08:00:00+08:00', 2),
      usage('u2', 'rival', h100, '2026-11-02T09:00:00+08:00', 2),
    ]);
    await post(testSubsidies({ respectPools: false }));
    const b = await balances();
    expect(b.get(programmePool('test-compute', 'province'))).toBe(0n);
    expect(b.get(programmePool('test-compute', 'hefei'))).toBe(-100_000n + 576n * 2n);
    expect(b.get(tenantWallet('acme'))).toBe(7200n - 1440n);
    expect(b.get(tenantWallet('rival'))).toBe(7200n - (1000n - 864n) - 576n);
    const report = await store.ledger.monthlyReport('2026-11', NOW);
    expect(report.total).toEqual({ spendFen: 14_400n, voucherFen: 0n, subsidyFen: 1440n + 712n });
    expect(report.subsidyByProgrammeAndFunder).toEqual([
      { programmeId: 'test-compute', funder: 'hefei', fen: 1152n },
      { programmeId: 'test-compute', funder: 'province', fen: 1000n },
    ]);
    expect(report.poolsRemaining).toContainEqual({ programmeId: 'test-compute', funder: 'province', fen: 0n });
    expect(report.byTenantCategory.map((c) => c.category)).toEqual(['enterprise', 'startup']);
    expect(report.topTenants[0]).toMatchObject({ spendFen: 7200n });
  });

  it('reverses every entry of a usage record, restoring every balance, and can charge it again', async () => {
    await store.ledger.fundPool({
      actor: 'office',
      at: NOW,
      programmeId: 'test-compute',
      funder: 'province',
      fen: 9_000n,
      reference: 'p',
    });
    await store.ledger.fundPool({
      actor: 'office',
      at: NOW,
      programmeId: 'test-compute',
      funder: 'hefei',
      fen: 9_000n,
      reference: 'h',
    });
    const before = await balances();
    await insertUsage(store.db, [usage('u1', 'acme', h100, '2026-11-02T08:00:00+08:00', 2)]);
    await post(testSubsidies({ respectPools: true }));
    const reversals = await store.ledger.reverseUsageRecord({
      actor: 'office',
      at: NOW,
      usageRecordId: 'u1',
      reason: 'wrong price',
      requeue: true,
    });
    expect(reversals).toHaveLength(2);
    const after = await balances();
    for (const [account, fen] of after) expect([account, fen]).toEqual([account, before.get(account) ?? 0n]);
    expect(
      await store.ledger.reverseUsageRecord({ actor: 'office', at: NOW, usageRecordId: 'u1', reason: 'again' }),
    ).toEqual([]);
    expect((await post(testSubsidies({ respectPools: true }))).transactions).toBe(2);
    expect((await balances()).get(tenantWallet('acme'))).toBe(7200n - 1440n);
    const statement = await store.ledger.tenantStatement('acme', '2026-11');
    expect(statement.lines.map((l) => [l.purpose, l.fen])).toEqual([
      ['charge', -7200n],
      ['subsidy', 1440n],
      // Charged again after the reversal, at the usage's own time (the reversals are dated when they were made).
      ['charge', -7200n],
      ['subsidy', 1440n],
      ['reversal', 7200n],
      ['reversal', -1440n],
    ]);
    expect(statement.closingFen).toBe(-(7200n - 1440n));
  });

  it('refuses, in the database, edits, deletions, unbalanced transactions and late postings', async () => {
    await insertUsage(store.db, [usage('u1', 'acme', h100, '2026-11-02T08:00:00+08:00', 2)]);
    await post();
    await expect(sql`update ledger_postings set fen = fen + 1`.execute(store.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from ledger_transactions`.execute(store.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_log`.execute(store.db)).rejects.toThrow(/append-only/);
    await sql`insert into ledger_accounts (id, kind) values (${BANK_ACCOUNT}, 'bank') on conflict do nothing`.execute(
      store.db,
    );
    const [tx] = await store.db.selectFrom('ledger_transactions').select('id').execute();
    await expect(
      sql`insert into ledger_postings values (${tx!.id}, 3, 4, ${BANK_ACCOUNT}, 1)`.execute(store.db),
    ).rejects.toThrow(/does not balance/);
    // Nor by claiming a seq beyond the count the transaction declared.
    await expect(
      sql`insert into ledger_postings select id, posting_count, posting_count, ${BANK_ACCOUNT}, 1
        from ledger_transactions limit 1`.execute(store.db),
    ).rejects.toThrow(/check constraint/);
    const insertTransaction = (t: Kysely<Database>) =>
      sql`insert into ledger_transactions (id, at, purpose, reason, idempotency_key, amount_fen, posting_count,
        recorded_by) values ('bad', now(), 'top-up', 'x', 'bad', 5, 2, 'me')`.execute(t);
    // Postings that do not add up to zero; a transaction without postings; postings without their transaction.
    await expect(
      sql`insert into ledger_postings values ('bad', 0, 2, ${BANK_ACCOUNT}, 5),
        ('bad', 1, 2, ${tenantWallet('acme')}, -4)`.execute(store.db),
    ).rejects.toThrow(/does not balance/);
    await expect(insertTransaction(store.db)).rejects.toThrow(/has not its 2 postings adding up to its amount 5 fen/);
    await expect(
      sql`insert into ledger_postings values ('bad', 0, 2, ${BANK_ACCOUNT}, 5),
        ('bad', 1, 2, ${tenantWallet('acme')}, -5)`.execute(store.db),
    ).rejects.toThrow(/postings of transaction bad, which does not exist/);
    // Nor with a transaction written in the same statement that declares another count (migration 008).
    await expect(
      sql`with t as (insert into ledger_transactions (id, at, purpose, reason, idempotency_key, amount_fen,
          posting_count, recorded_by) values ('bad', now(), 'top-up', 'x', 'bad', 5, 3, 'me'))
        insert into ledger_postings values ('bad', 0, 2, ${BANK_ACCOUNT}, 5),
          ('bad', 1, 2, ${tenantWallet('acme')}, -5)`.execute(store.db),
    ).rejects.toThrow(/does not exist with that posting count|has not its 3 postings/);
    await expect(
      sql`insert into ledger_postings values ('bad', 0, 2, 'bank:nowhere', 5),
        ('bad', 1, 2, ${tenantWallet('acme')}, -5)`.execute(store.db),
    ).rejects.toThrow(/no ledger account bank:nowhere/);
    expect(await store.db.selectFrom('ledger_transactions').select('id').execute()).toHaveLength(1);
  });

  it('refuses, in the database, a charge for a usage record that does not exist, and deleting a charged record', async () => {
    await insertUsage(store.db, [
      usage('u1', 'acme', h100, '2026-11-02T08:00:00+08:00', 1),
      usage('u2', 'acme', h100, '2026-11-02T08:00:00+08:00', 1),
    ]);
    expect(await post()).toMatchObject({ posted: 2, transactions: 1 });
    await expect(
      sql`with t as (insert into ledger_transactions (id, at, purpose, reason, idempotency_key, amount_fen,
          posting_count, usage_record_id, recorded_by)
          values ('ghost', now(), 'charge', 'x', 'ghost', 5, 2, 'no-such-record', 'me'))
        insert into ledger_postings values ('ghost', 0, 2, ${tenantWallet('acme')}, 5),
          ('ghost', 1, 2, ${PLATFORM_FEE_ACCOUNT}, -5)`.execute(store.db),
    ).rejects.toThrow(/foreign key/);
    // Charged as lines, the records are kept by the stream position (migration 016), which a poster holds locked.
    await expect(sql`delete from usage_records where id = 'u1'`.execute(store.db)).rejects.toThrow(
      /usage record u1 has been taken for charging: DELETE refused/,
    );
    await expect(sql`update usage_records set id = 'u1-renamed' where id = 'u1'`.execute(store.db)).rejects.toThrow(
      /taken for charging: UPDATE refused/,
    );
    await expect(
      sql`update usage_records set accelerator_seconds = 1 where id = 'u2'`.execute(store.db),
    ).rejects.toThrow(/taken for charging/);
    await expect(sql`update ledger_stream_position set seq = seq - 1`.execute(store.db)).rejects.toThrow(
      /cannot move back/,
    );
  });
  if (database.kind === 'postgres') {
    it('writes new keys plainly: a key a concurrent writer stored meanwhile is refused, and the batch run again skips it', async () => {
      const url = await database.freshUrl();
      const shared = await createStore({ databaseUrl: url!, maxConnections: 2 });
      try {
        const key = 'test:concurrent-key';
        const entry = (id: string): LedgerEntry => ({
          id,
          at: NOW,
          purpose: 'top-up',
          reason: 'concurrent writers of one key',
          idempotencyKey: key,
          links: {},
          recordedBy: 'test',
          postings: [
            { accountId: BANK_ACCOUNT, fen: 5n },
            { accountId: tenantWallet('acme'), fen: -5n },
          ],
        });
        // The first writer stores the key and holds its transaction open.
        let release = () => {};
        const held = new Promise<void>((resolve) => (release = resolve));
        let stored = () => {};
        const written = new Promise<void>((resolve) => (stored = resolve));
        const first = shared.db.transaction().execute(async (tx) => {
          const ids = await writeEntries(tx, [entry('first')], { newKeysOnly: true });
          stored();
          await held;
          return ids;
        });
        await written;
        // The second looks the key up (not visible yet), writes it plainly, waits on the unique index, is refused
        // once the first commits, and runs again: now it finds the key posted and writes nothing.
        let attempts = 0;
        const second = inTransaction(shared.db, async (tx) => {
          attempts++;
          const posted = await sql`select 1 from ledger_transactions where idempotency_key = ${key}`.execute(tx);
          return writeEntries(tx, posted.rows.length > 0 ? [] : [entry('second')], { newKeysOnly: true });
        });
        await new Promise((resolve) => setTimeout(resolve, 200));
        release();
        expect(await first).toEqual(new Set(['first']));
        expect(await second).toEqual(new Set());
        expect(attempts).toBe(2);
        const rows = await sql<{
          id: string;
        }>`select id from ledger_transactions where idempotency_key = ${key}`.execute(shared.db);
        expect(rows.rows).toEqual([{ id: 'first' }]);
      } finally {
        await shared.close();
      }
    });
  }
});
