import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ACCELERATORS } from '../../src/core/accelerators.ts';
import {
  GFLOP_PER_P_HOUR,
  MAX_PH_DECIMALS,
  capacityP,
  formatPh,
  gflopFor,
  gflopsOf,
  sumCapacityP,
  tflopsToGflops,
} from '../../src/core/compute.ts';

const MODELS = ACCELERATORS.map((s) => s.model);

/** A decimal string as an exact rational numerator / 10^scale (test oracle; independent of the code under test). */
function parseDecimal(text: string): { numerator: bigint; scale: number } {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (match === null) throw new Error(`not a decimal: ${text}`);
  const fraction = match[3] ?? '';
  const magnitude = BigInt(match[2]! + fraction);
  return { numerator: match[1] === '-' ? -magnitude : magnitude, scale: fraction.length };
}

/** A P decimal string as exact GFLOPS (1 P = 10^6 GFLOPS). */
function pToGflops(text: string): bigint {
  const { numerator, scale } = parseDecimal(text);
  expect(scale).toBeLessThanOrEqual(6);
  return numerator * 10n ** BigInt(6 - scale);
}

const gflopArb = fc.bigInt({ min: 0n, max: 10n ** 24n });
const decimalsArb = fc.integer({ min: 0, max: 12 });

describe('gflopsOf', () => {
  it.each([
    ['H100-SXM', 989_500n],
    ['h100', 989_500n],
    ['A100-80GB', 312_000n],
    ['L40S', 362_050n],
    ['RTX-4090', 165_200n],
    ['P100', 18_700n],
    ['Ascend-910B', 353_894n],
    ['MLU370-X8', 96_000n],
  ])('%s has %d dense FP16 GFLOPS', (model, gflops) => {
    expect(gflopsOf(model)).toBe(gflops);
  });

  it('is TFLOPS × 1000 exactly for every catalogue entry', () => {
    for (const spec of ACCELERATORS) {
      const { numerator, scale } = parseDecimal(String(spec.denseFp16Tflops));
      expect(gflopsOf(spec.model) * 10n ** BigInt(scale)).toBe(numerator * 1000n);
    }
  });

  it('throws for an unknown model', () => {
    expect(() => gflopsOf('B200')).toThrowError(/unknown accelerator model "B200"/);
  });
});

describe('tflopsToGflops', () => {
  it('reads the decimal literal exactly', () => {
    expect(tflopsToGflops(0)).toBe(0n);
    expect(tflopsToGflops(0.001)).toBe(1n);
    expect(tflopsToGflops(989.5)).toBe(989_500n);
    expect(tflopsToGflops(362.05)).toBe(362_050n);
    expect(tflopsToGflops(0.3)).toBe(300n); // 0.3 is not exact in binary; the literal is read, not multiplied
  });

  it('rejects more than 3 decimals, negatives and non-finite values', () => {
    for (const bad of [1.0001, -1, Number.NaN, Number.POSITIVE_INFINITY, 1e21]) {
      expect(() => tflopsToGflops(bad)).toThrowError(RangeError);
    }
  });

  it('round-trips every integer GFLOPS through its 3-decimal TFLOPS number (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), (gflops) => {
        const literal = `${gflops / 1000n}.${(gflops % 1000n).toString().padStart(3, '0')}`;
        expect(tflopsToGflops(Number(literal))).toBe(gflops);
      }),
    );
  });
});

describe('gflopFor', () => {
  it('multiplies accelerator-seconds by GFLOPS exactly', () => {
    // 2 × H100-SXM for one hour = 7200 accelerator-seconds × 989,500 GFLOPS = 7,124,400,000 GFLOP.
    expect(gflopFor('H100-SXM', 2 * 3600)).toBe(7_124_400_000n);
    expect(gflopFor('H100-SXM', 7200n)).toBe(7_124_400_000n);
    expect(gflopFor('T4', 0)).toBe(0n);
  });

  it('stays exact beyond Number.MAX_SAFE_INTEGER', () => {
    // A year of 10,000 H100s: 315,360,000,000 accelerator-seconds × 989,500 GFLOPS.
    expect(gflopFor('H100-SXM', 10_000 * 365 * 24 * 3600)).toBe(312_048_720_000_000_000n);
    expect(gflopFor('H100-SXM', 2n ** 80n)).toBe(2n ** 80n * 989_500n);
  });

  it('rejects fractional, negative and unsafe accelerator-seconds', () => {
    expect(() => gflopFor('H100-SXM', 1.5)).toThrowError(RangeError);
    expect(() => gflopFor('H100-SXM', -1)).toThrowError(RangeError);
    expect(() => gflopFor('H100-SXM', -1n)).toThrowError(RangeError);
    expect(() => gflopFor('H100-SXM', 2 ** 53)).toThrowError(RangeError);
    expect(() => gflopFor('H100-SXM', Number.NaN)).toThrowError(RangeError);
  });

  it('is linear in accelerator-seconds (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...MODELS),
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        (model, a, b) => {
          expect(gflopFor(model, a + b)).toBe(gflopFor(model, a) + gflopFor(model, b));
          expect(gflopFor(model, a)).toBe(a * gflopsOf(model));
        },
      ),
    );
  });
});

describe('capacityP', () => {
  it.each<[string, number, string]>([
    ['H100-SXM', 8, '7.916'], // 8 × 989.5 TFLOPS = 7,916 TFLOPS
    ['A100-80GB', 8, '2.496'],
    ['L40S', 3, '1.08615'],
    ['Ascend-910B', 1, '0.353894'],
    ['T4', 1, '0.065'],
    ['MLU370-X8', 1000, '96'],
    ['A100-80GB', 0, '0'],
  ])('%s × %d = %s P', (model, count, expected) => {
    expect(capacityP(model, count)).toBe(expected);
  });

  it('rejects a negative or fractional count', () => {
    expect(() => capacityP('T4', -1)).toThrowError(RangeError);
    expect(() => capacityP('T4', 0.5)).toThrowError(RangeError);
  });

  it('is exact and canonical (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...MODELS), fc.nat({ max: 10_000_000 }), (model, count) => {
        const text = capacityP(model, count);
        expect(text).toMatch(/^(0|[1-9]\d*)(\.\d*[1-9])?$/);
        expect(pToGflops(text)).toBe(gflopsOf(model) * BigInt(count));
      }),
    );
  });
});

describe('sumCapacityP', () => {
  it('adds capacity across models exactly', () => {
    // 8 × H100-SXM + 16 × Ascend-910B + 4 × MLU370-X8
    //   = 7,916,000 + 5,662,304 + 384,000 GFLOPS = 13,962,304 GFLOPS = 13.962304 P.
    expect(
      sumCapacityP([
        { model: 'H100-SXM', count: 8 },
        { model: 'Ascend-910B', count: 16 },
        { model: 'MLU370-X8', count: 4 },
      ]),
    ).toBe('13.962304');
    expect(sumCapacityP([])).toBe('0');
  });

  it('equals the sum of the parts and ignores order (property)', () => {
    const itemsArb = fc.array(fc.record({ model: fc.constantFrom(...MODELS), count: fc.nat({ max: 100_000 }) }), {
      maxLength: 20,
    });
    fc.assert(
      fc.property(itemsArb, (items) => {
        const total = sumCapacityP(items);
        const parts = items.reduce((sum, { model, count }) => sum + pToGflops(capacityP(model, count)), 0n);
        expect(pToGflops(total)).toBe(parts);
        expect(sumCapacityP([...items].reverse())).toBe(total);
      }),
    );
  });
});

describe('formatPh', () => {
  it('formats the worked example: 2 × H100-SXM for 3600 s', () => {
    // 7200 accelerator-seconds × 989,500 GFLOPS = 7,124,400,000 GFLOP;
    // 7,124,400,000 / 3,600,000,000 GFLOP per P·h = 1.979 P·h (= 2 × 0.9895 P × 1 h).
    const used = gflopFor('H100-SXM', 2 * 3600);
    expect(formatPh(used)).toBe('1.979000');
    expect(formatPh(used, 3)).toBe('1.979');
    expect(formatPh(used, 2)).toBe('1.98');
    expect(formatPh(used, 0)).toBe('2');
  });

  it('formats other hand-worked values', () => {
    expect(formatPh(gflopFor('T4', 3600))).toBe('0.065000'); // 3600 s × 65,000 GFLOPS = 0.065 P·h
    expect(formatPh(0n)).toBe('0.000000');
    expect(formatPh(GFLOP_PER_P_HOUR * 1234n, 2)).toBe('1234.00');
    // 1 GFLOP = 2.77…e-10 P·h
    expect(formatPh(1n, 12)).toBe('0.000000000278');
  });

  it('rounds halves up', () => {
    expect(formatPh(1_800_000_000n, 0)).toBe('1'); // exactly 0.5
    expect(formatPh(1_799_999_999n, 0)).toBe('0');
    expect(formatPh(5_400_000_000n, 0)).toBe('2'); // exactly 1.5
    expect(formatPh(9_000_000_000n, 0)).toBe('3'); // exactly 2.5 (half-up, not half-even)
    expect(formatPh(1800n)).toBe('0.000001'); // exactly 5e-7
    expect(formatPh(1799n)).toBe('0.000000');
  });

  it('formats negatives symmetrically, without a negative zero', () => {
    expect(formatPh(-1_800_000_000n, 0)).toBe('-1');
    expect(formatPh(-7_124_400_000n, 2)).toBe('-1.98');
    expect(formatPh(-1n)).toBe('0.000000');
  });

  it('rejects a bad number of decimals', () => {
    for (const bad of [-1, 1.5, MAX_PH_DECIMALS + 1, Number.NaN]) {
      expect(() => formatPh(1n, bad)).toThrowError(RangeError);
    }
    expect(formatPh(1n, MAX_PH_DECIMALS)).toMatch(/^0\.\d{30}$/);
  });

  it('is the exact value rounded half-up to `decimals` places (property)', () => {
    fc.assert(
      fc.property(gflopArb, decimalsArb, (gflop, decimals) => {
        const text = formatPh(gflop, decimals);
        const { numerator, scale } = parseDecimal(text);
        expect(scale).toBe(decimals);
        // numerator / 10^d is within half a unit of gflop / 3.6e9, ties rounded up:
        //   -1/2 < numerator - gflop·10^d / 3.6e9 <= 1/2
        const diff = numerator * GFLOP_PER_P_HOUR - gflop * 10n ** BigInt(decimals);
        const half = GFLOP_PER_P_HOUR / 2n;
        expect(diff > -half && diff <= half).toBe(true);
      }),
    );
  });

  it('is exact for whole P·h and symmetric in sign (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), decimalsArb, (k, decimals) => {
        const zeros = decimals === 0 ? '' : `.${'0'.repeat(decimals)}`;
        expect(formatPh(k * GFLOP_PER_P_HOUR, decimals)).toBe(`${k}${zeros}`);
      }),
    );
    fc.assert(
      fc.property(gflopArb, decimalsArb, (gflop, decimals) => {
        const positive = formatPh(gflop, decimals);
        const negative = formatPh(-gflop, decimals);
        expect(negative).toBe(/^[0.]+$/.test(positive) ? positive : `-${positive}`);
      }),
    );
  });

  it('is monotonic (property)', () => {
    fc.assert(
      fc.property(gflopArb, gflopArb, decimalsArb, (a, b, decimals) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(parseDecimal(formatPh(lo, decimals)).numerator).toBeLessThanOrEqual(
          parseDecimal(formatPh(hi, decimals)).numerator,
        );
      }),
    );
  });
});
