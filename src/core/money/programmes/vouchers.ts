/**
 * The pure rules of voucher programmes (算力券, 模型券, 语料券): when a voucher expires, and how much of one charge
 * it may pay. Issuing, holding and settling vouchers are ledger transactions (voucher-liability accounts) kept by the
 * store; this module only decides amounts.
 */
import { formatYuan, mulBasisPoints, type Fen } from '../amount.ts';
import { addDays, chinaCivilDate, withinWindow } from './calendar.ts';
import { conditionFailures, eligibilityFailures } from './conditions.ts';
import { formatBasisPoints } from './rates.ts';
import { splitByFunders } from './pools.ts';
import type { CivilDate, FunderAmount, SpendEvent, VoucherProgramme } from './types.ts';

/** The last day (inclusive) a voucher issued on `issuedOn` may be used: validityDays counts the issue day. */
export function voucherLastDay(programme: VoucherProgramme, issuedOn: CivilDate): CivilDate {
  return addDays(issuedOn, programme.validityDays - 1);
}

export interface VoucherUse {
  /** What the voucher pays of this charge; the tenant pays the rest. 0n with reasons when it may pay nothing. */
  amountFen: Fen;
  byFunder: FunderAmount[];
  reasons: string[];
}

/**
 * How much of the charge `event` a voucher of `programme` with `balanceFen` left, issued on `issuedOn`, may pay:
 * min(balance, charge × maxShareOfCharge rounded by the programme's mode), provided the voucher is unexpired, the
 * product is one it is usable for, and the programme's eligibility and `appliesTo` hold. The base is the metered
 * charge (a voucher pays for what was used, before any other discount).
 */
export function voucherCoverage(
  programme: VoucherProgramme,
  event: SpendEvent,
  voucher: { balanceFen: Fen; issuedOn: CivilDate },
): VoucherUse {
  const reasons: string[] = [];
  const day = chinaCivilDate(event.at);
  const lastDay = voucherLastDay(programme, voucher.issuedOn);
  if (!withinWindow(day, voucher.issuedOn, lastDay))
    reasons.push(`the voucher is valid ${voucher.issuedOn}..${lastDay}, the charge is on ${day}`);
  if (!programme.usableFor.includes(event.kind))
    reasons.push(`a ${programme.metadata.id} voucher pays for ${programme.usableFor.join(', ')}, not ${event.kind}`);
  reasons.push(...eligibilityFailures(programme.eligibility, event), ...conditionFailures(programme.appliesTo, event));
  if (voucher.balanceFen <= 0n) reasons.push('the voucher is spent');
  if (event.meteredFen <= 0n) reasons.push(`the charge is ${formatYuan(event.meteredFen)}`);
  if (reasons.length > 0) return { amountFen: 0n, byFunder: [], reasons };

  const share = mulBasisPoints(event.meteredFen, programme.maxShareOfChargeBasisPoints, programme.rounding);
  const amountFen = share < voucher.balanceFen ? share : voucher.balanceFen;
  const explanation =
    share < voucher.balanceFen
      ? `pays ${formatBasisPoints(programme.maxShareOfChargeBasisPoints)} of ${formatYuan(event.meteredFen)}`
      : `pays the remaining balance ${formatYuan(voucher.balanceFen)}`;
  return { amountFen, byFunder: splitByFunders(amountFen, programme.funders), reasons: [explanation] };
}

/** The total face value still issuable to a tenant this year under the programme's yearly limit (null = no limit). */
export function issuableFaceValue(programme: VoucherProgramme, issuedThisYearFen: Fen): Fen | null {
  if (programme.perTenantPerYearFen === null) return null;
  const left = programme.perTenantPerYearFen - issuedThisYearFen;
  return left < 0n ? 0n : left;
}
