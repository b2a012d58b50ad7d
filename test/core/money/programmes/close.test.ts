/** Period close of a pro-rata budget, worked by hand, and its invariants over random claims and pools. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  closePeriod,
  parsePeriod,
  PeriodCloseError,
  type PeriodClaim,
} from '../../../../src/core/money/programmes/close.ts';
import type { ClosePeriod, SubsidyProgramme } from '../../../../src/core/money/programmes/types.ts';
import { poolLimit } from '../../../../src/core/money/programmes/pools.ts';
import { subsidy } from './helpers.ts';

const PRORATA = `apiVersion: suanli.io/v1
kind: SubsidyProgramme
metadata: { id: hefei-prorata, version: '1', series: hefei-prorata, title: t, sources: [s] }
spec:
  validFrom: 2026-01-01
  validTo: 2027-12-31
  payee: tenant
  funders:
    - { funder: anhui-province, share: 50% }
    - { funder: hefei-city, share: 50% }
  rounding: down
  budget: { exhaustion: pro-rata-at-close, period: PERIOD }
  rules:
    - { id: compute-use, base: metered, rate: { fixed: 20% } }
`;
const programme = (period: ClosePeriod = 'year'): SubsidyProgramme => subsidy(PRORATA.replace('PERIOD', period));
const AFTER_2026 = new Date('2027-01-01T00:00:00+08:00');
const pools =
  (fen: Record<string, bigint>) =>
  (funder: string): bigint =>
    fen[funder] ?? 0n;
const claim = (id: string, payeeId: string, amountFen: bigint, counterpartyId = 'hefei-aicc'): PeriodClaim => ({
  id,
  payeeId,
  counterpartyId,
  ruleId: 'compute-use',
  amountFen,
});

describe('period close', () => {
  it('scales ¥80,000 + ¥40,000 + ¥30,000 of claims to a ¥100,000 pool, province : city 1:1', () => {
    const result = closePeriod({
      programme: programme(),
      period: '2026',
      now: AFTER_2026,
      claims: [claim('c1', 'acme', 8_000_000n), claim('c2', 'beta', 4_000_000n), claim('c3', 'core', 3_000_000n)],
      poolRemaining: pools({ 'anhui-province': 5_000_000n, 'hefei-city': 5_000_000n }),
    });
    // ¥150,000 claimed on ¥100,000: each payee gets 100,000/150,000 = 2/3 of its claims, in fen
    //   acme 8,000,000 × 2/3 = 5,333,333.33…  beta 4,000,000 × 2/3 = 2,666,666.66…  core 3,000,000 × 2/3 = 2,000,000
    // floors 5,333,333 + 2,666,666 + 2,000,000 = 9,999,999: the last fen goes to the largest remainder (beta's .66…).
    expect(result.claimedFen).toBe(15_000_000n);
    expect(result.paidFen).toBe(10_000_000n);
    expect(result.payments.map((p) => [p.payeeId, p.paidFen])).toEqual([
      ['acme', 5_333_333n],
      ['beta', 2_666_667n],
      ['core', 2_000_000n],
    ]);
    // The funders' totals are P split 1:1; each payee is split in proportion to what each funder still owes:
    //   acme 5,333,333 of (5,000,000 : 5,000,000) → 2,666,667 + 2,666,666 (the first funder gets the odd fen);
    //   left (2,333,333 : 2,333,334); beta 2,666,667 × 2,333,333/4,666,667 = 1,333,332.86…,
    //   × 2,333,334/4,666,667 = 1,333,333.43… → floors 1,333,332 + 1,333,333, two fen left, one each;
    //   core takes what is left: 1,000,000 + 1,000,000.
    expect(result.byFunder).toEqual([
      { funder: 'anhui-province', amountFen: 5_000_000n },
      { funder: 'hefei-city', amountFen: 5_000_000n },
    ]);
    expect(result.payments.map((p) => p.byFunder.map((f) => f.amountFen))).toEqual([
      [2_666_667n, 2_666_666n],
      [1_333_333n, 1_333_334n],
      [1_000_000n, 1_000_000n],
    ]);
    expect(result.period).toMatchObject({ id: '2026', firstDay: '2026-01-01', lastDay: '2026-12-31' });
  });

  it('pays every claim in full when the pools suffice, and shares a payee’s pay between its claims', () => {
    const result = closePeriod({
      programme: programme('month'),
      period: '2026-11',
      now: new Date('2026-12-01T00:00:00+08:00'),
      claims: [claim('c1', 'acme', 301n), claim('c2', 'acme', 99n, 'wuhu-dc'), claim('c3', 'beta', 1n)],
      poolRemaining: pools({ 'anhui-province': 1_000n, 'hefei-city': 1_000n }),
    });
    expect(result.paidFen).toBe(401n);
    expect(result.payments[0]?.claims.map((c) => c.paidFen)).toEqual([301n, 99n]);
    // 401 split 1:1 → 201 : 200; acme's 400 of (201 : 200) → 200.5, 199.5 → the earlier funder's tie: 201, 199;
    // beta takes what is left: 0 : 1.
    expect(result.byFunder.map((f) => f.amountFen)).toEqual([201n, 200n]);
    expect(result.payments.map((p) => p.byFunder.map((f) => f.amountFen))).toEqual([
      [200n, 200n],
      [1n, 0n],
    ]);
    // acme's claims were on two providers: one transfer each, its 200 : 200 shared in proportion as it goes
    // (301 of 200 : 200 → 150.5 each, the tie to the first funder: 151 : 150; wuhu-dc takes 49 : 50).
    expect(result.payments[0]?.transfers).toEqual([
      {
        counterpartyId: 'hefei-aicc',
        ruleId: 'compute-use',
        paidFen: 301n,
        claimIds: ['c1'],
        byFunder: [
          { funder: 'anhui-province', amountFen: 151n },
          { funder: 'hefei-city', amountFen: 150n },
        ],
      },
      {
        counterpartyId: 'wuhu-dc',
        ruleId: 'compute-use',
        paidFen: 99n,
        claimIds: ['c2'],
        byFunder: [
          { funder: 'anhui-province', amountFen: 49n },
          { funder: 'hefei-city', amountFen: 50n },
        ],
      },
    ]);
  });

  it('gives a tied last fen to the payee whose id sorts first, whatever order the claims came in', () => {
    // zeta and alpha claim 100 each on a pool that allows 101: exact 50.5 each, one fen to spare.
    const result = closePeriod({
      programme: programme(),
      period: '2026',
      now: AFTER_2026,
      claims: [claim('c1', 'zeta', 100n), claim('c2', 'alpha', 100n)],
      poolRemaining: pools({ 'anhui-province': 51n, 'hefei-city': 50n }),
    });
    // 1:1 pools of 51 and 50: poolLimit = min(51 × 2, 50 × 2) = 100, not 101.
    expect(result.paidFen).toBe(100n);
    const odd = closePeriod({
      programme: { ...programme(), funders: [{ funder: 'anhui-province', shareBasisPoints: 10_000n }] },
      period: '2026',
      now: AFTER_2026,
      claims: [claim('c1', 'zeta', 100n), claim('c2', 'alpha', 100n)],
      poolRemaining: pools({ 'anhui-province': 101n }),
    });
    expect(odd.payments.map((p) => [p.payeeId, p.paidFen])).toEqual([
      ['alpha', 51n],
      ['zeta', 50n],
    ]);
  });

  it('is bounded by the scarcer funder under cost sharing', () => {
    // Province holds ¥600.00, city ¥400.00, 1:1: at most 2 × 40,000 = 80,000 fen can be paid, 40,000 each.
    const result = closePeriod({
      programme: programme(),
      period: '2026',
      now: AFTER_2026,
      claims: [claim('c1', 'acme', 200_000n)],
      poolRemaining: pools({ 'anhui-province': 60_000n, 'hefei-city': 40_000n }),
    });
    expect(result.paidFen).toBe(80_000n);
    expect(result.byFunder.map((f) => f.amountFen)).toEqual([40_000n, 40_000n]);
  });

  it('pays nothing from empty pools, and closes a period without claims', () => {
    const empty = closePeriod({
      programme: programme(),
      period: '2026',
      now: AFTER_2026,
      claims: [claim('c1', 'acme', 500n)],
      poolRemaining: pools({}),
    });
    expect(empty.paidFen).toBe(0n);
    expect(empty.payments[0]).toMatchObject({ claimedFen: 500n, paidFen: 0n });
    const none = closePeriod({
      programme: programme(),
      period: '2026',
      now: AFTER_2026,
      claims: [],
      poolRemaining: pools({ 'anhui-province': 5n }),
    });
    expect(none).toMatchObject({ claimedFen: 0n, paidFen: 0n, payments: [] });
  });

  it('refuses a period that has not ended, by the clock it is given', () => {
    const close = (now: Date) =>
      closePeriod({ programme: programme('month'), period: '2026-11', now, claims: [], poolRemaining: pools({}) });
    // 2026-11 ends at 2026-12-01 00:00 in China, 2026-11-30T16:00Z.
    expect(() => close(new Date('2026-11-30T15:59:59.999Z'))).toThrow(
      /2026-11 has not ended: it can be closed from 2026-12-01 00:00 China Standard Time/,
    );
    expect(close(new Date('2026-11-30T16:00:00Z')).period.endMs).toBe(Date.parse('2026-11-30T16:00:00Z'));
  });

  it('refuses a label of the wrong kind, a programme not in force then, and a budget that is not pro-rata', () => {
    const attempt = (p: SubsidyProgramme, period: string) => {
      try {
        closePeriod({
          programme: p,
          period,
          now: new Date('2030-01-01T00:00:00Z'),
          claims: [],
          poolRemaining: pools({}),
        });
      } catch (error) {
        if (error instanceof PeriodCloseError) return `${error.problem}: ${error.message}`;
        throw error;
      }
      return 'closed';
    };
    expect(attempt(programme('month'), '2026')).toBe(
      'invalid-period: period "2026" is not a month: this programme closes by month, written like 2026-11',
    );
    expect(attempt(programme('quarter'), '2026-Q5')).toMatch(/^invalid-period: .* written like 2026-Q4$/);
    expect(attempt(programme(), '2025')).toBe(
      'outside-programme: programme hefei-prorata is in force 2026-01-01..2027-12-31, not in 2025',
    );
    expect(attempt({ ...programme(), budget: { exhaustion: 'first-come-first-served' } }, '2026')).toMatch(
      /^not-pro-rata: programme hefei-prorata has a first-come-first-served budget/,
    );
    expect(attempt(programme('quarter'), '2027-Q4')).toBe('closed');
  });

  it('reads natural periods in China Standard Time', () => {
    expect(parsePeriod('quarter', '2026-Q4')).toMatchObject({
      firstDay: '2026-10-01',
      lastDay: '2026-12-31',
      startMs: Date.parse('2026-10-01T00:00:00+08:00'),
      endMs: Date.parse('2027-01-01T00:00:00+08:00'),
    });
    expect(parsePeriod('month', '2028-02')).toMatchObject({ firstDay: '2028-02-01', lastDay: '2028-02-29' });
  });

  it('loads `period` only with a pro-rata budget, a year by default', () => {
    expect(subsidy(PRORATA.replace(', period: PERIOD', '')).budget).toEqual({
      exhaustion: 'pro-rata-at-close',
      period: 'year',
    });
    expect(() =>
      subsidy(PRORATA.replace('pro-rata-at-close, period: PERIOD', 'first-come-first-served, period: month')),
    ).toThrow(/a first-come-first-served budget pays as it goes and has no period to close/);
  });
});

describe('period close: properties', () => {
  const funderSets = fc.constantFrom(
    [{ funder: 'p', shareBasisPoints: 10_000n }],
    [
      { funder: 'p', shareBasisPoints: 5_000n },
      { funder: 'c', shareBasisPoints: 5_000n },
    ],
    [
      { funder: 'p', shareBasisPoints: 6_000n },
      { funder: 'c', shareBasisPoints: 3_333n },
      { funder: 'd', shareBasisPoints: 667n },
    ],
  );
  const claims = fc.array(
    fc.record({
      payeeId: fc.constantFrom('t1', 't2', 't3', 'a', 'zz'),
      counterpartyId: fc.constantFrom('p1', 'p2'),
      amountFen: fc.oneof(fc.bigInt({ min: 1n, max: 1_000n }), fc.bigInt({ min: 1n, max: 10n ** 13n })),
    }),
    { maxLength: 30 },
  );
  const poolFen = fc.oneof(fc.bigInt({ min: 0n, max: 1_000n }), fc.bigInt({ min: 0n, max: 10n ** 14n }));

  it('pays exactly min(pools allow, claims), no claim or payee more than claimed, no funder more than its pool', () => {
    fc.assert(
      fc.property(funderSets, claims, fc.array(poolFen, { minLength: 3, maxLength: 3 }), (funders, cs, held) => {
        const base = programme();
        const p: SubsidyProgramme = { ...base, funders: [...funders] };
        const remaining = (f: string) => held[funders.findIndex((x) => x.funder === f)] ?? 0n;
        const input = cs.map((c, i) => claim(`c${i}`, c.payeeId, c.amountFen, c.counterpartyId));
        const r = closePeriod({
          programme: p,
          period: '2026',
          now: AFTER_2026,
          claims: input,
          poolRemaining: remaining,
        });
        const total = input.reduce((s, c) => s + c.amountFen, 0n);
        const allowed = poolLimit(funders, remaining);
        const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);
        expect(r.paidFen).toBe(total < allowed ? total : allowed);
        expect(sum(r.payments.map((x) => x.paidFen))).toBe(r.paidFen);
        expect(sum(r.byFunder.map((f) => f.amountFen))).toBe(r.paidFen);
        for (const f of r.byFunder) {
          expect(f.amountFen).toBeLessThanOrEqual(remaining(f.funder) < 0n ? 0n : remaining(f.funder));
          const fromPayees = sum(r.payments.map((x) => x.byFunder.find((b) => b.funder === f.funder)?.amountFen ?? 0n));
          expect(fromPayees).toBe(f.amountFen);
        }
        for (const x of r.payments) {
          expect(x.paidFen).toBeGreaterThanOrEqual(0n);
          expect(x.paidFen).toBeLessThanOrEqual(x.claimedFen);
          expect(sum(x.byFunder.map((b) => b.amountFen))).toBe(x.paidFen);
          for (const b of x.byFunder) expect(b.amountFen).toBeGreaterThanOrEqual(0n);
          expect(sum(x.claims.map((c) => c.paidFen))).toBe(x.paidFen);
          for (const c of x.claims) expect(c.paidFen).toBeLessThanOrEqual(c.claimedFen);
          expect(sum(x.transfers.map((t) => t.paidFen))).toBe(x.paidFen);
          for (const [k, b] of x.byFunder.entries())
            expect(sum(x.transfers.map((t) => t.byFunder[k]?.amountFen ?? 0n))).toBe(b.amountFen);
          for (const t of x.transfers) for (const b of t.byFunder) expect(b.amountFen).toBeGreaterThanOrEqual(0n);
        }
        expect(r.payments.map((x) => x.payeeId)).toEqual([...new Set(input.map((c) => c.payeeId))].sort());
      }),
      { numRuns: 500 },
    );
  });
});
