/**
 * Caps and budget pools as limits on one award, in the order the evaluator applies them: per transaction, what is
 * left of the tenant's natural-year cap, of the programme's total, and (first come, first served) of the funders'
 * pools. Each is a whole number of fen; the tightest wins and is named in the award's `cappedBy`.
 */
import { formatYuan, type Fen } from '../amount.ts';
import { chinaYear } from './calendar.ts';
import { poolLimit } from './pools.ts';
import type { ProgrammeLedgerView, SpendEvent, SubsidyProgramme } from './types.ts';

export interface Limit {
  /** Stable name, as in SubsidyAward.cappedBy: per-transaction, per-tenant-per-year, programme-total, budget-pool. */
  name: 'per-transaction' | 'per-tenant-per-year' | 'programme-total' | 'budget-pool';
  /** The most this limit still allows for this award. */
  limitFen: Fen;
  /** The limit in words, for explanations ("per-tenant cap ¥120,000.00 for 2026, ¥100,000.00 already awarded"). */
  words: string;
}

const nonNegative = (x: Fen): Fen => (x < 0n ? 0n : x);

/** The limits that bind an award of `programme` for `event`, given what the ledger has already awarded. */
export function limitsFor(programme: SubsidyProgramme, event: SpendEvent, view: ProgrammeLedgerView): Limit[] {
  const id = programme.metadata.id;
  const caps = programme.caps;
  const limits: Limit[] = [];
  if (caps.perTransactionFen !== null)
    limits.push({
      name: 'per-transaction',
      limitFen: caps.perTransactionFen,
      words: `per-transaction cap ${formatYuan(caps.perTransactionFen)}`,
    });
  if (caps.perTenantPerYearFen !== null) {
    const year = chinaYear(event.at);
    const already = view.awardedToTenantInYear(id, event.tenant.id, year);
    limits.push({
      name: 'per-tenant-per-year',
      limitFen: nonNegative(caps.perTenantPerYearFen - already),
      words: `per-tenant cap ${formatYuan(caps.perTenantPerYearFen)} for ${year}, ${formatYuan(already)} already awarded`,
    });
  }
  if (caps.programmeTotalFen !== null) {
    const already = view.awardedInProgramme(id);
    limits.push({
      name: 'programme-total',
      limitFen: nonNegative(caps.programmeTotalFen - already),
      words: `programme total ${formatYuan(caps.programmeTotalFen)}, ${formatYuan(already)} already awarded`,
    });
  }
  // Pro-rata budgets do not limit an award when it is made: claims are scaled at period close (prorateClaims).
  if (programme.budget?.exhaustion === 'first-come-first-served') {
    const left = programme.funders.map((f) => `${f.funder} ${formatYuan(view.poolRemaining(id, f.funder))}`);
    limits.push({
      name: 'budget-pool',
      limitFen: poolLimit(programme.funders, (funder) => view.poolRemaining(id, funder)),
      words: `budget pools (first come, first served): ${left.join(', ')} left`,
    });
  }
  return limits;
}

/** Applies the limits in order to an amount: the result, the limit that bound last (the tightest), and notes. */
export function applyLimits(
  amountFen: Fen,
  limits: readonly Limit[],
): { amountFen: Fen; binding: Limit | undefined; notes: string[] } {
  let amount = amountFen;
  let binding: Limit | undefined;
  const notes: string[] = [];
  for (const limit of limits) {
    if (limit.limitFen < amount) {
      amount = limit.limitFen;
      binding = limit;
      notes.push(`capped at ${formatYuan(amount)} by the ${limit.words}`);
    }
  }
  return { amountFen: amount, binding, notes };
}
