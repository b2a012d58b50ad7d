/** Funder splits, pool limits, pro-rata scaling and exact rates, worked by hand. */
import { describe, expect, it } from 'vitest';
import { checkAwardedRate } from '../../../../src/core/money/programmes/evaluate.ts';
import { poolLimit, prorateClaims, splitByFunders } from '../../../../src/core/money/programmes/pools.ts';
import { formatPercent, multiplyRates, rateFromBasisPoints } from '../../../../src/core/money/programmes/rates.ts';
import { shippedSubsidies } from './helpers.ts';

describe('pools', () => {
  it('splits province : city : district 50 : 30 : 20 of 1,001 fen exactly', () => {
    // Exact shares 500.5, 300.3, 200.2 → floors 500, 300, 200 (1,000); the odd fen goes to the largest remainder (.5).
    const funders = [
      { funder: 'province', shareBasisPoints: 5000n },
      { funder: 'city', shareBasisPoints: 3000n },
      { funder: 'district', shareBasisPoints: 2000n },
    ];
    expect(splitByFunders(1_001n, funders).map((f) => f.amountFen)).toEqual([501n, 300n, 200n]);
  });

  it('limits an award to what the scarcest pool can fund at its share', () => {
    // Province 50% with ¥10.00 left funds at most 2,000 fen; city 50% with ¥30.00 funds 6,000: the limit is 2,000.
    const funders = [
      { funder: 'province', shareBasisPoints: 5000n },
      { funder: 'city', shareBasisPoints: 5000n },
    ];
    const left: Record<string, bigint> = { province: 1_000n, city: 3_000n };
    expect(poolLimit(funders, (f) => left[f] ?? 0n)).toBe(2_000n);
    // An overdrawn pool counts as empty.
    expect(poolLimit(funders, (f) => (f === 'province' ? -5n : 3_000n))).toBe(0n);
  });

  it('scales claims to a short pool in proportion, by largest remainder', () => {
    // Claims 300, 200, 100 (600) on a pool of 100: exact 50, 33.33…, 16.66… → 50, 33, 16 (99); the last fen goes to
    // the largest remainder (16.66…) → 50, 33, 17.
    const claims = [
      { id: 'a', amountFen: 300n },
      { id: 'b', amountFen: 200n },
      { id: 'c', amountFen: 100n },
    ];
    expect(prorateClaims(claims, 100n).map((c) => c.amountFen)).toEqual([50n, 33n, 17n]);
    // A pool that suffices pays every claim in full.
    expect(prorateClaims(claims, 1_000n).map((c) => c.amountFen)).toEqual([300n, 200n, 100n]);
    expect(() => prorateClaims(claims, -1n)).toThrow(RangeError);
  });
});

describe('rates', () => {
  it('multiplies exactly and prints percentages, marking inexact ones', () => {
    const uplifted = multiplyRates(rateFromBasisPoints(2000n), { numerator: 6n, denominator: 5n });
    expect(uplifted).toEqual({ numerator: 6n, denominator: 25n });
    expect(formatPercent(uplifted)).toBe('24%');
    expect(formatPercent(rateFromBasisPoints(1250n))).toBe('12.5%');
    expect(formatPercent({ numerator: 1n, denominator: 3n })).toBe('≈33.3333%');
  });

  it("checks the office's rate against the programme's ceiling when it is entered", () => {
    const anhui = shippedSubsidies().find((p) => p.metadata.id === 'anhui-2025-compute');
    if (anhui === undefined) throw new Error('anhui-2025-compute not shipped');
    expect(checkAwardedRate(anhui, 2000n)).toBeNull();
    expect(checkAwardedRate(anhui, 2001n)).toBe(
      'awarded rate 20.01% is above the ceiling 20% of programme anhui-2025-compute',
    );
    expect(checkAwardedRate(anhui, -1n)).toBe('an awarded rate cannot be negative (-0.01%)');
  });
});
