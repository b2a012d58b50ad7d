/**
 * The ledger's stream of usage records (migration 016, docs/decisions/0009-charge-lines.md): posters read records
 * past a stored position in commit order, and a record whose charge is all it posts becomes a line of its batch's
 * charge transaction for its tenant, provider and month. Figures worked by hand from the fixtures' prices: H100 at
 * ¥18.00 per accelerator-hour (hefei-aicc, 5% platform fee, half-up), Ascend 910B at ¥9.05 (suzhou-wanbei, no fee).
 */
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createStore, type Store } from '../../src/store/index.ts';
import { openStore } from '../../src/store/drivers.ts';
import { listMigrations } from '../../src/store/migrate.ts';
import { PLATFORM_FEE_ACCOUNT, providerPayable, tenantWallet } from '../../src/store/ledger/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import {
  POOLS,
  UNPRICED_POOL,
  benchUsageRecords,
  insertUsage,
  seedLedgerFederation,
  standingCharges,
  type UsageInput,
} from '../helpers/ledger-fixtures.ts';

const NOW = new Date('2026-11-20T00:00:00Z');
const [H100, ASCEND] = [POOLS[0], POOLS[1]];

const run = (
  id: string,
  tenant: string,
  pool: { id: string; cluster: string; model: string },
  start: string,
  hours: number,
  accelerators: number,
): UsageInput => {
  const startedAt = new Date(start);
  return {
    id,
    tenant,
    poolId: pool.id,
    model: pool.model,
    cluster: pool.cluster,
    startedAt,
    endedAt: new Date(startedAt.getTime() + hours * 3_600_000),
    acceleratorSeconds: BigInt(hours * 3600 * accelerators),
  };
};

describeEachDatabase('ledger stream', (database) => {
  let store: Store;
  beforeEach(async () => {
    store = await database.open();
    await seedLedgerFederation(store.db);
  });
  afterEach(async () => store.close());

  const post = () => store.ledger.postPending({ now: NOW });
  const charges = () =>
    sql<{ id: string; at: Date; tenant_id: string; provider_id: string; amount_fen: string; seqs: string[] }>`
      select t.id, t.at, t.tenant_id, t.provider_id, t.amount_fen::text as amount_fen,
        (select array_agg(r.id order by s.n) from unnest(l.usage_seqs) with ordinality as s(seq, n)
          join usage_records r on r.ledger_seq = s.seq) as seqs
      from ledger_transactions t join ledger_charge_lines l on l.transaction_id = t.id
      order by t.at`.execute(store.db);

  it('charges the records past the position once, as lines of one charge per tenant, provider and month', async () => {
    await insertUsage(store.db, [
      run('u1', 'acme', H100, '2026-11-02T08:00:00+08:00', 2, 2), // 14,400 s × ¥18.00/h = 7200 fen, fee 360
      run('u2', 'acme', H100, '2026-11-03T08:00:00+08:00', 1, 1), // 1800 fen, fee 90
      run('u3', 'acme', ASCEND, '2026-11-04T08:00:00+08:00', 2, 1), // 7200 s × ¥9.05/h = 1810 fen, no fee
      run('u4', 'rival', H100, '2026-10-31T22:00:00+08:00', 1, 1), // October (China time): 1800 fen, fee 90
      run('u5', 'acme', H100, '2026-10-30T10:00:00+08:00', 1, 1), // October: 1800 fen, fee 90
      run('u6', 'acme', UNPRICED_POOL, '2026-11-05T08:00:00+08:00', 1, 1), // no price: parked on the queue
    ]);
    expect(await store.ledger.queued()).toBe(6);
    const report = await post();
    expect(report).toMatchObject({ posted: 5, transactions: 4 });
    expect(report.unpriced).toEqual([{ usageRecordId: 'u6', reason: expect.stringContaining('no price') }]);
    expect(await store.ledger.unpriced()).toEqual([
      { usageRecordId: 'u6', reason: expect.stringContaining('hefei-1:spare'), attempts: 1 },
    ]);
    expect(await store.ledger.queued()).toBe(1);

    // Dated at the last end of their lines; each names its records in stream order.
    expect(
      (await charges()).rows.map((c) => [c.at.toISOString(), c.tenant_id, c.provider_id, c.amount_fen, c.seqs]),
    ).toEqual([
      ['2026-10-30T03:00:00.000Z', 'acme', 'hefei-aicc', '1800', ['u5']],
      ['2026-10-31T15:00:00.000Z', 'rival', 'hefei-aicc', '1800', ['u4']],
      ['2026-11-03T01:00:00.000Z', 'acme', 'hefei-aicc', '9000', ['u1', 'u2']],
      ['2026-11-04T02:00:00.000Z', 'acme', 'suzhou-wanbei', '1810', ['u3']],
    ]);
    const balances = await store.ledger.cachedBalances();
    expect(balances.get(tenantWallet('acme'))).toBe(1800n + 9000n + 1810n);
    expect(balances.get(providerPayable('hefei-aicc'))).toBe(-(1710n + 1710n + 6840n + 1710n));
    expect(balances.get(providerPayable('suzhou-wanbei'))).toBe(-1810n);
    expect(balances.get(PLATFORM_FEE_ACCOUNT)).toBe(-(90n + 90n + 360n + 90n));

    // Statements show a line per record, as if each had a charge of its own.
    const acme = await store.ledger.tenantStatement('acme', '2026-11');
    expect(acme.openingFen).toBe(-1800n);
    expect(acme.lines.map((l) => [l.usageRecordId, l.purpose, l.fen, l.at.toISOString()])).toEqual([
      ['u1', 'charge', -7200n, '2026-11-02T02:00:00.000Z'],
      ['u2', 'charge', -1800n, '2026-11-03T01:00:00.000Z'],
      ['u3', 'charge', -1810n, '2026-11-04T02:00:00.000Z'],
    ]);
    expect(acme.closingFen).toBe(-1800n - 10_810n);
    expect(acme.lines[0]?.reason).toMatch(/^usage charge \(pool hefei-1:h100 p\d+\)$/);
    const hefei = await store.ledger.providerStatement('hefei-aicc', '2026-11');
    expect(hefei.lines.map((l) => [l.usageRecordId, l.fen])).toEqual([
      ['u1', 6840n],
      ['u2', 1710n],
    ]);
    // The wallet's newest lines, newest first.
    const recent = await store.ledger.lines(tenantWallet('acme'), new Date(0), new Date('2100-01-01'), 2);
    expect(recent.map((l) => l.usageRecordId)).toEqual(['u3', 'u2']);

    // Nothing is past the position now: posting again, or replaying the records from the queue, writes nothing.
    expect(await post()).toMatchObject({ posted: 0, transactions: 0 });
    await store.ledger.requeue(['u1', 'u2', 'u3']);
    expect(await post()).toMatchObject({ posted: 3, transactions: 0 });
    expect(await store.ledger.cachedBalances()).toEqual(balances);
  });

  it('reverses one record’s line, restoring its fen only, and charges it again under a new generation', async () => {
    await insertUsage(store.db, [
      run('u1', 'acme', H100, '2026-11-02T08:00:00+08:00', 2, 2),
      run('u2', 'acme', H100, '2026-11-03T08:00:00+08:00', 1, 1),
    ]);
    await post();
    const charged = await store.ledger.cachedBalances();
    const reversals = await store.ledger.reverseUsageRecord({
      actor: 'office',
      at: NOW,
      usageRecordId: 'u2',
      reason: 'metered twice',
    });
    expect(reversals).toHaveLength(1);
    const after = await store.ledger.cachedBalances();
    expect(after.get(tenantWallet('acme'))).toBe(7200n);
    expect(after.get(providerPayable('hefei-aicc'))).toBe(-6840n);
    expect(after.get(PLATFORM_FEE_ACCOUNT)).toBe(-360n);
    const reversal = await store.db
      .selectFrom('ledger_transactions')
      .selectAll()
      .where('id', '=', reversals[0]!)
      .executeTakeFirstOrThrow();
    const [charge] = (await charges()).rows;
    expect(reversal).toMatchObject({
      purpose: 'reversal',
      usage_record_id: 'u2',
      reverses: charge?.id,
      amount_fen: '1800',
      idempotency_key: `reverse:${charge?.id}:usage:u2#0:charge`,
    });
    // Once only; the other line stands.
    expect(
      await store.ledger.reverseUsageRecord({ actor: 'office', at: NOW, usageRecordId: 'u2', reason: 'again' }),
    ).toEqual([]);
    expect((await standingCharges(store.db)).get('u1')).toBe(1);
    expect((await standingCharges(store.db)).get('u2')).toBeUndefined();
    const statement = await store.ledger.tenantStatement('acme', '2026-11');
    expect(statement.lines.map((l) => [l.usageRecordId, l.purpose, l.fen])).toEqual([
      ['u1', 'charge', -7200n],
      ['u2', 'charge', -1800n],
      ['u2', 'reversal', 1800n],
    ]);

    // Reversed and queued again (after a correction): charged anew with a charge of its own, generation 1.
    await store.ledger.reverseUsageRecord({
      actor: 'office',
      at: NOW,
      usageRecordId: 'u1',
      reason: 'price corrected',
      requeue: true,
    });
    expect(await post()).toMatchObject({ posted: 1, transactions: 1 });
    const again = await store.db
      .selectFrom('ledger_transactions')
      .select(['idempotency_key', 'amount_fen'])
      .where('usage_record_id', '=', 'u1')
      .where('purpose', '=', 'charge')
      .execute();
    expect(again).toEqual([{ idempotency_key: 'usage:u1#1:charge', amount_fen: '7200' }]);
    expect((await store.ledger.cachedBalances()).get(tenantWallet('acme'))).toBe(7200n);
    expect(charged.get(tenantWallet('acme'))).toBe(9000n);
  });

  it('posts queued records first, however many new ones keep arriving', async () => {
    await insertUsage(store.db, [run('u1', 'acme', H100, '2026-11-02T08:00:00+08:00', 1, 1)]);
    await post();
    await store.ledger.reverseUsageRecord({
      actor: 'office',
      at: NOW,
      usageRecordId: 'u1',
      reason: 'x',
      requeue: true,
    });
    await insertUsage(
      store.db,
      Array.from({ length: 5 }, (_, i) => run(`n${i}`, 'rival', H100, '2026-11-03T08:00:00+08:00', 1, 1)),
    );
    // One batch of one: the stream alone would fill it; the queued record goes first.
    expect(await store.ledger.postPending({ now: NOW, limit: 1, maxBatches: 1 })).toMatchObject({ posted: 2 });
    expect((await standingCharges(store.db)).get('u1')).toBe(1);
    expect(await store.ledger.queued()).toBe(4);
  });

  it('refuses, in the database, lines that do not make up their charge, a charge of many records without lines, and edits', async () => {
    await insertUsage(store.db, [run('u1', 'acme', H100, '2026-11-02T08:00:00+08:00', 1, 1)]);
    const seq = (await store.db.selectFrom('usage_records').select('ledger_seq').executeTakeFirstOrThrow()).ledger_seq;
    const charge = (id: string, lines: string) => sql`with t as (
        insert into ledger_transactions (id, at, purpose, reason, idempotency_key, amount_fen, posting_count,
          tenant_id, provider_id, recorded_by)
        values (${id}, now(), 'charge', 'x', ${id}, 1800, 3, 'acme', 'hefei-aicc', 'me')),
      p as (insert into ledger_postings values (${id}, 0, 3, ${tenantWallet('acme')}, 1800),
        (${id}, 1, 3, ${providerPayable('hefei-aicc')}, -1710), (${id}, 2, 3, ${PLATFORM_FEE_ACCOUNT}, -90))
      ${sql.raw(lines)}
      select 1`;
    await sql`insert into ledger_accounts (id, kind, owner_id) values (${tenantWallet('acme')}, 'tenant-wallet', 'acme'),
      (${providerPayable('hefei-aicc')}, 'provider-payable', 'hefei-aicc'), (${PLATFORM_FEE_ACCOUNT}, 'platform-fee', 'platform')`.execute(
      store.db,
    );
    await expect(charge('bare', '').execute(store.db)).rejects.toThrow(
      /charge bare names no usage record or sale and has no lines/,
    );
    const lines = (fen: number, fee: number) =>
      `, l as (insert into ledger_charge_lines values ('${'x'}', '1', ${seq}, '{${seq}}', '{${fen}}', '{${fee}}', '{p1}'))`;
    await expect(charge('x', lines(1700, 90)).execute(store.db)).rejects.toThrow(
      /charge lines of transaction x do not match it/,
    );
    await expect(charge('x', lines(1800, 100)).execute(store.db)).rejects.toThrow(/do not match it/);
    await expect(charge('x', lines(1800, 2000)).execute(store.db)).rejects.toThrow(/do not match it/);
    await charge('x', lines(1800, 90)).execute(store.db);
    await expect(sql`update ledger_charge_lines set fen = '{1}'`.execute(store.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from ledger_charge_lines`.execute(store.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from ledger_stream_position`.execute(store.db)).rejects.toThrow(/moved forward only/);
  });

  if (database.kind === 'postgres') {
    it('never passes over a record whose transaction commits after a later one', async () => {
      const url = await database.freshUrl();
      const shared = await createStore({ databaseUrl: url!, maxConnections: 3 });
      const early = new pg.Client({ connectionString: url });
      await early.connect();
      try {
        await seedLedgerFederation(shared.db);
        // The early transaction writes its record first but commits last.
        await early.query('begin');
        await early.query(`insert into usage_records (id, job_id, tenant_id, project_id, cluster_id, pool_id,
            engine_job_id, accelerator_model, accelerator_count, started_at, ended_at, elapsed_seconds,
            accelerator_seconds, gflop)
          values ('early', 'acme-job', 'acme', 'acme-p', 'hefei-1', 'hefei-1:h100', 'early', 'H100-SXM', 1,
            '2026-11-02T00:00:00Z', '2026-11-02T01:00:00Z', 3600, 3600, 0)`);
        await insertUsage(shared.db, [run('later', 'acme', H100, '2026-11-03T08:00:00+08:00', 1, 1)]);
        // 'later' committed, but a transaction older than it is still running: it waits.
        expect(await shared.ledger.postPending({ now: NOW })).toMatchObject({ posted: 0 });
        await early.query('commit');
        expect(await shared.ledger.postPending({ now: NOW })).toMatchObject({ posted: 2, transactions: 1 });
        expect(await standingCharges(shared.db)).toEqual(
          new Map([
            ['early', 1],
            ['later', 1],
          ]),
        );
        expect((await shared.ledger.cachedBalances()).get(tenantWallet('acme'))).toBe(3600n);
      } finally {
        await early.end();
        await shared.close();
      }
    });

    it('takes every record exactly once with several posters at once', async () => {
      const url = await database.freshUrl();
      const shared = await createStore({ databaseUrl: url!, maxConnections: 6 });
      try {
        await seedLedgerFederation(shared.db);
        // K100 time is priced at 1 fen an hour: its short runs cost nothing and post nothing, so leave them out.
        const records = benchUsageRecords(4000).filter((r) => r.poolId !== POOLS[2].id);
        await insertUsage(shared.db, records.slice(0, 1500));
        const posters = Array.from({ length: 5 }, () =>
          shared.ledger.postPending({ now: NOW, limit: 97, maxBatches: Number.MAX_SAFE_INTEGER }),
        );
        // More records arrive while they post.
        await insertUsage(shared.db, records.slice(1500));
        await Promise.all(posters);
        await shared.ledger.postPending({ now: NOW, maxBatches: Number.MAX_SAFE_INTEGER });
        const charged = await standingCharges(shared.db);
        expect(charged.size).toBe(records.length);
        expect(Math.max(...charged.values())).toBe(1);
        expect(await shared.ledger.queued()).toBe(0);
        const wallets = await sql<{ fen: string }>`select sum(balance_fen)::text as fen from ledger_accounts
          where kind = 'tenant-wallet'`.execute(shared.db);
        const lines = await sql<{ fen: string }>`select sum(f)::text as fen from ledger_charge_lines,
          unnest(fen) as f`.execute(shared.db);
        expect(wallets.rows[0]?.fen).toBe(lines.rows[0]?.fen);
      } finally {
        await shared.close();
      }
    });

    it('charges records stored before the stream existed from the queue, once', async () => {
      const url = await database.freshUrl();
      // The schema as it was before migration 016, when a trigger queued every new usage record.
      const before = await openStore({ databaseUrl: url! });
      try {
        await before.db.transaction().execute(async (tx) => {
          await sql`create table schema_migrations (version integer primary key, name text not null,
            applied_at timestamptz not null default now())`.execute(tx);
          for (const m of listMigrations().filter((m) => m.version < 16)) {
            await sql.raw(m.sql).execute(tx);
            await tx.insertInto('schema_migrations').values({ version: m.version, name: m.name }).execute();
          }
        });
        await seedLedgerFederation(before.db);
        await insertUsage(before.db, [run('old', 'acme', H100, '2026-11-02T08:00:00+08:00', 1, 1)]);
      } finally {
        await before.close();
      }
      const after = await createStore({ databaseUrl: url! });
      try {
        expect(await after.ledger.queued()).toBe(1);
        await insertUsage(after.db, [run('new', 'acme', H100, '2026-11-03T08:00:00+08:00', 1, 1)]);
        expect(await after.ledger.queued()).toBe(2);
        expect(await after.ledger.postPending({ now: NOW })).toMatchObject({ posted: 2, transactions: 2 });
        expect(await standingCharges(after.db)).toEqual(
          new Map([
            ['new', 1],
            ['old', 1],
          ]),
        );
        const own = await after.db
          .selectFrom('ledger_transactions')
          .select('idempotency_key')
          .where('usage_record_id', '=', 'old')
          .execute();
        expect(own).toEqual([{ idempotency_key: 'usage:old#0:charge' }]);
      } finally {
        await after.close();
      }
    });
  }
});
