/** Exact rates: basis points, fractions, and how they read in statements. */
import { BASIS_POINTS } from '../amount.ts';
import type { Rate } from './types.ts';

const gcd = (a: bigint, b: bigint): bigint => {
  let [x, y] = [a < 0n ? -a : a, b < 0n ? -b : b];
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
};

/** The fraction in lowest terms (0 is 0/1). */
export function reduceRate(rate: Rate): Rate {
  if (rate.denominator <= 0n) throw new RangeError('a rate needs a positive denominator');
  if (rate.numerator === 0n) return { numerator: 0n, denominator: 1n };
  const g = gcd(rate.numerator, rate.denominator);
  return { numerator: rate.numerator / g, denominator: rate.denominator / g };
}

export function rateFromBasisPoints(basisPoints: bigint): Rate {
  return reduceRate({ numerator: basisPoints, denominator: BASIS_POINTS });
}

export function multiplyRates(a: Rate, b: Rate): Rate {
  return reduceRate({ numerator: a.numerator * b.numerator, denominator: a.denominator * b.denominator });
}

/** a ≤ b, exactly. */
export function rateAtMost(a: Rate, b: Rate): boolean {
  return a.numerator * b.denominator <= b.numerator * a.denominator;
}

/** numerator / denominator as a decimal with at most `digits` decimals; "≈" marks a rounded (inexact) value. */
function decimal(numerator: bigint, denominator: bigint, digits: number): string {
  if (numerator < 0n) return `-${decimal(-numerator, denominator, digits)}`;
  const scale = 10n ** BigInt(digits);
  const scaled = numerator * scale;
  const exact = scaled % denominator === 0n;
  const units = (scaled + denominator / 2n) / denominator;
  const fraction = (units % scale).toString().padStart(digits, '0').replace(/0+$/, '');
  return `${exact ? '' : '≈'}${units / scale}${fraction === '' ? '' : `.${fraction}`}`;
}

/** A rate as a percentage: "20%", "24%", "12.5%"; beyond 4 decimals rounded and marked "≈" (e.g. 1/3). */
export function formatPercent(rate: Rate): string {
  return `${decimal(rate.numerator * 100n, rate.denominator, 4)}%`;
}

export function formatBasisPoints(basisPoints: bigint): string {
  return formatPercent(rateFromBasisPoints(basisPoints));
}

/** A factor as a decimal: 6/5 → "1.2". */
export function formatFactor(rate: Rate): string {
  return decimal(rate.numerator, rate.denominator, 4);
}
