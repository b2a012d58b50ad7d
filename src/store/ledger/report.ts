/**
 * The programme office's report over a period — a month, a quarter or a year in China Standard Time
 * (src/core/report-period.ts) — so a quarter's or a year's figures are the ledger's own sums, never months added by
 * hand. Amounts are summed in PostgreSQL's numeric and come back as exact bigints.
 */
import { sql, type Kysely } from 'kysely';
import type { Fen } from '../../core/money/amount.ts';
import { SPEND_KINDS, type SpendKind } from '../../core/money/programmes/types.ts';
import { parsePeriod, type PeriodKind } from '../../core/report-period.ts';
import type { Database } from '../schema.ts';
import { parseAccountId } from './accounts.ts';
import { outstandingClaims } from './period-close.ts';

/** A month, quarter or year of China Standard Time as instants [from, to) (the core's PeriodSpan as Dates). */
export interface ReportPeriod {
  kind: PeriodKind;
  label: string;
  from: Date;
  to: Date;
  months: string[];
}

/** The period a label names; throws RangeError ("must be a quarter written YYYY-Qn …") for anything else. */
export function reportPeriod(kind: PeriodKind, label: string): ReportPeriod {
  const { fromMs, toMs, months } = parsePeriod(kind, label);
  return { kind, label, from: new Date(fromMs), to: new Date(toMs), months };
}

export interface Flow {
  /** Net charges (charges less their reversals). */
  spendFen: Fen;
  /** Paid by vouchers. */
  voucherFen: Fen;
  /** Subsidies paid. */
  subsidyFen: Fen;
}

export interface LedgerReport {
  /** The period as written: "2026-11", "2026-Q4", "2026". */
  period: string;
  kind: PeriodKind;
  from: Date;
  to: Date;
  generatedAt: Date;
  total: Flow;
  /** The period's totals month by month ("YYYY-MM"), every month that has begun (or holds entries), in order. */
  byMonth: Array<Flow & { month: string }>;
  byCity: Array<Flow & { city: string }>;
  byRegion: Array<Flow & { region: string }>;
  byTenantCategory: Array<Flow & { category: string }>;
  /** Compute (metered usage), model services and corpora (sales), in that order. */
  byKind: Array<Flow & { kind: SpendKind }>;
  subsidyByProgrammeAndFunder: Array<{ programmeId: string; funder: string; fen: Fen }>;
  poolsRemaining: Array<{ programmeId: string; funder: string; fen: Fen }>;
  /** The instant the pools are taken at: the period's end if it has ended, else the report's making. */
  poolsAsOf: Date;
  poolsAt: 'period-end' | 'now';
  /** Claims on pro-rata budgets that no period close has settled yet, as the report is made. */
  claimsAwaitingClose: Array<{ programmeId: string; claims: number; fen: Fen }>;
  topTenants: Array<Flow & { tenantId: string; category: string }>;
}

/** The monthly report as GET /reports/monthly has always named it. */
export type MonthlyReport = LedgerReport & { month: string };

type FlowKind = 'charge' | 'voucher-apply' | 'subsidy';

export async function periodReport(
  db: Kysely<Database>,
  period: ReportPeriod,
  now: Date,
  top: number,
): Promise<LedgerReport> {
  const { from, to } = period;
  // The month is the entry's civil month in China Standard Time: UTC + 8 hours, no time-zone database needed.
  const flows = await sql<{
    month: string;
    tenant_id: string;
    category: string;
    city: string;
    regions: string[];
    kind: FlowKind;
    spend_kind: SpendKind;
    fen: string;
  }>`select to_char((t.at at time zone 'UTC') + interval '8 hours', 'YYYY-MM') as month,
        t.tenant_id, te.category, pr.city, pr.regions,
        case when t.purpose = 'reversal' then t.detail->>'reverses' else t.purpose end as kind,
        coalesce(s.kind, 'compute') as spend_kind,
        sum(case when t.purpose = 'reversal' then -t.amount_fen else t.amount_fen end)::text as fen
      from ledger_transactions t join tenants te on te.id = t.tenant_id join providers pr on pr.id = t.provider_id
        left join sales s on s.id = t.sale_id
      where t.at >= ${from} and t.at < ${to} and (t.purpose in ('charge', 'voucher-apply', 'subsidy')
        or (t.purpose = 'reversal' and t.detail->>'reverses' in ('charge', 'voucher-apply', 'subsidy')))
      group by 1, 2, 3, 4, 5, 6, 7`.execute(db);
  // A month not yet begun is left out rather than shown as a zero, which would read as a fall in the trend.
  const byMonth = new Map<string, Flow>(
    period.months.filter((m) => reportPeriod('month', m).from <= now).map((m) => [m, emptyFlow()]),
  );
  const byCity = new Map<string, Flow>();
  const byRegion = new Map<string, Flow>();
  const byCategory = new Map<string, Flow>();
  // Every kind is listed, compute, model and corpus, with zeros for a kind not sold in the period.
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
    add(getOr(byMonth, r.month, emptyFlow));
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
    group by 1, 2 order by 1, 2`.execute(db);
  const poolsAt = to <= now ? 'period-end' : 'now';
  const pools = await poolBalances(db, poolsAt === 'period-end' ? to : null);
  const claims = await outstandingClaims(db);
  return {
    period: period.label,
    kind: period.kind,
    from,
    to,
    generatedAt: now,
    total,
    byMonth: sorted(byMonth).map(([month, f]) => ({ month, ...f })),
    byCity: sorted(byCity).map(([city, f]) => ({ city, ...f })),
    byRegion: sorted(byRegion).map(([region, f]) => ({ region, ...f })),
    byTenantCategory: sorted(byCategory).map(([category, f]) => ({ category, ...f })),
    byKind: [...byKind.entries()].map(([kind, f]) => ({ kind: kind as SpendKind, ...f })),
    subsidyByProgrammeAndFunder: paid.rows.map((r) => ({
      programmeId: r.programme_id,
      funder: funderOf(r.account_id),
      fen: BigInt(r.fen),
    })),
    poolsRemaining: pools.map(({ accountId, fen }) => {
      const [programmeId = '', funder = ''] = parseAccountId(accountId).ownerId.split('/');
      // Postings are signed from the ledger's side: what a pool holds is a credit (negative).
      return { programmeId, funder, fen: -fen };
    }),
    poolsAsOf: poolsAt === 'period-end' ? to : now,
    poolsAt,
    claimsAwaitingClose: claims.map((c) => ({ programmeId: c.programmeId, claims: c.claims, fen: c.claimedFen })),
    topTenants: [...byTenant.entries()]
      .map(([tenantId, f]) => ({ tenantId, ...f }))
      .sort((a, b) =>
        a.spendFen === b.spendFen ? (a.tenantId < b.tenantId ? -1 : 1) : a.spendFen > b.spendFen ? -1 : 1,
      )
      .slice(0, top),
  };
}

/**
 * Each pool account's Σ postings (ledger side, so negative = held): up to an instant, from the postings dated
 * before it (pools that existed then), or, with no instant, the cached balance of every pool now.
 */
async function poolBalances(
  db: Kysely<Database>,
  before: Date | null,
): Promise<Array<{ accountId: string; fen: Fen }>> {
  if (before === null) {
    const rows = await db
      .selectFrom('ledger_accounts')
      .select(['id', 'balance_fen'])
      .where('kind', '=', 'programme-pool')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ accountId: r.id, fen: BigInt(r.balance_fen) }));
  }
  const rows = await sql<{ account_id: string; fen: string }>`
    select p.account_id, sum(p.fen)::text as fen
    from ledger_postings p join ledger_transactions t on t.id = p.transaction_id
    where p.account_id like 'programme-pool:%' and t.at < ${before}
    group by 1 order by 1`.execute(db);
  return rows.rows.map((r) => ({ accountId: r.account_id, fen: BigInt(r.fen) }));
}

const emptyFlow = (): Flow => ({ spendFen: 0n, voucherFen: 0n, subsidyFen: 0n });

const sorted = <T>(map: Map<string, T>) => [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

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
