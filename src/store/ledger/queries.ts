/**
 * Reading the ledger: balances, a wallet, monthly statements per tenant and provider, and the programme office's
 * monthly report. Months are calendar months in China Standard Time (UTC+8), as the policies count them. Amounts
 * are summed in PostgreSQL's numeric and come back as exact bigints.
 */
import { sql, type Kysely } from 'kysely';
import type { Fen } from '../../core/money/amount.ts';
import { SPEND_KINDS, type SpendKind } from '../../core/money/programmes/types.ts';
import type { Database } from '../schema.ts';
import { parseAccountId, providerPayable, tenantWallet } from './accounts.ts';
import { outstandingClaims } from './period-close.ts';

/** [from, to) of a month "YYYY-MM" in China Standard Time; throws RangeError for anything else. */
export function monthRange(month: string): { from: Date; to: Date } {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!match) throw new RangeError(`month must be YYYY-MM, got ${JSON.stringify(month)}`);
  const year = Number(match[1]);
  const index = Number(match[2]) - 1;
  const start = (y: number, m: number) => new Date(Date.UTC(y, m, 1) - 8 * 3_600_000);
  return { from: start(year, index), to: index === 11 ? start(year + 1, 0) : start(year, index + 1) };
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

  /** Lines of one account between two instants, oldest first, signed from the owner's side (credit = +). */
  async lines(accountId: string, from: Date, to: Date, limit?: number): Promise<StatementLine[]> {
    let query = this.db
      .selectFrom('ledger_postings as p')
      .innerJoin('ledger_transactions as t', 't.id', 'p.transaction_id')
      .select([
        't.id',
        't.at',
        't.purpose',
        't.reason',
        't.usage_record_id',
        't.sale_id',
        't.voucher_id',
        't.programme_id',
        't.detail',
        'p.fen',
      ])
      .where('p.account_id', '=', accountId)
      .where('t.at', '>=', from)
      .where('t.at', '<', to);
    query = limit
      ? query.orderBy('t.at', 'desc').orderBy('t.seq', 'desc').limit(limit)
      : query.orderBy('t.at').orderBy('t.seq');
    const rows = await query.execute();
    return rows.map((r) => ({
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

  async monthlyReport(month: string, now: Date, top = 10): Promise<MonthlyReport> {
    const { from, to } = monthRange(month);
    const flows = await sql<{
      tenant_id: string;
      category: string;
      provider_id: string;
      city: string;
      regions: string[];
      kind: 'charge' | 'voucher-apply' | 'subsidy';
      spend_kind: SpendKind;
      fen: string;
    }>`select t.tenant_id, te.category, t.provider_id, pr.city, pr.regions,
        case when t.purpose = 'reversal' then t.detail->>'reverses' else t.purpose end as kind,
        coalesce(s.kind, 'compute') as spend_kind,
        sum(case when t.purpose = 'reversal' then -t.amount_fen else t.amount_fen end)::text as fen
      from ledger_transactions t join tenants te on te.id = t.tenant_id join providers pr on pr.id = t.provider_id
        left join sales s on s.id = t.sale_id
      where t.at >= ${from} and t.at < ${to} and (t.purpose in ('charge', 'voucher-apply', 'subsidy')
        or (t.purpose = 'reversal' and t.detail->>'reverses' in ('charge', 'voucher-apply', 'subsidy')))
      group by 1, 2, 3, 4, 5, 6, 7`.execute(this.db);
    const byCity = new Map<string, Flow>();
    const byRegion = new Map<string, Flow>();
    const byCategory = new Map<string, Flow>();
    // Every kind is listed, compute, model and corpus, with zeros for a kind not sold this month.
    const byKind = new Map<string, Flow>(SPEND_KINDS.map((k) => [k, emptyFlow()]));
    const byTenant = new Map<string, Flow & { category: string }>();
    const total = emptyFlow();
    for (const r of flows.rows) {
      const fen = BigInt(r.fen);
      const add = (flow: Flow) => {
        if (r.kind === 'charge') flow.spendFen += fen;
        else if (r.kind === 'voucher-apply') flow.voucherFen += fen;
        else flow.subsidyFen += fen;
      };
      add(total);
      add(getOr(byCity, r.city, emptyFlow));
      for (const region of r.regions) add(getOr(byRegion, region, emptyFlow));
      add(getOr(byCategory, r.category, emptyFlow));
      add(getOr(byKind, r.spend_kind, emptyFlow));
      add(getOr(byTenant, r.tenant_id, () => ({ ...emptyFlow(), category: r.category })));
    }
    const paid = await sql<{ programme_id: string; account_id: string; fen: string }>`
      select t.programme_id, p.account_id, sum(p.fen)::text as fen
      from ledger_transactions t join ledger_postings p on p.transaction_id = t.id
      where t.at >= ${from} and t.at < ${to} and t.programme_id is not null
        and (t.purpose = 'subsidy' or (t.purpose = 'reversal' and t.detail->>'reverses' = 'subsidy'))
        and (p.account_id like 'programme-pool:%' or p.account_id like 'funder:%')
      group by 1, 2 order by 1, 2`.execute(this.db);
    const pools = await this.db
      .selectFrom('ledger_accounts')
      .select(['id', 'balance_fen'])
      .where('kind', '=', 'programme-pool')
      .orderBy('id')
      .execute();
    const claims = await outstandingClaims(this.db);
    const sorted = <T>(map: Map<string, T>) => [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return {
      month,
      from,
      to,
      generatedAt: now,
      total,
      byCity: sorted(byCity).map(([city, f]) => ({ city, ...f })),
      byRegion: sorted(byRegion).map(([region, f]) => ({ region, ...f })),
      byTenantCategory: sorted(byCategory).map(([category, f]) => ({ category, ...f })),
      byKind: [...byKind.entries()].map(([kind, f]) => ({ kind: kind as SpendKind, ...f })),
      subsidyByProgrammeAndFunder: paid.rows.map((r) => ({
        programmeId: r.programme_id,
        funder: funderOf(r.account_id),
        fen: BigInt(r.fen),
      })),
      poolsRemaining: pools.map((p) => {
        const [programmeId = '', funder = ''] = parseAccountId(p.id).ownerId.split('/');
        return { programmeId, funder, fen: -BigInt(p.balance_fen) };
      }),
      claimsAwaitingClose: claims.map((c) => ({ programmeId: c.programmeId, claims: c.claims, fen: c.claimedFen })),
      topTenants: [...byTenant.entries()]
        .map(([tenantId, f]) => ({ tenantId, ...f }))
        .sort((a, b) =>
          a.spendFen === b.spendFen ? (a.tenantId < b.tenantId ? -1 : 1) : a.spendFen > b.spendFen ? -1 : 1,
        )
        .slice(0, top),
    };
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

export interface Flow {
  /** Net charges (charges less their reversals). */
  spendFen: Fen;
  /** Paid by vouchers. */
  voucherFen: Fen;
  /** Subsidies paid. */
  subsidyFen: Fen;
}

const emptyFlow = (): Flow => ({ spendFen: 0n, voucherFen: 0n, subsidyFen: 0n });

function getOr<V>(map: Map<string, V>, key: string, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

/** The funder a pool or funder account belongs to. */
function funderOf(accountId: string): string {
  const { kind, ownerId } = parseAccountId(accountId);
  return kind === 'programme-pool' ? ownerId.slice(ownerId.indexOf('/') + 1) : ownerId;
}

export interface MonthlyReport {
  month: string;
  from: Date;
  to: Date;
  generatedAt: Date;
  total: Flow;
  byCity: Array<Flow & { city: string }>;
  byRegion: Array<Flow & { region: string }>;
  byTenantCategory: Array<Flow & { category: string }>;
  /** Compute (metered usage), model services and corpora (sales), in that order. */
  byKind: Array<Flow & { kind: SpendKind }>;
  subsidyByProgrammeAndFunder: Array<{ programmeId: string; funder: string; fen: Fen }>;
  poolsRemaining: Array<{ programmeId: string; funder: string; fen: Fen }>;
  /** Claims on pro-rata budgets that no period close has settled yet, as the report is made (like the pools). */
  claimsAwaitingClose: Array<{ programmeId: string; claims: number; fen: Fen }>;
  topTenants: Array<Flow & { tenantId: string; category: string }>;
}
