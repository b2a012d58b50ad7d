/**
 * Subsidy and voucher programmes as data: the parsed form of a programme file (see docs/programmes.md), what the
 * evaluator is given (one rated charge, what the ledger has already awarded, the office's decisions) and what it
 * returns (awards, each split per funder, or the reasons nothing was awarded).
 *
 * Everything here is plain data. Amounts are fen (bigint), rates basis points (bigint, 10000 = 100%) or exact
 * fractions, dates are civil dates "YYYY-MM-DD" read in China Standard Time (UTC+8, the policies' own calendar), and
 * the only instants are the `Date` values the caller passes in.
 */
import type { TenantCategory } from '../../domain.ts';
import type { Fen, RoundingMode } from '../amount.ts';

/** The products a charge (and a voucher) can be for: accelerator time, model services, training corpora. */
export const SPEND_KINDS = ['compute', 'model', 'corpus'] as const;
export type SpendKind = (typeof SPEND_KINDS)[number];

/** Who receives an award: the tenant after the fact (a refund-like payment), or the provider as a discount at sale. */
export const PAYEES = ['tenant', 'provider'] as const;
export type Payee = (typeof PAYEES)[number];

/** Which amount of a charge a rule takes as its base. */
export const BASES = ['metered', 'paid', 'contract'] as const;
export type Base = (typeof BASES)[number];

/**
 * When a funder's pool runs dry: `first-come-first-served` pays each award at once while the pool lasts (the award
 * is cut to what is left); `pro-rata-at-close` records claims in full and scales them all to the pool at period
 * close (`prorateClaims`).
 */
export const EXHAUSTION_RULES = ['first-come-first-served', 'pro-rata-at-close'] as const;
export type ExhaustionRule = (typeof EXHAUSTION_RULES)[number];

/**
 * The periods a `pro-rata-at-close` budget is closed by, natural periods in China Standard Time: a year (自然年, the
 * policies' own unit), a quarter, a month. Written "2026", "2026-Q4", "2026-11".
 */
export const CLOSE_PERIODS = ['year', 'quarter', 'month'] as const;
export type ClosePeriod = (typeof CLOSE_PERIODS)[number];

/** Among programmes of one non-stacking group, which single award an event gets. */
export const STACKING_RESOLUTIONS = ['larger-award', 'precedence'] as const;
export type StackingResolution = (typeof STACKING_RESOLUTIONS)[number];

/** How the applicable tiers of a tiered rate combine. */
export const TIER_COMBINATIONS = ['highest', 'sum-up-to-ceiling'] as const;
export type TierCombination = (typeof TIER_COMBINATIONS)[number];

/** A civil date "YYYY-MM-DD" in China Standard Time (UTC+8). Windows include both their first and last day. */
export type CivilDate = string;

/** An exact, non-negative rate: numerator / denominator (denominator > 0). 20% = 2000/10000 = 1/5. */
export interface Rate {
  numerator: bigint;
  denominator: bigint;
}

/**
 * Conditions on one charge, its tenant, provider and project. Every field given must hold (all-of); a list field
 * holds when any of its values matches ("any of"). Absent fields do not constrain.
 */
export interface Condition {
  kinds?: SpendKind[];
  /** The accelerator's origin: true = domestic (国产) chips only, false = imported only. */
  domestic?: boolean;
  acceleratorModels?: string[];
  /** Listed providers (ids). */
  providers?: string[];
  /** The provider carries one of these region tags. */
  providerRegions?: string[];
  providerCities?: string[];
  tenantCategories?: TenantCategory[];
  /** The tenant is registered in one of these regions (e.g. "anhui" for 在皖). */
  tenantRegions?: string[];
  tenantVerified?: boolean;
  /** The project is tagged with one of these regions (e.g. "wanbei" for 皖北 projects). */
  projectRegions?: string[];
}

/** Who may receive a programme's awards at all. */
export interface Eligibility extends Condition {
  /** 自建自用除外: no award when the tenant's organisation owns the provider. */
  excludeSelfBuiltSelfUsed: boolean;
  /** No award when the provider's owner is among the organisations affiliated with the tenant (event.affiliations). */
  excludeAffiliated: boolean;
}

/** A rate the programme fixes, or a ceiling under which the office awards each tenant its rate. */
export type RateRule =
  | { type: 'fixed'; basisPoints: bigint }
  | { type: 'ceiling'; ceilingBasisPoints: bigint }
  | { type: 'tiered'; tiers: RateTier[]; combine: TierCombination; ceilingBasisPoints: bigint | null };

export interface RateTier {
  id: string;
  when: Condition;
  basisPoints: bigint;
}

/** Multiplies the rate (not the capped amount) when its condition holds: 皖北 ×1.2 turns 20% into 24%. */
export interface Multiplier {
  id: string;
  when: Condition;
  factor: Rate;
}

/** One way a programme pays: the base it takes, which charges it covers, its rate and multipliers. */
export interface SubsidyRule {
  id: string;
  base: Base;
  appliesTo: Condition;
  rate: RateRule;
  multipliers: Multiplier[];
}

/** Caps in fen; null = no cap at that level. Applied in this order after the rate (docs/programmes.md). */
export interface Caps {
  perTransactionFen: Fen | null;
  /** Per tenant per natural year (China Standard Time) of the charge. */
  perTenantPerYearFen: Fen | null;
  /** The programme's cumulative total over all tenants. */
  programmeTotalFen: Fen | null;
}

export interface FunderShare {
  funder: string;
  /** The funder's share of every award, in basis points; the shares of a programme sum to 10000. */
  shareBasisPoints: bigint;
}

/** A new version repeals an older programme from `from`; commitments signed before keep the old terms if so said. */
export interface Supersession {
  programmeId: string;
  from: CivilDate;
  commitmentsKeepTerms: boolean;
}

export interface ProgrammeMetadata {
  /** Unique over all programmes, e.g. "anhui-2025-compute". Awards and ledger accounts are keyed on it. */
  id: string;
  /** The policy's own version label, e.g. "2.0". */
  version: string;
  /** Versions of one programme share a series; their windows in force must not overlap. */
  series: string;
  title: string;
  /** Citations: document, article/item. */
  sources: string[];
}

export interface SubsidyProgramme {
  kind: 'SubsidyProgramme';
  metadata: ProgrammeMetadata;
  validFrom: CivilDate;
  /** Last day in force (inclusive); null = open-ended. */
  validTo: CivilDate | null;
  supersedes: Supersession | null;
  payee: Payee;
  rounding: RoundingMode;
  funders: FunderShare[];
  /**
   * null: no budget pool limits awards (the ledger's pool accounts are not consulted). `period`: how a pro-rata
   * budget's claims are closed (absent: a natural year); a first-come-first-served budget has none.
   */
  budget: { exhaustion: ExhaustionRule; period?: ClosePeriod } | null;
  /** null: stacks with every other programme. */
  stacking: { group: string; resolve: StackingResolution; precedence: number } | null;
  eligibility: Eligibility;
  caps: Caps;
  /** A base below this earns nothing (e.g. tiny charges not worth an award); 0n = none. */
  minimumBaseFen: Fen;
  /** An award that would come out below this is not paid; 0n = none. */
  minimumAwardFen: Fen;
  /** Tried in order; the first rule whose `appliesTo` holds is the one that pays. */
  rules: SubsidyRule[];
}

/** A voucher programme (算力券, 模型券, 语料券): what its vouchers are worth, for how long, on what. */
export interface VoucherProgramme {
  kind: 'VoucherProgramme';
  metadata: ProgrammeMetadata;
  validFrom: CivilDate;
  validTo: CivilDate | null;
  funders: FunderShare[];
  rounding: RoundingMode;
  eligibility: Eligibility;
  /** Products a voucher of this programme may pay for. */
  usableFor: SpendKind[];
  /** Further limits on the charges a voucher may pay (listed providers, regions, domestic chips…). */
  appliesTo: Condition;
  /** The face values the office may issue, in fen. */
  faceValuesFen: Fen[];
  /** A voucher expires this many days after issue (inclusive of the issue day). */
  validityDays: number;
  /** The largest share of one charge a voucher may pay, in basis points (the tenant pays the rest). */
  maxShareOfChargeBasisPoints: bigint;
  /** Most face value one tenant may be issued per natural year; null = no limit. */
  perTenantPerYearFen: Fen | null;
  payee: Payee;
}

export type Programme = SubsidyProgramme | VoucherProgramme;

/** One rated charge: the base for subsidies. */
export interface SpendEvent {
  /** The usage record or charge id; with the programme and rule, the idempotency key of an award. */
  id: string;
  /** When the usage ended: selects the programme in force and the natural year of caps. */
  at: Date;
  kind: SpendKind;
  tenant: {
    id: string;
    category: TenantCategory;
    regions: string[];
    verified: boolean;
    organisation: string;
    city?: string;
  };
  provider: { id: string; city: string; regions: string[]; ownerOrganisation: string };
  project: { id: string; regions: string[] };
  acceleratorModel: string;
  domestic: boolean;
  /** The charge rated from metered usage. */
  meteredFen: Fen;
  /** What the tenant actually paid for it (after vouchers and discounts). */
  paidFen: Fen;
  /** The contract amount, for programmes that subsidise contracts rather than metered use. */
  contractFen?: Fen;
  /** The contract or application this spend belongs to; its signing date decides which superseded version applies. */
  commitment?: { id: string; signedAt: Date };
  /** Organisations affiliated with the tenant (for `excludeAffiliated`). */
  affiliations?: string[];
}

/** What was already awarded, as the ledger knows it. Implemented from the database by the ledger. */
export interface ProgrammeLedgerView {
  awardedToTenantInYear(programmeId: string, tenantId: string, year: number): Fen;
  awardedInProgramme(programmeId: string): Fen;
  poolRemaining(programmeId: string, funder: string): Fen;
}

/**
 * The office's decision for a programme whose rate is a ceiling: the rate it awards to a tenant, optionally only for
 * one commitment (application/contract). A commitment-specific decision wins over the tenant-wide one.
 */
export interface AwardedRate {
  programmeId: string;
  tenantId: string;
  commitmentId?: string;
  basisPoints: bigint;
}

export interface EvaluationOptions {
  awardedRates?: readonly AwardedRate[];
}

export interface FunderAmount {
  funder: string;
  amountFen: Fen;
}

export interface SubsidyAward {
  programmeId: string;
  programmeVersion: string;
  ruleId: string;
  eventId: string;
  tenantId: string;
  payee: Payee;
  baseFen: Fen;
  /** The effective rate after multipliers, exact. */
  rate: Rate;
  amountFen: Fen;
  /** Sums to amountFen exactly. */
  byFunder: FunderAmount[];
  /** `immediate`: pay now (first-come-first-served or no pool); `claim`: a claim scaled at period close. */
  settlement: 'immediate' | 'claim';
  /** The cap or pool that cut the amount, if any (the tightest). */
  cappedBy?: 'per-transaction' | 'per-tenant-per-year' | 'programme-total' | 'budget-pool';
  /** Human-readable lines for statements: base, rate, multipliers, rounding, caps. */
  explanation: string[];
}

/** A programme that paid nothing for an event, and why (so the API can say why ¥0). */
export interface NoAward {
  programmeId: string;
  programmeVersion: string;
  eventId: string;
  reasons: string[];
}

export interface Evaluation {
  awards: SubsidyAward[];
  notAwarded: NoAward[];
}

/**
 * The evaluator (evaluate.ts) has this shape; it is deterministic and does no I/O:
 *
 *   evaluateSubsidies(programmes: readonly SubsidyProgramme[], event: SpendEvent, view: ProgrammeLedgerView,
 *                     options?: EvaluationOptions): Evaluation
 */
export type EvaluateSubsidies = (
  programmes: readonly SubsidyProgramme[],
  event: SpendEvent,
  view: ProgrammeLedgerView,
  options?: EvaluationOptions,
) => Evaluation;
