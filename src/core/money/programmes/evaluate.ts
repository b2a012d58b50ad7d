/**
 * The subsidy evaluator: one rated charge in, the awards each programme pays for it out — or, for each programme
 * that pays nothing, the reasons. Pure and deterministic: the same programmes, event, ledger view and office
 * decisions always give the same result, whatever order the programmes come in.
 *
 * For each programme, in this order (docs/programmes.md, "Semantics"):
 *  1. in force: the charge's date (China Standard Time) lies in the programme's window and before any repeal; a
 *     commitment signed under a repealed version keeps that version's terms (and is then not the new one's);
 *  2. eligibility: the programme's conditions on tenant, provider, project and charge, self-built-self-used and
 *     affiliated parties;
 *  3. the first rule whose `appliesTo` holds; its base (metered, paid or contract amount) and the minimum base;
 *  4. the rate: fixed, the office's awarded rate under a ceiling, or tiers; times every multiplier that applies;
 *  5. amount = base × rate, rounded once by the programme's rounding mode;
 *  6. caps, tightest wins: per transaction, then what is left of the tenant's natural-year cap, of the programme's
 *     total, and (first-come-first-served) of the funders' pools; then the minimum award;
 *  7. the split between funders, exact in fen.
 * Finally, programmes of one non-stacking group keep only one award per charge.
 */
import { divRound, formatYuan, type Fen } from '../amount.ts';
import { applyLimits, limitsFor } from './caps.ts';
import { chinaCivilDate, withinWindow } from './calendar.ts';
import { conditionFailures, eligibilityFailures } from './conditions.ts';
import { splitByFunders } from './pools.ts';
import { formatBasisPoints, formatFactor, formatPercent, multiplyRates, rateFromBasisPoints } from './rates.ts';
import type {
  AwardedRate,
  Evaluation,
  EvaluationOptions,
  NoAward,
  ProgrammeLedgerView,
  Rate,
  RateRule,
  SpendEvent,
  SubsidyAward,
  SubsidyProgramme,
  SubsidyRule,
} from './types.ts';

/** An input the evaluator cannot judge: an office decision that breaks the programme's own terms. */
export class ProgrammeEvaluationError extends Error {
  override readonly name = 'ProgrammeEvaluationError';
  constructor(
    readonly programmeId: string,
    message: string,
  ) {
    super(`programme ${programmeId}: ${message}`);
  }
}

type Outcome = { award: SubsidyAward } | { noAward: NoAward };

const ROUNDING_WORDS = { 'half-up': 'half up', 'half-even': 'half to even', down: 'down', up: 'up' } as const;

/** Evaluates every programme for one charge. See the module comment for the steps. */
export function evaluateSubsidies(
  programmes: readonly SubsidyProgramme[],
  event: SpendEvent,
  view: ProgrammeLedgerView,
  options: EvaluationOptions = {},
): Evaluation {
  const ordered = [...programmes].sort((a, b) => compareIds(a.metadata.id, b.metadata.id));
  const awards: SubsidyAward[] = [];
  const notAwarded: NoAward[] = [];
  for (const programme of ordered) {
    const outcome = evaluateProgramme(programme, ordered, event, view, options);
    if ('award' in outcome) awards.push(outcome.award);
    else notAwarded.push(outcome.noAward);
  }
  return resolveStacking(ordered, awards, notAwarded);
}

const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function evaluateProgramme(
  programme: SubsidyProgramme,
  all: readonly SubsidyProgramme[],
  event: SpendEvent,
  view: ProgrammeLedgerView,
  options: EvaluationOptions,
): Outcome {
  const id = programme.metadata.id;
  const none = (reasons: string[]): Outcome => ({
    noAward: { programmeId: id, programmeVersion: programme.metadata.version, eventId: event.id, reasons },
  });

  const force = inForce(programme, all, event);
  if (force.reasons.length > 0) return none(force.reasons);
  const explanation = [...force.notes];

  const ineligible = eligibilityFailures(programme.eligibility, event);
  if (ineligible.length > 0) return none(ineligible);

  const ruleMisses: string[] = [];
  const rule = programme.rules.find((r) => {
    const misses = conditionFailures(r.appliesTo, event);
    ruleMisses.push(...misses.map((m) => `rule ${r.id}: ${m}`));
    return misses.length === 0;
  });
  if (rule === undefined) return none(ruleMisses);

  const base = baseOf(rule, event);
  if (typeof base === 'string') return none([base]);
  if (base < programme.minimumBaseFen)
    return none([`base ${formatYuan(base)} is below the minimum ${formatYuan(programme.minimumBaseFen)}`]);
  explanation.push(`base: ${BASE_WORDS[rule.base]} ${formatYuan(base)} (rule ${rule.id})`);

  const chosen = rateOf(programme, rule.rate, event, options.awardedRates ?? []);
  if (typeof chosen === 'string') return none([chosen]);
  explanation.push(chosen.explanation);
  let rate = chosen.rate;
  for (const m of rule.multipliers) {
    if (conditionFailures(m.when, event).length > 0) continue;
    rate = multiplyRates(rate, m.factor);
    explanation.push(`× ${formatFactor(m.factor)} (${m.id}) → ${formatPercent(rate)}`);
  }

  const exact = divRound(base * rate.numerator, rate.denominator, programme.rounding);
  explanation.push(
    `${formatYuan(base)} × ${formatPercent(rate)} = ${formatYuan(exact)} (rounded ${ROUNDING_WORDS[programme.rounding]})`,
  );

  const capped = applyLimits(exact, limitsFor(programme, event, view));
  explanation.push(...capped.notes);
  const amount = capped.amountFen;
  if (amount <= 0n)
    return none([
      exact <= 0n
        ? `the award rounds to ${formatYuan(exact)}`
        : `nothing left under the ${capped.binding?.words ?? 'caps'}`,
    ]);
  if (amount < programme.minimumAwardFen)
    return none([
      `the award ${formatYuan(amount)} is below the minimum award ${formatYuan(programme.minimumAwardFen)}`,
    ]);

  const settlement = programme.budget?.exhaustion === 'pro-rata-at-close' ? 'claim' : 'immediate';
  if (settlement === 'claim') explanation.push('a claim on the budget: scaled pro rata at period close if it is short');
  const byFunder = splitByFunders(amount, programme.funders);
  if (byFunder.length > 1)
    explanation.push(`paid by ${byFunder.map((f) => `${f.funder} ${formatYuan(f.amountFen)}`).join(', ')}`);

  const award: SubsidyAward = {
    programmeId: id,
    programmeVersion: programme.metadata.version,
    ruleId: rule.id,
    eventId: event.id,
    tenantId: event.tenant.id,
    payee: programme.payee,
    baseFen: base,
    rate,
    amountFen: amount,
    byFunder,
    settlement,
    explanation,
  };
  if (capped.binding !== undefined) award.cappedBy = capped.binding.name;
  return { award };
}

const BASE_WORDS = { metered: 'metered charge', paid: 'amount paid', contract: 'contract amount' } as const;

function baseOf(rule: SubsidyRule, event: SpendEvent): Fen | string {
  const base = rule.base === 'metered' ? event.meteredFen : rule.base === 'paid' ? event.paidFen : event.contractFen;
  if (base === undefined) return `rule ${rule.id} is paid on the contract amount, and the charge has none`;
  // A refund or reversal is undone by reversing the award it caused, never by a negative award.
  if (base < 0n) return `the ${BASE_WORDS[rule.base]} is negative (${formatYuan(base)}): reverse the original award`;
  return base;
}

/** The office's decision for this tenant (and commitment, which wins over a tenant-wide decision), if any. */
function awardedRateFor(
  programmeId: string,
  event: SpendEvent,
  awardedRates: readonly AwardedRate[],
): AwardedRate | undefined {
  const mine = awardedRates.filter((r) => r.programmeId === programmeId && r.tenantId === event.tenant.id);
  const commitmentId = event.commitment?.id;
  return (
    (commitmentId === undefined ? undefined : mine.find((r) => r.commitmentId === commitmentId)) ??
    mine.find((r) => r.commitmentId === undefined)
  );
}

/**
 * Checks an office decision before it is stored (the API calls this when the office enters a rate): the rate must
 * not be negative and must be within the ceiling of every rule of the programme whose rate the office awards.
 * Returns the problem in words, or null.
 */
export function checkAwardedRate(programme: SubsidyProgramme, basisPoints: bigint): string | null {
  const ceilings = programme.rules.flatMap((r) => (r.rate.type === 'ceiling' ? [r.rate.ceilingBasisPoints] : []));
  if (ceilings.length === 0) return `programme ${programme.metadata.id} fixes its rates; the office awards none`;
  if (basisPoints < 0n) return `an awarded rate cannot be negative (${formatBasisPoints(basisPoints)})`;
  const lowest = ceilings.reduce((a, b) => (b < a ? b : a));
  if (basisPoints > lowest)
    return (
      `awarded rate ${formatBasisPoints(basisPoints)} is above the ceiling ${formatBasisPoints(lowest)} of ` +
      `programme ${programme.metadata.id}`
    );
  return null;
}

function rateOf(
  programme: SubsidyProgramme,
  rateRule: RateRule,
  event: SpendEvent,
  awardedRates: readonly AwardedRate[],
): { rate: Rate; explanation: string } | string {
  const id = programme.metadata.id;
  switch (rateRule.type) {
    case 'fixed':
      return {
        rate: rateFromBasisPoints(rateRule.basisPoints),
        explanation: `rate: ${formatBasisPoints(rateRule.basisPoints)}`,
      };
    case 'ceiling': {
      const decision = awardedRateFor(id, event, awardedRates);
      if (decision === undefined)
        return `the office has not awarded tenant ${event.tenant.id} a rate under ${id} (at most ${formatBasisPoints(rateRule.ceilingBasisPoints)})`;
      if (decision.basisPoints < 0n || decision.basisPoints > rateRule.ceilingBasisPoints)
        throw new ProgrammeEvaluationError(
          id,
          `awarded rate ${formatBasisPoints(decision.basisPoints)} for tenant ${event.tenant.id} is outside ` +
            `0%..${formatBasisPoints(rateRule.ceilingBasisPoints)}`,
        );
      const scope = decision.commitmentId === undefined ? '' : ` for commitment ${decision.commitmentId}`;
      return {
        rate: rateFromBasisPoints(decision.basisPoints),
        explanation:
          `rate: ${formatBasisPoints(decision.basisPoints)} awarded by the office${scope} ` +
          `(ceiling ${formatBasisPoints(rateRule.ceilingBasisPoints)})`,
      };
    }
    case 'tiered': {
      const applicable = rateRule.tiers.filter((t) => conditionFailures(t.when, event).length === 0);
      if (applicable.length === 0) return `no rate tier of ${id} applies to this charge`;
      const ceiling = rateRule.ceilingBasisPoints;
      const held = (bp: bigint): bigint => (ceiling !== null && bp > ceiling ? ceiling : bp);
      const toCeiling = (bp: bigint): string =>
        held(bp) === bp ? '' : `, held to the ceiling ${formatBasisPoints(held(bp))}`;
      if (rateRule.combine === 'highest') {
        const best = applicable.reduce((a, b) => (b.basisPoints > a.basisPoints ? b : a));
        return {
          rate: rateFromBasisPoints(held(best.basisPoints)),
          explanation:
            `rate: ${formatBasisPoints(best.basisPoints)} (tier ${best.id}, the highest that applies)` +
            toCeiling(best.basisPoints),
        };
      }
      const sum = applicable.reduce((total, t) => total + t.basisPoints, 0n);
      const parts = applicable.map((t) => `${t.id} ${formatBasisPoints(t.basisPoints)}`).join(' + ');
      return {
        rate: rateFromBasisPoints(held(sum)),
        explanation: `rate: ${parts} = ${formatBasisPoints(sum)}${toCeiling(sum)}`,
      };
    }
    default: {
      const unknown: never = rateRule;
      throw new ProgrammeEvaluationError(id, `unknown rate type ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * Whether the programme governs this charge. Without repeals: the charge's date is in the window. With a repeal by a
 * newer programme from date D: the charge is before D, unless it belongs to a commitment signed under this programme
 * before D and the repeal keeps commitments on their terms ("对已享受政策并分期执行的,按原政策规定实施") — then it is
 * this programme's whatever its date, and not the newer one's.
 */
function inForce(
  programme: SubsidyProgramme,
  all: readonly SubsidyProgramme[],
  event: SpendEvent,
): { reasons: string[]; notes: string[] } {
  const id = programme.metadata.id;
  const at = chinaCivilDate(event.at);
  const signed = event.commitment === undefined ? null : chinaCivilDate(event.commitment.signedAt);
  const window = `${programme.validFrom}..${programme.validTo ?? 'open-ended'}`;

  const repealedBy = all
    .filter((b) => b.supersedes?.programmeId === id)
    .sort((a, b) => compareIds(a.supersedes?.from ?? '', b.supersedes?.from ?? ''))[0];
  if (repealedBy?.supersedes) {
    const { from, commitmentsKeepTerms } = repealedBy.supersedes;
    const repealer = repealedBy.metadata.id;
    if (
      commitmentsKeepTerms &&
      signed !== null &&
      signed < from &&
      withinWindow(signed, programme.validFrom, programme.validTo)
    )
      return {
        reasons: [],
        notes:
          at >= from || (programme.validTo !== null && at > programme.validTo)
            ? [
                `commitment ${event.commitment?.id} signed ${signed} under ${id} keeps its terms ` +
                  `(${repealer} repeals ${id} from ${from})`,
              ]
            : [],
      };
    if (at >= from) return { reasons: [`repealed by ${repealer} from ${from}`], notes: [] };
  }

  const old = programme.supersedes;
  if (old?.commitmentsKeepTerms && signed !== null && signed < old.from) {
    const predecessor = all.find((p) => p.metadata.id === old.programmeId);
    if (predecessor !== undefined && withinWindow(signed, predecessor.validFrom, predecessor.validTo))
      return {
        reasons: [
          `commitment ${event.commitment?.id} was signed ${signed} under ${old.programmeId}, which keeps it on its terms`,
        ],
        notes: [],
      };
  }

  if (!withinWindow(at, programme.validFrom, programme.validTo))
    return { reasons: [`the charge on ${at} is outside the programme's window ${window}`], notes: [] };
  return { reasons: [], notes: [] };
}

/**
 * Non-duplication (不重复支持): of the awards of one stacking group for this charge only one is paid — the larger
 * (`larger-award`; a tie goes to the higher precedence, then the smaller programme id) or the one of highest
 * precedence (`precedence`; a tie goes to the larger award, then the smaller id). The group's resolution is the one
 * its first programme (by id) declares; the loader refuses groups whose programmes disagree.
 */
function resolveStacking(
  programmes: readonly SubsidyProgramme[],
  awards: SubsidyAward[],
  notAwarded: NoAward[],
): Evaluation {
  const byId = new Map(programmes.map((p) => [p.metadata.id, p]));
  const groups = new Map<string, SubsidyAward[]>();
  const kept: SubsidyAward[] = [];
  for (const award of awards) {
    const stacking = byId.get(award.programmeId)?.stacking ?? null;
    if (stacking === null) {
      kept.push(award);
      continue;
    }
    groups.set(stacking.group, [...(groups.get(stacking.group) ?? []), award]);
  }
  const dropped: NoAward[] = [];
  for (const [group, members] of groups) {
    const precedence = (a: SubsidyAward): number => byId.get(a.programmeId)?.stacking?.precedence ?? 0;
    const resolve = byId.get(members[0]?.programmeId ?? '')?.stacking?.resolve ?? 'larger-award';
    const byAmount = (a: SubsidyAward, b: SubsidyAward): number =>
      a.amountFen === b.amountFen ? 0 : a.amountFen > b.amountFen ? -1 : 1;
    const byPrecedence = (a: SubsidyAward, b: SubsidyAward): number => precedence(b) - precedence(a);
    const ranked = [...members].sort(
      (a, b) =>
        (resolve === 'larger-award' ? byAmount(a, b) || byPrecedence(a, b) : byPrecedence(a, b) || byAmount(a, b)) ||
        compareIds(a.programmeId, b.programmeId),
    );
    const [winner, ...losers] = ranked;
    if (winner === undefined) continue;
    kept.push(winner);
    for (const loser of losers)
      dropped.push({
        programmeId: loser.programmeId,
        programmeVersion: loser.programmeVersion,
        eventId: loser.eventId,
        reasons: [
          `does not stack with ${winner.programmeId} (group ${group}): ` +
            (resolve === 'larger-award'
              ? `${winner.programmeId} pays the larger award ${formatYuan(winner.amountFen)}, not ${formatYuan(loser.amountFen)}`
              : `${winner.programmeId} takes precedence`),
        ],
      });
  }
  const order = (a: { programmeId: string }, b: { programmeId: string }): number =>
    compareIds(a.programmeId, b.programmeId);
  return { awards: kept.sort(order), notAwarded: [...notAwarded, ...dropped].sort(order) };
}
