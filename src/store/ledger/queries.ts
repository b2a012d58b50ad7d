/**
 * Reading the ledger: balances, a wallet, monthly statements per tenant and provider, and (report.ts) the programme
 * office's report over a month, quarter or year. Months are calendar months in China Standard Time (UTC+8), as the policies count them. Amounts
 * are summed in PostgreSQL's numeric and come back as exact bigints.
 */
import { sql, type Kysely } from 'kysely';
import type { Fen } from '../../core/money/amount.ts';
import type { Database } from '../schema.ts';
import { PLATFORM_FEE_ACCOUNT, parseAccountId, providerPayable, tenantWallet } from './accounts.ts';
import { periodReport, reportPeriod, type LedgerReport, type MonthlyReport, type ReportPeriod } from './report.ts';

/** [from, to) of a month "YYYY-MM" in China Standard Time; throws RangeError saying what is wanted otherwise. */
export function monthRange(month: string): { from: Date; to: Date } {
  const { from, to } = reportPeriod('month', month);
  return { from, to };
}

export interface StatementLine {
  transactionId: string;
  at: Date;
  purpose: string;
  reason: string;
  usageRecordId: string | null;
  /** The sale of a model service or corpus the line is for, if any. */
  saleId: string | null;
  voucherId: string | null;
  programmeId: string | null;
  /** Into the account (+) or out of it (−), from its owner's point of view. */
  fen: Fen;
  detail: Record<string, unknown>;
}

export interface Statement {
  accountId: string;
  month: string;
  /** What the platform held for (owed) the owner at the start and end of the month. */
  openingFen: Fen;
  closingFen: Fen;
  lines: StatementLine[];
}

export class LedgerQueries {
  constructor(private readonly db: Kysely<Database>) {}

  /** Σ postings per account, straight from the postings (not the cache). */
  async balancesFromPostings(): Promise<Map<string, Fen>> {
    const rows = await sql<{ account_id: string; fen: string }>`select account_id, sum(fen)::text as fen
      from ledger_postings group by account_id`.execute(this.db);
    return new Map(rows.rows.map((r) => [r.account_id, BigInt(r.fen)]));
  }

  /** The cached balance of every account. */
  async cachedBalances(): Promise<Map<string, Fen>> {
    const rows = await this.db.selectFrom('ledger_accounts').select(['id', 'balance_fen']).execute();
    return new Map(rows.map((r) => [r.id, BigInt(r.balance_fen)]));
  }

  async balance(accountId: string): Promise<Fen> {
    const row = await this.db
      .selectFrom('ledger_accounts')
      .select('balance_fen')
      .where('id', '=', accountId)
      .executeTakeFirst();
    return row ? BigInt(row.balance_fen) : 0n;
  }

  /**
   * Lines of one account between two instants, oldest first, signed from the owner's side (credit = +). A charge
   * transaction with lines (charge-lines.ts) shows as one line per usage record, as a charge of its own would. With a
   * limit: the newest transactions' lines, newest first.
   */
  async lines(accountId: string, from: Date, to: Date, limit?: number): Promise<StatementLine[]> {
    const newest = limit ? sql`order by t.at desc, t.seq desc limit ${limit}` : sql``;
    // Newest first: by transaction, and a charge's lines latest-taken first, so that no more than `limit` lines of a
    // charge of thousands of records are read (and joined to their records) for a wallet's few recent lines.
    const order = limit ? sql`order by tx_at desc, seq desc, n desc` : sql`order by at, seq, n`;
    const newestLines = limit ? sql`order by n desc limit ${limit}` : sql``;
    const rows = await sql<{
      id: string;
      at: Date;
      purpose: string;
      reason: string;
      usage_record_id: string | null;
      sale_id: string | null;
      voucher_id: string | null;
      programme_id: string | null;
      detail: Record<string, unknown>;
      fen: string;
    }>`with txs as (
        select t.id, t.at, t.seq, t.purpose, t.reason, t.usage_record_id, t.sale_id, t.voucher_id, t.programme_id,
          t.detail, p.fen, p.account_id
        from ledger_postings p join ledger_transactions t on t.id = p.transaction_id
        where p.account_id = ${accountId} and t.at >= ${from} and t.at < ${to}
        ${newest}
      )
      select * from (
        select x.id, x.at as tx_at, x.seq, x.at, 0::bigint as n, x.purpose, x.reason, x.usage_record_id, x.sale_id,
          x.voucher_id, x.programme_id, x.detail, x.fen::text as fen
        from txs x where not exists (select 1 from ledger_charge_lines l where l.transaction_id = x.id)
        union all
        select x.id, x.at, x.seq, r.ended_at, u.n, x.purpose,
          'usage charge (pool ' || coalesce(r.pool_id, '(none)') || ' ' || u.version || ')', r.id, null, null, null,
          jsonb_build_object('poolId', r.pool_id, 'acceleratorModel', r.accelerator_model,
            'acceleratorSeconds', r.accelerator_seconds::text, 'startedAt', r.started_at, 'endedAt', r.ended_at,
            'priceVersion', u.version, 'feeBasisPoints', x.detail->'feeBasisPoints', 'line', u.n),
          (case when x.account_id like 'tenant-wallet:%' then u.fen
            when x.account_id = ${PLATFORM_FEE_ACCOUNT} then -u.fee else u.fee - u.fen end)::text
        from txs x join ledger_charge_lines l on l.transaction_id = x.id
          cross join lateral (select * from unnest(l.usage_seqs, l.fen, l.fee_fen, l.price_versions)
            with ordinality as u(seq, fen, fee, version, n) ${newestLines}) u
          join usage_records r on r.ledger_seq = u.seq
      ) lines ${order} ${limit ? sql`limit ${limit}` : sql``}`.execute(this.db);
    return rows.rows.map((r) => ({
      transactionId: r.id,
      at: r.at,
      purpose: r.purpose,
      reason: r.reason,
      usageRecordId: r.usage_record_id,
      saleId: r.sale_id,
      voucherId: r.voucher_id,
      programmeId: r.programme_id,
      fen: -BigInt(r.fen),
      detail: r.detail,
    }));
  }

  async statement(accountId: string, month: string): Promise<Statement> {
    const { from, to } = monthRange(month);
    const before = await sql<{ fen: string | null }>`select sum(p.fen)::text as fen from ledger_postings p
      join ledger_transactions t on t.id = p.transaction_id where p.account_id = ${accountId} and t.at < ${from}`.execute(
      this.db,
    );
    const openingFen = -BigInt(before.rows[0]?.fen ?? '0');
    const lines = await this.lines(accountId, from, to);
    return { accountId, month, openingFen, closingFen: lines.reduce((s, l) => s + l.fen, openingFen), lines };
  }

  tenantStatement(tenantId: string, month: string): Promise<Statement> {
    return this.statement(tenantWallet(tenantId), month);
  }

  providerStatement(providerId: string, month: string): Promise<Statement> {
    return this.statement(providerPayable(providerId), month);
  }

  /** The payouts made to a provider, newest first, each as the (positive) amount paid to it. */
  async payouts(providerId: string, limit: number): Promise<Payout[]> {
    const rows = await this.db
      .selectFrom('ledger_postings as p')
      .innerJoin('ledger_transactions as t', 't.id', 'p.transaction_id')
      .select(['t.id', 't.at', 't.reason', 'p.fen'])
      .where('p.account_id', '=', providerPayable(providerId))
      .where('t.purpose', '=', 'payout')
      .orderBy('t.at', 'desc')
      .orderBy('t.seq', 'desc')
      .limit(limit)
      .execute();
    // A payout debits the payable (a positive posting): what the platform owed, now paid.
    return rows.map((r) => ({ transactionId: r.id, at: r.at, reason: r.reason, fen: BigInt(r.fen) }));
  }

  /**
   * Every programme pool per funder: its budget (what the funder paid in), what left it (subsidies paid, vouchers
   * issued, less what came back: expired vouchers' remainders, reversed subsidies) and what it holds now.
   */
  async pools(): Promise<PoolStanding[]> {
    const rows = await sql<{ account_id: string; funded: string; held: string }>`
      select p.account_id,
        sum(case when t.purpose = 'pool-funding' then p.fen else 0 end)::text as funded,
        sum(p.fen)::text as held
      from ledger_postings p join ledger_transactions t on t.id = p.transaction_id
      where p.account_id like 'programme-pool:%'
      group by 1 order by 1`.execute(this.db);
    return rows.rows.map((r) => {
      const owner = parseAccountId(r.account_id).ownerId;
      const slash = owner.indexOf('/');
      // Postings are signed from the ledger's side: money into a pool is a credit (negative).
      const budgetFen = -BigInt(r.funded);
      const remainingFen = -BigInt(r.held);
      return {
        programmeId: owner.slice(0, slash),
        funder: owner.slice(slash + 1),
        budgetFen,
        spentFen: budgetFen - remainingFen,
        remainingFen,
      };
    });
  }

  /** The programme office's report over a month, quarter or year (report.ts). */
  report(period: ReportPeriod, now: Date, top = 10): Promise<LedgerReport> {
    return periodReport(this.db, period, now, top);
  }

  async monthlyReport(month: string, now: Date, top = 10): Promise<MonthlyReport> {
    return { month, ...(await this.report(reportPeriod('month', month), now, top)) };
  }
}

export interface Payout {
  transactionId: string;
  at: Date;
  /** Carries the bank transfer reference. */
  reason: string;
  /** Paid to the provider (positive). */
  fen: Fen;
}

export interface PoolStanding {
  programmeId: string;
  funder: string;
  budgetFen: Fen;
  spentFen: Fen;
  remainingFen: Fen;
}
