/**
 * Pro-rata budgets in the ledger: claims recorded as charges are posted (not paid), and the period close that scales
 * them to the funders' pools and pays them, once.
 */
import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { PeriodCloseError } from '../../src/core/money/programmes/close.ts';
import { evaluateSubsidies } from '../../src/core/money/programmes/evaluate.ts';
import { parseProgrammeText } from '../../src/core/money/programmes/load.ts';
import type { SubsidyProgramme } from '../../src/core/money/programmes/types.ts';
import type { Store } from '../../src/store/index.ts';
import { LedgerRefusal, programmePool, tenantWallet, type SubsidySource } from '../../src/store/ledger/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { POOLS, insertUsage, seedLedgerFederation } from '../helpers/ledger-fixtures.ts';

const PROGRAMME = `apiVersion: suanli.io/v1
kind: SubsidyProgramme
metadata: { id: hefei-prorata, version: '1', series: hefei-prorata, title: t, sources: [s] }
spec:
  validFrom: 2026-10-01
  payee: tenant
  funders:
    - { funder: anhui-province, share: 50% }
    - { funder: hefei-city, share: 50% }
  rounding: down
  budget: { exhaustion: pro-rata-at-close, period: month }
  rules:
    - { id: compute-use, base: metered, rate: { fixed: 20% } }
`;

function programme(): SubsidyProgramme {
  const parsed = parseProgrammeText(PROGRAMME, 'hefei-prorata.yaml');
  if (!parsed.ok || parsed.loaded.programme.kind !== 'SubsidyProgramme') throw new Error(JSON.stringify(parsed));
  return parsed.loaded.programme;
}

const h100 = POOLS[0];
// One H100 for 4 h at ¥18.00/h: a charge of 7,200 fen, and a claim of 20% = 1,440 fen.
const run = (id: string, tenant: string, day = '2026-11-02') => ({
  id,
  tenant,
  poolId: h100.id,
  model: h100.model,
  cluster: h100.cluster,
  startedAt: new Date(`${day}T08:00:00+08:00`),
  endedAt: new Date(`${day}T12:00:00+08:00`),
  acceleratorSeconds: 14_400n,
});
const DECEMBER = new Date('2026-12-01T00:00:00+08:00');
const JANUARY = new Date('2027-01-01T00:00:00+08:00');

describeEachDatabase('pro-rata period close', (database) => {
  let store: Store;
  let subsidies: SubsidySource;
  beforeEach(async () => {
    store = await database.open();
    await seedLedgerFederation(store.db);
    subsidies = { programmes: [programme()], evaluate: evaluateSubsidies };
    for (const funder of ['anhui-province', 'hefei-city'])
      await store.ledger.fundPool({
        actor: 'office',
        at: new Date('2026-10-01T00:00:00+08:00'),
        programmeId: 'hefei-prorata',
        funder,
        fen: 1_001n,
        reference: `${funder}-2026`,
      });
  });
  afterEach(async () => store.close());

  const post = () => store.ledger.postPending({ now: DECEMBER, subsidies });
  const close = (period: string, now = DECEMBER) =>
    store.ledger.closePeriod({ programme: programme(), period, now, actor: 'office' });
  const count = async (table: string) =>
    Number(
      (await sql<{ n: string }>`select count(*)::text as n from ${sql.table(table)}`.execute(store.db)).rows[0]?.n,
    );
  const subsidyTransactions = () =>
    store.db.selectFrom('ledger_transactions').selectAll().where('purpose', '=', 'subsidy').orderBy('seq').execute();

  it('records claims at charge time without paying them, and a replay records none twice', async () => {
    await insertUsage(store.db, [run('u1', 'acme'), run('u2', 'acme'), run('u3', 'rival'), run('u4', 'campus')]);
    await post();
    expect(await subsidyTransactions()).toEqual([]);
    const claims = await sql<{ usage_record_id: string; amount_fen: string; idempotency_key: string }>`
      select usage_record_id, amount_fen::text, idempotency_key from programme_claims order by usage_record_id`.execute(
      store.db,
    );
    expect(claims.rows.map((c) => [c.usage_record_id, c.amount_fen])).toEqual([
      ['u1', '1440'],
      ['u2', '1440'],
      ['u3', '1440'],
      ['u4', '1440'],
    ]);
    expect(claims.rows[0]?.idempotency_key).toBe('usage:u1#0:claim:hefei-prorata:compute-use');
    await store.ledger.requeue(['u1', 'u3']);
    await post();
    expect(await count('programme_claims')).toBe(4);
    expect(await store.ledger.outstandingClaims()).toEqual([
      { programmeId: 'hefei-prorata', claims: 4, claimedFen: 5_760n, oldest: new Date('2026-11-02T04:00:00Z') },
    ]);
  });

  it('scales the month’s claims to the pools, pays one transaction per payee, and closes once', async () => {
    await insertUsage(store.db, [run('u1', 'acme'), run('u2', 'acme'), run('u3', 'rival'), run('u4', 'campus')]);
    await post();
    const walletsBefore = await store.ledger.cachedBalances();

    await expect(close('2026-11', new Date('2026-11-30T15:59:59Z'))).rejects.toThrow(PeriodCloseError);
    const { close: closed, created } = await close('2026-11');
    expect(created).toBe(true);
    // Pools of 1,001 fen each, 1:1: at most 2,002 fen. Claims acme 2,880, campus 1,440, rival 1,440 (5,760):
    // acme 2,002 × 2,880/5,760 = 1,001; campus and rival 500.5 each → 500 + 500, the tied fen to campus (id first).
    expect(closed).toMatchObject({ period: '2026-11', claimedFen: 5_760n, paidFen: 2_002n });
    expect(closed.payments.map((p) => [p.payeeId, p.paidFen, p.byFunder.map((f) => f.amountFen)])).toEqual([
      // acme 1,001 of (1,001 : 1,001) → 501 : 500; campus 501 of (500 : 501) → 250.25, 250.75 → 250 : 251.
      ['acme', 1_001n, [501n, 500n]],
      ['campus', 501n, [250n, 251n]],
      ['rival', 500n, [250n, 250n]],
    ]);
    const balances = await store.ledger.cachedBalances();
    expect(balances.get(programmePool('hefei-prorata', 'anhui-province'))).toBe(0n);
    expect(balances.get(programmePool('hefei-prorata', 'hefei-city'))).toBe(0n);
    for (const [tenant, paid] of [
      ['acme', 1_001n],
      ['campus', 501n],
      ['rival', 500n],
    ] as const)
      expect(balances.get(tenantWallet(tenant))).toBe((walletsBefore.get(tenantWallet(tenant)) ?? 0n) - paid);
    expect(await store.ledger.balancesFromPostings()).toEqual(balances);
    expect([...balances.values()].reduce((a, b) => a + b, 0n)).toBe(0n);

    const paid = await subsidyTransactions();
    expect(paid).toHaveLength(3);
    expect(paid[0]).toMatchObject({
      idempotency_key: 'close:hefei-prorata:2026-11:tenant:acme:hefei-aicc:compute-use',
      programme_id: 'hefei-prorata',
      programme_rule: 'compute-use',
      tenant_id: 'acme',
      provider_id: 'hefei-aicc',
      amount_fen: '1001',
    });
    // Each claim is linked to the transaction that paid it.
    const settled = await sql<{ usage_record_id: string; paid_fen: string; transaction_id: string }>`
      select c.usage_record_id, s.paid_fen::text, s.transaction_id from programme_claim_settlements s
        join programme_claims c on c.id = s.claim_id order by c.usage_record_id`.execute(store.db);
    expect(settled.rows.map((s) => [s.usage_record_id, s.paid_fen])).toEqual([
      ['u1', '501'],
      ['u2', '500'],
      ['u3', '500'],
      ['u4', '501'],
    ]);
    expect(settled.rows[0]?.transaction_id).toBe(paid[0]?.id);

    const again = await close('2026-11', JANUARY);
    expect(again.created).toBe(false);
    expect(again.close).toEqual(closed);
    expect(await subsidyTransactions()).toHaveLength(3);
    expect(await store.ledger.cachedBalances()).toEqual(balances);
    expect(await store.ledger.outstandingClaims()).toEqual([]);
    const [audit] = await store.audit.list({ objectType: 'programme', objectId: 'hefei-prorata', limit: 1 });
    expect(audit).toMatchObject({ action: 'programme.close-period', after: { period: '2026-11', paidFen: '2002' } });
  });

  it('pays a late claim at the next close, leaves out a reversed charge’s claim, and refuses an earlier period', async () => {
    await insertUsage(store.db, [run('u1', 'acme'), run('u2', 'rival')]);
    await post();
    // The pools (2,002) cover both claims (2,880) only in part; the close leaves them empty.
    expect((await close('2026-11')).close.paidFen).toBe(2_002n);
    // Usage of 14 November posted after the close, and a December run whose charge is then reversed.
    await insertUsage(store.db, [run('u3', 'campus', '2026-11-14'), run('u4', 'acme', '2026-12-05')]);
    await post();
    await store.ledger.reverseUsageRecord({ actor: 'office', at: JANUARY, usageRecordId: 'u4', reason: 'test' });
    for (const funder of ['anhui-province', 'hefei-city'])
      await store.ledger.fundPool({
        actor: 'office',
        at: JANUARY,
        programmeId: 'hefei-prorata',
        funder,
        fen: 10_000n,
        reference: `${funder}-2026-12`,
      });
    const december = await close('2026-12', JANUARY);
    expect(december.close).toMatchObject({ claimedFen: 1_440n, paidFen: 1_440n });
    expect(december.close.payments.map((p) => p.payeeId)).toEqual(['campus']);
    await expect(close('2026-10', JANUARY)).rejects.toThrow(LedgerRefusal);
    await expect(close('2026-10', JANUARY)).rejects.toThrow(/2026-12 is closed already/);
    expect((await store.ledger.periodCloses('hefei-prorata')).map((c) => c.period)).toEqual(['2026-12', '2026-11']);
  });

  it('counts open claims against the per-tenant cap, in the batch and across batches, and pays in the period', async () => {
    const capped = programme();
    capped.caps.perTenantPerYearFen = 2_000n;
    subsidies = { programmes: [capped], evaluate: evaluateSubsidies };
    // Three 1,440-fen claims by acme under a ¥20.00 yearly cap: 1,440, then 560 (the cap's rest), then none.
    await insertUsage(store.db, [run('u1', 'acme'), run('u2', 'acme', '2026-11-03')]);
    await post();
    await insertUsage(store.db, [run('u3', 'acme', '2026-11-04')]);
    await post();
    const claims = await sql<{ usage_record_id: string; amount_fen: string }>`
      select usage_record_id, amount_fen::text from programme_claims order by usage_record_id`.execute(store.db);
    expect(claims.rows.map((c) => [c.usage_record_id, c.amount_fen])).toEqual([
      ['u1', '1440'],
      ['u2', '560'],
    ]);
    await store.ledger.requeue(['u1', 'u2']);
    await post();
    expect(await count('programme_claims')).toBe(2);

    const closed = await store.ledger.closePeriod({
      programme: capped,
      period: '2026-11',
      now: JANUARY,
      actor: 'office',
    });
    expect(closed.close.paidFen).toBe(2_000n);
    // Dated the period's last instant, so the payment counts in November 2026 (and its natural year).
    const [paid] = await subsidyTransactions();
    expect(paid?.at).toEqual(new Date('2026-11-30T15:59:59.999Z'));
  });

  it('computes a dry run without storing anything', async () => {
    await insertUsage(store.db, [run('u1', 'acme')]);
    await post();
    const before = await store.ledger.cachedBalances();
    const dry = await store.ledger.closePeriod({
      programme: programme(),
      period: '2026-11',
      now: DECEMBER,
      actor: 'office',
      dryRun: true,
    });
    expect(dry).toMatchObject({ created: false, close: { id: '', paidFen: 1_440n } });
    expect(await store.ledger.cachedBalances()).toEqual(before);
    expect(await count('programme_period_closes')).toBe(0);
    expect((await close('2026-11')).created).toBe(true);
  });

  it('claws back what a close paid for a claim when its usage record is reversed, once, into the same pools', async () => {
    await insertUsage(store.db, [run('u1', 'acme'), run('u2', 'acme'), run('u3', 'rival'), run('u4', 'campus')]);
    await post();
    await close('2026-11');
    const paidFor = async (usage: string) =>
      (
        await sql<{ claim: string; paid: string }>`select c.id as claim, s.paid_fen::text as paid
          from programme_claims c join programme_claim_settlements s on s.claim_id = c.id
          where c.usage_record_id = ${usage}`.execute(store.db)
      ).rows;
    const [u1] = await paidFor('u1');
    const [u2] = await paidFor('u2');
    // acme's 1,001 fen paid for two claims of 1,440 each.
    expect(BigInt(u1!.paid) + BigInt(u2!.paid)).toBe(1_001n);
    const pools = async () => {
      const balances = await store.ledger.cachedBalances();
      return ['anhui-province', 'hefei-city'].map((f) => balances.get(programmePool('hefei-prorata', f)) ?? 0n);
    };
    const poolsBefore = await pools();

    await store.ledger.reverseUsageRecord({ actor: 'office', at: JANUARY, usageRecordId: 'u1', reason: 'wrong price' });
    const clawback = await store.db
      .selectFrom('ledger_transactions')
      .selectAll()
      .where('idempotency_key', '=', `clawback:${u1!.claim}`)
      .executeTakeFirstOrThrow();
    expect(clawback).toMatchObject({ purpose: 'reversal', usage_record_id: 'u1', tenant_id: 'acme' });
    expect(BigInt(clawback.amount_fen)).toBe(BigInt(u1!.paid));
    // Pools hold credit balances: what they got back makes them more negative, by exactly what was paid.
    const poolsAfter = await pools();
    expect(poolsBefore[0]! + poolsBefore[1]! - (poolsAfter[0]! + poolsAfter[1]!)).toBe(BigInt(u1!.paid));
    // Reversing again writes nothing: the charge's reversals and the claw-back are each keyed once.
    const transactions = await count('ledger_transactions');
    await store.ledger.reverseUsageRecord({ actor: 'office', at: JANUARY, usageRecordId: 'u1', reason: 'again' });
    expect(await count('ledger_transactions')).toBe(transactions);
    const clawbacks = await sql<{ n: string }>`select count(*)::text as n from ledger_transactions
      where idempotency_key like 'clawback:%'`.execute(store.db);
    expect(clawbacks.rows[0]?.n).toBe('1');
    // Both of acme's records reversed: everything the close paid acme has gone back to the pools.
    await store.ledger.reverseUsageRecord({ actor: 'office', at: JANUARY, usageRecordId: 'u2', reason: 'wrong price' });
    const poolsEnd = await pools();
    expect(poolsBefore[0]! + poolsBefore[1]! - (poolsEnd[0]! + poolsEnd[1]!)).toBe(1_001n);
    const balances = await store.ledger.cachedBalances();
    expect([...balances.values()].reduce((a, b) => a + b, 0n)).toBe(0n);
  });
});
