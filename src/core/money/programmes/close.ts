/**
 * Period close of a `pro-rata-at-close` budget: the claims a programme's awards made during a natural period are
 * scaled together to what its funders' pools hold, then split back between the funders. Pure: the ledger reads the
 * claims and the pools, calls `closePeriod`, and posts what it returns (src/store/ledger/period-close.ts).
 *
 * The rules, all exact in fen (docs/programmes.md, "Period close"):
 *  1. the pool that can be paid out is P = min(Σ claims, the largest total whose funder split fits every funder's
 *     pool), so with province : city 1:1 the scarcer funder bounds the whole close;
 *  2. each payee (tenant or provider) is paid its share of P in proportion to its claims, by largest remainder; a
 *     tie for the last fen goes to the payee whose id sorts first (code-unit order). When the pool suffices every
 *     payee is paid its claims exactly. So Σ paid = P, no fen is lost, and nobody is paid more than it claimed;
 *  3. P is split between the funders by their shares (`splitByFunders`: the first funder listed gets an odd fen),
 *     and each payee's amount between the funders in proportion to what each funder still has to pay of its total,
 *     payees in id order: the funders' totals come out exactly at their split of P (so no funder pays more than its
 *     pool holds), and each payee's split stays within a few fen of the shares (half a fen under 1:1);
 *  4. within a payee, what it is paid is shared between its claims the same way (largest remainder, earlier claims
 *     win ties), so each claim knows what it was paid; the claims are grouped into one transfer per counterparty
 *     (provider or tenant) and rule, the payee's funder parts shared between them as in 3.
 */
import { apportion, formatYuan, type Fen } from '../amount.ts';
import { addDays, daysFromCivil, isCivilDate } from './calendar.ts';
import { poolLimit, splitByFunders } from './pools.ts';
import type { CivilDate, ClosePeriod, FunderAmount, Payee, SubsidyProgramme } from './types.ts';

/** A close the programme's terms or the clock do not allow; `problem` is stable for the API. */
export class PeriodCloseError extends Error {
  override readonly name = 'PeriodCloseError';
  constructor(
    readonly problem: 'not-pro-rata' | 'invalid-period' | 'period-not-ended' | 'outside-programme',
    message: string,
  ) {
    super(message);
  }
}

/** A natural period in China Standard Time: its label, first and last civil day, and its instants [start, end). */
export interface Period {
  kind: ClosePeriod;
  /** "2026", "2026-Q4" or "2026-11". */
  id: string;
  firstDay: CivilDate;
  lastDay: CivilDate;
  /** Milliseconds since the epoch: midnight China Standard Time of the first day. */
  startMs: number;
  /** Midnight China Standard Time after the last day (exclusive). */
  endMs: number;
}

const PERIOD_FORMS: Record<ClosePeriod, { pattern: RegExp; example: string }> = {
  year: { pattern: /^(\d{4})$/, example: '2026' },
  quarter: { pattern: /^(\d{4})-Q([1-4])$/, example: '2026-Q4' },
  month: { pattern: /^(\d{4})-(0[1-9]|1[0-2])$/, example: '2026-11' },
};

const CHINA_OFFSET_MS = 8 * 3_600_000;
const MS_PER_DAY = 86_400_000;
const midnightInChina = (day: CivilDate): number =>
  daysFromCivil(Number(day.slice(0, 4)), Number(day.slice(5, 7)), Number(day.slice(8, 10))) * MS_PER_DAY -
  CHINA_OFFSET_MS;
const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Reads a period label of the given kind; throws PeriodCloseError('invalid-period') naming the expected form. */
export function parsePeriod(kind: ClosePeriod, text: string): Period {
  const form = PERIOD_FORMS[kind];
  const match = form.pattern.exec(text);
  if (match === null)
    throw new PeriodCloseError(
      'invalid-period',
      `period ${JSON.stringify(text)} is not a ${kind}: this programme closes by ${kind}, written like ${form.example}`,
    );
  const year = match[1] ?? '';
  const [firstMonth, months] =
    kind === 'year' ? [1, 12] : kind === 'quarter' ? [(Number(match[2]) - 1) * 3 + 1, 3] : [Number(match[2]), 1];
  const firstDay = `${year}-${pad2(firstMonth)}-01`;
  const after = firstMonth + months > 12 ? `${Number(year) + 1}-01-01` : `${year}-${pad2(firstMonth + months)}-01`;
  if (!isCivilDate(firstDay)) throw new PeriodCloseError('invalid-period', `period ${text} has no calendar date`);
  return {
    kind,
    id: text,
    firstDay,
    lastDay: addDays(after, -1),
    startMs: midnightInChina(firstDay),
    endMs: midnightInChina(after),
  };
}

/** One claim as the ledger recorded it when the charge was posted. */
export interface PeriodClaim {
  id: string;
  /** Who the award pays: the tenant's id or the provider's, as the programme's `payee` says. */
  payeeId: string;
  /** The other party of the charge: its provider for a tenant payee, its tenant for a provider payee. */
  counterpartyId: string;
  ruleId: string;
  amountFen: Fen;
}

export interface CloseInput {
  programme: SubsidyProgramme;
  /** The period's label, of the programme's `budget.period` kind. */
  period: string;
  now: { getTime(): number };
  /** The unsettled claims dated before the period's end, in the order they were made (the ledger's order). */
  claims: readonly PeriodClaim[];
  /** Fen each funder's pool of the programme holds now. */
  poolRemaining: (funder: string) => Fen;
}

export interface ClaimPaid {
  id: string;
  ruleId: string;
  claimedFen: Fen;
  paidFen: Fen;
}

/**
 * What one payee is paid for its claims on one counterparty under one rule: the ledger posts one transaction per
 * transfer, so statements and the monthly report can attribute it to a provider's city and a tenant's category as
 * they do an award paid at charge time.
 */
export interface Transfer {
  counterpartyId: string;
  ruleId: string;
  paidFen: Fen;
  /** Sums to paidFen. */
  byFunder: FunderAmount[];
  claimIds: string[];
}

export interface PayeePayment {
  payee: Payee;
  payeeId: string;
  claimedFen: Fen;
  paidFen: Fen;
  /** Sums to paidFen; each funder's part comes from its pool. */
  byFunder: FunderAmount[];
  claims: ClaimPaid[];
  /** Only those paid more than nothing, by counterparty and rule (code-unit order). */
  transfers: Transfer[];
}

export interface PeriodCloseResult {
  programmeId: string;
  programmeVersion: string;
  period: Period;
  claimedFen: Fen;
  /** What the close pays out: min(claimed, what the pools allow). */
  paidFen: Fen;
  /** Each funder's total, summing to paidFen; never more than its pool held. */
  byFunder: FunderAmount[];
  /** Payees in id order. A payee paid nothing (an empty pool) is listed with paidFen 0. */
  payments: PayeePayment[];
  /** Lines for the close's record and the API. */
  explanation: string[];
}

const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The period a programme closes, checked against its window and the clock. */
export function periodToClose(programme: SubsidyProgramme, label: string, now: { getTime(): number }): Period {
  const id = programme.metadata.id;
  if (programme.budget?.exhaustion !== 'pro-rata-at-close')
    throw new PeriodCloseError(
      'not-pro-rata',
      `programme ${id} has ${programme.budget === null ? 'no budget' : `a ${programme.budget.exhaustion} budget`}: only pro-rata-at-close budgets are closed by period`,
    );
  const period = parsePeriod(programme.budget.period ?? 'year', label);
  if (period.lastDay < programme.validFrom || (programme.validTo !== null && period.firstDay > programme.validTo))
    throw new PeriodCloseError(
      'outside-programme',
      `programme ${id} is in force ${programme.validFrom}..${programme.validTo ?? ''}, not in ${period.id}`,
    );
  if (now.getTime() < period.endMs)
    throw new PeriodCloseError(
      'period-not-ended',
      `${period.id} has not ended: it can be closed from ${addDays(period.lastDay, 1)} 00:00 China Standard Time`,
    );
  return period;
}

/** Scales a pro-rata programme's claims to its pools for one ended period. See the module comment for the rules. */
export function closePeriod(input: CloseInput): PeriodCloseResult {
  const { programme } = input;
  const period = periodToClose(programme, input.period, input.now);
  for (const c of input.claims)
    if (c.amountFen <= 0n) throw new RangeError(`claim ${c.id} is ${c.amountFen} fen; a claim must be positive`);

  const byPayee = new Map<string, PeriodClaim[]>();
  for (const c of input.claims) {
    const list = byPayee.get(c.payeeId);
    if (list) list.push(c);
    else byPayee.set(c.payeeId, [c]);
  }
  const payeeIds = [...byPayee.keys()].sort(compareIds);
  const claimedByPayee = payeeIds.map((p) => sum((byPayee.get(p) ?? []).map((c) => c.amountFen)));
  const claimedFen = sum(claimedByPayee);

  const allowed = poolLimit(programme.funders, input.poolRemaining);
  const paidFen = claimedFen < allowed ? claimedFen : allowed;
  const paidByPayee = paidFen === claimedFen ? claimedByPayee : apportion(paidFen, claimedByPayee);
  const byFunder = splitByFunders(paidFen, programme.funders);

  const owed = byFunder.map((f) => f.amountFen);
  const payments = payeeIds.map((payeeId, i): PayeePayment => {
    const paid = paidByPayee[i] ?? 0n;
    // What the funders still owe adds up to what the remaining payees are paid, so no part exceeds what its funder
    // still owes, and the last payee takes exactly what is left of each.
    const parts = apportion(paid, owed);
    parts.forEach((part, f) => (owed[f] = (owed[f] ?? 0n) - part));
    const claims = byPayee.get(payeeId) ?? [];
    const claimParts = apportion(
      paid,
      claims.map((c) => c.amountFen),
    );
    const byFunderOfPayee = programme.funders.map((f, k) => ({ funder: f.funder, amountFen: parts[k] ?? 0n }));
    return {
      payee: programme.payee,
      payeeId,
      claimedFen: claimedByPayee[i] ?? 0n,
      paidFen: paid,
      byFunder: byFunderOfPayee,
      claims: claims.map((c, k) => ({
        id: c.id,
        ruleId: c.ruleId,
        claimedFen: c.amountFen,
        paidFen: claimParts[k] ?? 0n,
      })),
      transfers: transfersOf(claims, claimParts, byFunderOfPayee),
    };
  });

  const pools = programme.funders.map((f) => `${f.funder} ${formatYuan(input.poolRemaining(f.funder))}`).join(', ');
  const explanation = [
    `${programme.metadata.id} ${period.id} (${period.firstDay}..${period.lastDay}): ${input.claims.length} claims ` +
      `of ${payeeIds.length} payees, ${formatYuan(claimedFen)} claimed; pools hold ${pools}`,
    paidFen === claimedFen
      ? `the pools suffice: every claim is paid in full, ${formatYuan(paidFen)}`
      : `the pools allow ${formatYuan(paidFen)}: each payee is paid ${formatYuan(paidFen)} × its claims / ` +
        `${formatYuan(claimedFen)}, the remaining fen by largest remainder (ties: payee id order)`,
    `paid by ${byFunder.map((f) => `${f.funder} ${formatYuan(f.amountFen)}`).join(', ')}`,
  ];
  return {
    programmeId: programme.metadata.id,
    programmeVersion: programme.metadata.version,
    period,
    claimedFen,
    paidFen,
    byFunder,
    payments,
    explanation,
  };
}

/** Groups a payee's paid claims by counterparty and rule, splitting its funders' parts as `closePeriod` does. */
function transfersOf(claims: readonly PeriodClaim[], paid: readonly Fen[], byFunder: FunderAmount[]): Transfer[] {
  const groups = new Map<string, { counterpartyId: string; ruleId: string; paidFen: Fen; claimIds: string[] }>();
  claims.forEach((c, k) => {
    const key = JSON.stringify([c.counterpartyId, c.ruleId]);
    const group = groups.get(key) ?? { counterpartyId: c.counterpartyId, ruleId: c.ruleId, paidFen: 0n, claimIds: [] };
    group.paidFen += paid[k] ?? 0n;
    group.claimIds.push(c.id);
    groups.set(key, group);
  });
  const owed = byFunder.map((f) => f.amountFen);
  return [...groups.values()]
    .sort((a, b) => compareIds(a.counterpartyId, b.counterpartyId) || compareIds(a.ruleId, b.ruleId))
    .map((g) => {
      const parts = apportion(g.paidFen, owed);
      parts.forEach((part, f) => (owed[f] = (owed[f] ?? 0n) - part));
      return { ...g, byFunder: byFunder.map((f, k) => ({ funder: f.funder, amountFen: parts[k] ?? 0n })) };
    })
    .filter((t) => t.paidFen > 0n);
}

const sum = (xs: readonly Fen[]): Fen => xs.reduce((a, b) => a + b, 0n);
