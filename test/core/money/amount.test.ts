import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ROUNDING_MODES,
  apportion,
  divRound,
  formatYuan,
  mulBasisPoints,
  parseYuan,
} from '../../../src/core/money/amount.ts';
import type { RoundingMode } from '../../../src/core/money/amount.ts';

describe('divRound', () => {
  // Hand-worked: each row is numerator/denominator and the result per mode [half-up, half-even, down, up].
  const table: Array<[bigint, bigint, [bigint, bigint, bigint, bigint]]> = [
    [1n, 2n, [1n, 0n, 0n, 1n]], // 0.5
    [3n, 2n, [2n, 2n, 1n, 2n]], // 1.5: half-even goes to 2 (even)
    [5n, 2n, [3n, 2n, 2n, 3n]], // 2.5: half-even stays at 2
    [7n, 3n, [2n, 2n, 2n, 3n]], // 2.333…
    [8n, 3n, [3n, 3n, 2n, 3n]], // 2.666…
    [6n, 3n, [2n, 2n, 2n, 2n]], // exact
    [-1n, 2n, [-1n, 0n, 0n, -1n]], // -0.5: symmetric about zero
    [-5n, 2n, [-3n, -2n, -2n, -3n]], // -2.5
    [-7n, 3n, [-2n, -2n, -2n, -3n]], // -2.333…
    [7n, -3n, [-2n, -2n, -2n, -3n]], // negative denominator
    [-8n, -3n, [3n, 3n, 2n, 3n]], // both negative = 2.666…
    [0n, 5n, [0n, 0n, 0n, 0n]],
  ];
  const modes: RoundingMode[] = ['half-up', 'half-even', 'down', 'up'];
  for (const [n, d, expected] of table) {
    it(`${n}/${d}`, () => {
      expect(modes.map((m) => divRound(n, d, m))).toEqual(expected);
    });
  }

  it('refuses division by zero', () => {
    expect(() => divRound(1n, 0n, 'down')).toThrow(RangeError);
  });

  it('is within one of the exact quotient, on the right side, and symmetric about zero', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
        fc.bigInt({ min: 1n, max: 10n ** 15n }),
        fc.constantFrom(...ROUNDING_MODES),
        (n, d, mode) => {
          const q = divRound(n, d, mode);
          // |q·d − n| < d: the result is one of the two integers around n/d.
          const error = q * d - n;
          expect(error < d && error > -d).toBe(true);
          expect(divRound(-n, d, mode)).toBe(-q);
          expect(divRound(n, -d, mode)).toBe(-q);
          const abs = (x: bigint): bigint => (x < 0n ? -x : x);
          // Towards zero never grows the magnitude; away from zero never shrinks it.
          if (mode === 'down') expect(abs(q) * d <= abs(n)).toBe(true);
          if (mode === 'up') expect(abs(q) * d >= abs(n)).toBe(true);
          if (mode === 'half-up' || mode === 'half-even') {
            // Nearest: 2|q·d − n| ≤ d.
            expect(2n * abs(error) <= d).toBe(true);
          }
        },
      ),
    );
  });
});

describe('mulBasisPoints', () => {
  it('takes 20% of ¥1,000,000.00 as ¥200,000.00', () => {
    expect(mulBasisPoints(100_000_000n, 2000n, 'down')).toBe(20_000_000n);
  });
  it('rounds once: 20% of 3 fen = 0.6 fen', () => {
    expect(mulBasisPoints(3n, 2000n, 'half-up')).toBe(1n);
    expect(mulBasisPoints(3n, 2000n, 'down')).toBe(0n);
  });
});

describe('apportion', () => {
  it('shares 10 fen 1:1:1 as 4, 3, 3 (the earlier part wins the tie)', () => {
    expect(apportion(10n, [1n, 1n, 1n])).toEqual([4n, 3n, 3n]);
  });
  it('conserves the total and stays within one of each exact share', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc
          .array(fc.bigInt({ min: 0n, max: 10n ** 9n }), { minLength: 1, maxLength: 8 })
          .filter((w) => w.some((x) => x > 0n)),
        (total, weights) => {
          const parts = apportion(total, weights);
          const sum = weights.reduce((a, b) => a + b, 0n);
          expect(parts.reduce((a, b) => a + b, 0n)).toBe(total);
          parts.forEach((p, i) => {
            const exact = total * weights[i]!; // compare p with exact/sum
            expect(p * sum >= exact - sum && p * sum <= exact + sum).toBe(true);
            expect(p >= 0n).toBe(true);
          });
        },
      ),
    );
  });
  it('refuses a non-zero total over zero weights', () => {
    expect(apportion(0n, [0n, 0n])).toEqual([0n, 0n]);
    expect(() => apportion(1n, [0n])).toThrow(RangeError);
  });
});

describe('yuan strings', () => {
  it.each([
    ['¥1,000,000.00', 100_000_000n],
    ['1000000', 100_000_000n],
    ['¥0.5', 50n],
    ['¥18.00', 1800n],
    ['-¥0.05', -5n],
    ['¥-12.30', -1230n],
    ['0', 0n],
  ])('parses %s', (text, fen) => {
    expect(parseYuan(text)).toBe(fen);
  });

  it.each(['¥1.005', '1,00.00', '¥', '', '1.', '--1', '-¥-1', '1e3', '¥ 1', '0.1.2', '12,3456'])(
    'refuses %j',
    (text) => {
      expect(() => parseYuan(text)).toThrow(RangeError);
    },
  );

  it('formats', () => {
    expect(formatYuan(100_000_000n)).toBe('¥1,000,000.00');
    expect(formatYuan(5400n)).toBe('¥54.00');
    expect(formatYuan(-5n)).toBe('-¥0.05');
    expect(formatYuan(0n)).toBe('¥0.00');
    expect(formatYuan(123_456_789n, { symbol: false, grouping: false })).toBe('1234567.89');
  });

  it('round-trips every amount, with and without symbol and grouping', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }),
        fc.boolean(),
        fc.boolean(),
        (fen, symbol, grouping) => {
          expect(parseYuan(formatYuan(fen, { symbol, grouping }))).toBe(fen);
        },
      ),
    );
  });
});
