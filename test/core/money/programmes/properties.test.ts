/**
 * Properties over random programmes and random streams of charges, evaluated against an in-memory ledger view that
 * records each award as the ledger would: no award exceeds rate × base or any cap, no pool goes below zero, funder
 * splits sum exactly, pro-rata payments conserve the pool, and evaluation is deterministic.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apportion, divRound, ROUNDING_MODES } from '../../../../src/core/money/amount.ts';
import { evaluateSubsidies } from '../../../../src/core/money/programmes/evaluate.ts';
import { prorateClaims, splitByFunders } from '../../../../src/core/money/programmes/pools.ts';
import { chinaYear } from '../../../../src/core/money/programmes/calendar.ts';
import type { AwardedRate, SpendEvent, SubsidyProgramme } from '../../../../src/core/money/programmes/types.ts';
import { MemoryLedgerView, spend } from './helpers.ts';

const TENANTS = ['t1', 't2', 't3'];
const FUNDERS = ['province', 'city', 'district'];

const programmeArb = (id: string): fc.Arbitrary<SubsidyProgramme> =>
  fc
    .record({
      rounding: fc.constantFrom(...ROUNDING_MODES),
      weights: fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 3 }),
      rate: fc.oneof(
        fc.bigInt(0n, 10_000n).map((bp) => ({ type: 'fixed' as const, basisPoints: bp })),
        fc.bigInt(0n, 10_000n).map((bp) => ({ type: 'ceiling' as const, ceilingBasisPoints: bp })),
        fc.record({
          tiers: fc.tuple(fc.bigInt(0n, 5_000n), fc.bigInt(0n, 5_000n)),
          combine: fc.constantFrom('highest' as const, 'sum-up-to-ceiling' as const),
          ceiling: fc.bigInt(0n, 10_000n),
        }),
      ),
      factor: fc.option(fc.record({ numerator: fc.bigInt(1n, 30n), denominator: fc.bigInt(1n, 10n) })),
      perTransaction: fc.option(fc.bigInt(1n, 5_000_000n)),
      perTenantPerYear: fc.option(fc.bigInt(1n, 20_000_000n)),
      programmeTotal: fc.option(fc.bigInt(1n, 50_000_000n)),
      budget: fc.constantFrom(null, 'first-come-first-served' as const, 'pro-rata-at-close' as const),
      minimumAward: fc.bigInt(0n, 1_000n),
      base: fc.constantFrom('metered' as const, 'paid' as const),
    })
    .map((g): SubsidyProgramme => {
      const shares = apportion(
        10_000n,
        g.weights.map((w) => BigInt(w)),
      );
      const rate =
        'type' in g.rate
          ? g.rate
          : {
              type: 'tiered' as const,
              tiers: [
                { id: 'domestic', when: { domestic: true }, basisPoints: g.rate.tiers[0] },
                { id: 'startup', when: { tenantCategories: ['startup' as const] }, basisPoints: g.rate.tiers[1] },
              ],
              combine: g.rate.combine,
              ceilingBasisPoints: g.rate.ceiling,
            };
      return {
        kind: 'SubsidyProgramme',
        metadata: { id, version: '1', series: id, title: id, sources: ['property test'] },
        validFrom: '2026-01-01',
        validTo: null,
        supersedes: null,
        payee: 'tenant',
        rounding: g.rounding,
        funders: shares.map((s, i) => ({ funder: FUNDERS[i] ?? `f${i}`, shareBasisPoints: s })),
        budget: g.budget === null ? null : { exhaustion: g.budget },
        stacking: null,
        eligibility: { excludeSelfBuiltSelfUsed: true, excludeAffiliated: false },
        caps: {
          perTransactionFen: g.perTransaction,
          perTenantPerYearFen: g.perTenantPerYear,
          programmeTotalFen: g.programmeTotal,
        },
        minimumBaseFen: 0n,
        minimumAwardFen: g.minimumAward,
        rules: [
          {
            id: 'r',
            base: g.base,
            appliesTo: {},
            rate,
            multipliers:
              g.factor === null ? [] : [{ id: 'wanbei', when: { projectRegions: ['wanbei'] }, factor: g.factor }],
          },
        ],
      };
    });

const eventArb: fc.Arbitrary<SpendEvent> = fc
  .record({
    tenant: fc.constantFrom(...TENANTS),
    category: fc.constantFrom('enterprise' as const, 'startup' as const),
    domestic: fc.boolean(),
    wanbei: fc.boolean(),
    ownProvider: fc.boolean(),
    metered: fc.bigInt(0n, 200_000_000n),
    paidShare: fc.integer({ min: 0, max: 100 }),
    // 2026-01-01 .. 2027-12-31 (Beijing), so tenant-year caps see two years.
    minute: fc.integer({ min: 0, max: 2 * 365 * 24 * 60 }),
  })
  .map((g) =>
    spend({
      at: new Date(Date.UTC(2025, 11, 31, 16, 0) + g.minute * 60_000),
      domestic: g.domestic,
      meteredFen: g.metered,
      paidFen: (g.metered * BigInt(g.paidShare)) / 100n,
      tenant: { id: g.tenant, category: g.category, organisation: `${g.tenant}-org` },
      provider: { ownerOrganisation: g.ownProvider ? `${g.tenant}-org` : 'provider-org' },
      project: { id: 'p', regions: g.wanbei ? ['wanbei'] : [] },
    }),
  );

const awardedRatesArb = (programmeIds: string[]): fc.Arbitrary<AwardedRate[]> =>
  fc
    .array(fc.bigInt(0n, 10_000n), { minLength: TENANTS.length, maxLength: TENANTS.length })
    .map((bps) =>
      programmeIds.flatMap((programmeId) =>
        TENANTS.map((tenantId, i) => ({ programmeId, tenantId, basisPoints: bps[i] ?? 0n })),
      ),
    );

const scenario = fc
  .tuple(programmeArb('alpha'), programmeArb('beta'), fc.array(eventArb, { minLength: 1, maxLength: 40 }))
  .chain(([a, b, events]) =>
    fc.record({
      programmes: fc.constant([a, b]),
      events: fc.constant(events.map((e, i) => ({ ...e, id: `u${i}` }))),
      pool: fc.bigInt(0n, 30_000_000n),
      // Rates above a ceiling throw by design; keep the office's decisions within the smallest ceiling.
      awardedRates: awardedRatesArb(['alpha', 'beta']).map((rates) =>
        rates.map((r) => {
          const rule = [a, b].find((p) => p.metadata.id === r.programmeId)?.rules[0];
          const ceiling = rule?.rate.type === 'ceiling' ? rule.rate.ceilingBasisPoints : 10_000n;
          return { ...r, basisPoints: r.basisPoints > ceiling ? ceiling : r.basisPoints };
        }),
      ),
    }),
  );

describe('programme properties', () => {
  it('no award exceeds rate × base or any cap; no pool goes below zero; funder splits sum exactly', () => {
    fc.assert(
      fc.property(scenario, ({ programmes, events, pool, awardedRates }) => {
        const view = new MemoryLedgerView();
        for (const p of programmes) for (const f of p.funders) view.fund(p.metadata.id, f.funder, pool);
        for (const event of events) {
          const { awards } = evaluateSubsidies(programmes, event, view, { awardedRates });
          for (const award of awards) {
            const p = programmes.find((x) => x.metadata.id === award.programmeId);
            if (p === undefined) throw new Error('award from an unknown programme');
            const rule = p.rules[0];
            if (rule === undefined) throw new Error('no rule');
            const base = rule.base === 'metered' ? event.meteredFen : event.paidFen;
            expect(award.baseFen).toBe(base);
            // rate × eligible base, rounded by the programme's own mode, is the most it may pay.
            expect(award.amountFen).toBeGreaterThan(0n);
            expect(award.amountFen).toBeLessThanOrEqual(
              divRound(base * award.rate.numerator, award.rate.denominator, p.rounding),
            );
            // The effective rate never exceeds the rule's own limit × the multiplier.
            const limitBp =
              rule.rate.type === 'fixed'
                ? rule.rate.basisPoints
                : rule.rate.type === 'ceiling'
                  ? rule.rate.ceilingBasisPoints
                  : (rule.rate.ceilingBasisPoints ?? 10_000n);
            const uplifted = event.project.regions.includes('wanbei');
            const factor = (uplifted ? rule.multipliers[0]?.factor : undefined) ?? { numerator: 1n, denominator: 1n };
            expect(award.rate.numerator * 10_000n * factor.denominator).toBeLessThanOrEqual(
              limitBp * factor.numerator * award.rate.denominator,
            );
            expect(award.amountFen).toBeGreaterThanOrEqual(p.minimumAwardFen);
            if (p.caps.perTransactionFen !== null)
              expect(award.amountFen).toBeLessThanOrEqual(p.caps.perTransactionFen);
            expect(award.byFunder.reduce((s, f) => s + f.amountFen, 0n)).toBe(award.amountFen);
            expect(award.byFunder.map((f) => f.funder)).toEqual(p.funders.map((f) => f.funder));
            // Self-built, self-used compute never earns.
            expect(event.tenant.organisation).not.toBe(event.provider.ownerOrganisation);
            view.record(award, event.at);
          }
          for (const p of programmes) {
            const id = p.metadata.id;
            if (p.caps.programmeTotalFen !== null)
              expect(view.awardedInProgramme(id)).toBeLessThanOrEqual(p.caps.programmeTotalFen);
            if (p.caps.perTenantPerYearFen !== null)
              for (const t of TENANTS)
                for (const year of [2026, 2027])
                  expect(view.awardedToTenantInYear(id, t, year)).toBeLessThanOrEqual(p.caps.perTenantPerYearFen);
            // Pools bind first-come-first-served programmes at once (pro-rata claims are scaled at close, below).
            if (p.budget?.exhaustion === 'first-come-first-served')
              for (const f of p.funders) expect(view.poolRemaining(id, f.funder)).toBeGreaterThanOrEqual(0n);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('is deterministic: the same inputs, in any programme order, give the same evaluation', () => {
    fc.assert(
      fc.property(scenario, ({ programmes, events, pool, awardedRates }) => {
        const run = (ps: readonly SubsidyProgramme[]): unknown[] => {
          const view = new MemoryLedgerView();
          for (const p of ps) for (const f of p.funders) view.fund(p.metadata.id, f.funder, pool);
          return events.map((e) => {
            const result = evaluateSubsidies(ps, e, view, { awardedRates });
            for (const a of result.awards) view.record(a, e.at);
            return result;
          });
        };
        expect(run([...programmes].reverse())).toEqual(run(programmes));
      }),
      { numRuns: 60 },
    );
  });

  it('a non-stacking group pays at most one award per charge, the largest the group would pay alone', () => {
    fc.assert(
      fc.property(scenario, ({ programmes, events, pool, awardedRates }) => {
        const grouped = programmes.map((p) => ({
          ...p,
          stacking: { group: 'g', resolve: 'larger-award' as const, precedence: 0 },
        }));
        for (const event of events) {
          const view = new MemoryLedgerView();
          for (const p of programmes) for (const f of p.funders) view.fund(p.metadata.id, f.funder, pool);
          const alone = evaluateSubsidies(programmes, event, view, { awardedRates }).awards;
          const together = evaluateSubsidies(grouped, event, view, { awardedRates }).awards;
          expect(together.length).toBe(alone.length === 0 ? 0 : 1);
          const best = alone.reduce((m, a) => (a.amountFen > m ? a.amountFen : m), 0n);
          if (together[0] !== undefined) expect(together[0].amountFen).toBe(best);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('the natural year of a charge is its year in Beijing time', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4 * 366 * 24 * 60 }), (minute) => {
        const at = new Date(Date.UTC(2024, 0, 1) + minute * 60_000);
        expect(chinaYear(at)).toBe(new Date(at.getTime() + 8 * 3_600_000).getUTCFullYear());
      }),
    );
  });
});

describe('pool properties', () => {
  it('funder splits sum to the award and follow the shares within one fen', () => {
    fc.assert(
      fc.property(
        fc.bigInt(0n, 10n ** 12n),
        fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 4 }),
        (amount, weights) => {
          const shares = apportion(
            10_000n,
            weights.map((w) => BigInt(w)),
          );
          const funders = shares.map((s, i) => ({ funder: `f${i}`, shareBasisPoints: s }));
          const split = splitByFunders(amount, funders);
          expect(split.reduce((s, f) => s + f.amountFen, 0n)).toBe(amount);
          split.forEach((f, i) => {
            const exactTimes = amount * (shares[i] ?? 0n); // exact share × 10000
            expect(f.amountFen * 10_000n).toBeGreaterThan(exactTimes - 10_000n);
            expect(f.amountFen * 10_000n).toBeLessThan(exactTimes + 10_000n);
          });
        },
      ),
    );
  });

  it('pro rata at close pays min(pool, claims) in all, never more than a claim', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt(0n, 10n ** 9n), { maxLength: 30 }), fc.bigInt(0n, 10n ** 10n), (amounts, pool) => {
        const claims = amounts.map((amountFen, i) => ({ id: `c${i}`, amountFen }));
        const paid = prorateClaims(claims, pool);
        const total = amounts.reduce((s, a) => s + a, 0n);
        expect(paid.reduce((s, c) => s + c.amountFen, 0n)).toBe(total < pool ? total : pool);
        paid.forEach((c, i) => {
          expect(c.id).toBe(claims[i]?.id);
          expect(c.amountFen).toBeGreaterThanOrEqual(0n);
          expect(c.amountFen).toBeLessThanOrEqual(claims[i]?.amountFen ?? 0n);
        });
      }),
    );
  });
});
