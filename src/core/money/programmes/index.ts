/** Subsidy and voucher programmes as data: types, loader, evaluator, pools, vouchers (docs/programmes.md). */
export * from './types.ts';
export { evaluateSubsidies, checkAwardedRate, ProgrammeEvaluationError } from './evaluate.ts';
export { splitByFunders, poolLimit, prorateClaims, type Claim } from './pools.ts';
export {
  closePeriod,
  parsePeriod,
  periodToClose,
  PeriodCloseError,
  type CloseInput,
  type ClaimPaid,
  type PayeePayment,
  type Period,
  type PeriodClaim,
  type PeriodCloseResult,
} from './close.ts';
export { limitsFor, applyLimits, type Limit } from './caps.ts';
export { voucherCoverage, voucherLastDay, issuableFaceValue, type VoucherUse } from './vouchers.ts';
export {
  parseProgrammeText,
  loadProgrammes,
  checkProgrammeSet,
  formatProgrammeError,
  type ProgrammeError,
  type LoadedProgramme,
  type ParseProgrammeResult,
} from './load.ts';
export { chinaCivilDate, chinaYear, isCivilDate, addDays } from './calendar.ts';
export { formatPercent, formatBasisPoints, rateFromBasisPoints } from './rates.ts';
export { programmeJsonSchema, PROGRAMME_API_VERSION } from './schema.ts';
