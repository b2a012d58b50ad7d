import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ROUNDING_MODES, divRound } from '../../../src/core/money/amount.ts';
import type { RoundingMode } from '../../../src/core/money/amount.ts';
import type { PriceBook, PriceVersion } from '../../../src/core/money/price-book.ts';
import { NoPriceError } from '../../../src/core/money/price-book.ts';
import { rate } from '../../../src/core/money/rating.ts';
import type { RatableUsage } from '../../../src/core/money/rating.ts';

const T0 = Date.UTC(2026, 0, 1); // 2026-01-01T00:00:00Z
const at = (seconds: number): Date => new Date(T0 + seconds * 1000);
const version = (name: string, fen: bigint, fromS: number, toS: number | null): PriceVersion => ({
  version: name,
  poolId: 'p1',
  acceleratorModel: 'H100-SXM',
  fenPerAcceleratorHour: fen,
  validFrom: at(fromS),
  validTo: toS === null ? null : at(toS),
});
const book = (rounding: RoundingMode, prices: PriceVersion[]): PriceBook => ({ id: 'b', rounding, prices });
const usage = (fromS: number, toS: number, acceleratorSeconds: number, id = 'u1'): RatableUsage => ({
  id,
  poolId: 'p1',
  acceleratorModel: 'H100-SXM',
  startedAt: at(fromS),
  endedAt: at(toS),
  acceleratorSeconds,
});

describe('rate: hand-worked', () => {
  it('2 H100s for 1 h 30 min at ¥18.00/h = ¥54.00', () => {
    // 2 × 5400 s = 10800 accelerator-seconds; 10800 × 1800 fen / 3600 = 5400 fen = ¥54.00.
    const charge = rate(usage(0, 5400, 10_800), book('half-up', [version('v1', 1800n, 0, null)]));
    expect(charge).toMatchObject({
      usageRecordId: 'u1',
      fen: 5400n,
      unitPriceFen: 1800n,
      acceleratorSeconds: 10_800n,
      rounding: 'half-up',
      priceVersion: 'v1',
    });
    expect(charge.parts).toHaveLength(1);
  });

  it('1 accelerator for 1 s at 1,800 fen/h = 0.5 fen: half-up 1, half-even 0, down 0, up 1', () => {
    const results = ROUNDING_MODES.map((m) => rate(usage(0, 1, 1), book(m, [version('v1', 1800n, 0, null)])).fen);
    expect(Object.fromEntries(ROUNDING_MODES.map((m, i) => [m, results[i]]))).toEqual({
      'half-up': 1n,
      'half-even': 0n,
      down: 0n,
      up: 1n,
    });
  });

  it('splits a run at a price change: 1 h at ¥18.00 + 1 h at ¥15.00 = ¥33.00', () => {
    // One accelerator from 00:00 to 02:00; the price drops at 01:00. 3600 s × 1800/3600 + 3600 s × 1500/3600.
    const charge = rate(
      usage(0, 7200, 7200),
      book('half-up', [version('v1', 1800n, 0, null), version('v2', 1500n, 3600, null)]),
    );
    expect(charge.fen).toBe(3300n);
    expect(charge.unitPriceFen).toBeNull();
    expect(charge.priceVersion).toBe('v1+v2');
    expect(charge.parts.map((p) => [p.priceVersion, p.acceleratorSeconds, p.fen])).toEqual([
      ['v1', 3600n, 1800n],
      ['v2', 3600n, 1500n],
    ]);
  });

  it('rounds the sum of the parts once, not each part', () => {
    // 2 s of one accelerator, 1 s under each of two versions at 1800 fen/h: 0.5 + 0.5 = exactly 1 fen.
    // Rounding each half-even would give 0 + 0 = 0 and lose a fen; rounding once gives 1, all of it on the first part.
    const charge = rate(
      usage(0, 2, 2),
      book('half-even', [version('v1', 1800n, 0, null), version('v2', 1800n, 1, null)]),
    );
    expect(charge.fen).toBe(1n);
    expect(charge.parts.map((p) => p.fen)).toEqual([1n, 0n]);
  });

  it('shares accelerator-seconds in proportion to wall time: 4 accelerators, 10 s, change after 3 s', () => {
    const charge = rate(usage(0, 10, 40), book('down', [version('v1', 3600n, 0, null), version('v2', 7200n, 3, null)]));
    // 12 s at 1 fen/s + 28 s at 2 fen/s = 68 fen.
    expect(charge.parts.map((p) => p.acceleratorSeconds)).toEqual([12n, 28n]);
    expect(charge.fen).toBe(68n);
  });

  it('charges a zero-length run at its start price, and refuses what it cannot price', () => {
    const b = book('half-up', [version('v1', 1800n, 0, null)]);
    expect(rate(usage(10, 10, 0), b).fen).toBe(0n);
    expect(() => rate(usage(-10, 10, 20), b)).toThrow(NoPriceError);
    expect(() => rate(usage(10, 5, 5), b)).toThrow(RangeError);
    expect(() => rate(usage(0, 10, -1), b)).toThrow(RangeError);
    expect(() => rate(usage(0, 10, 1.5), b)).toThrow(RangeError);
  });
});

/** A book whose first version is open-ended from T0 (so every run after T0 is priced) plus overlapping later ones. */
const arbBook = fc
  .record({
    rounding: fc.constantFrom(...ROUNDING_MODES),
    base: fc.bigInt({ min: 0n, max: 100_000n }),
    extra: fc.uniqueArray(
      fc.record({
        fromS: fc.integer({ min: 1, max: 20_000 }),
        lengthS: fc.option(fc.integer({ min: 1, max: 20_000 }), { nil: null }),
        fen: fc.bigInt({ min: 0n, max: 100_000n }),
      }),
      { maxLength: 5, selector: (v) => v.fromS },
    ),
  })
  .map(({ rounding, base, extra }) =>
    book(rounding, [
      version('v0', base, 0, null),
      ...extra.map((e, i) => version(`v${i + 1}`, e.fen, e.fromS, e.lengthS === null ? null : e.fromS + e.lengthS)),
    ]),
  );

const arbUsage = fc
  .record({
    fromS: fc.integer({ min: 0, max: 30_000 }),
    lengthS: fc.integer({ min: 0, max: 30_000 }),
    accelerators: fc.integer({ min: 0, max: 64 }),
    slackS: fc.integer({ min: 0, max: 100 }),
    id: fc.uuid(),
  })
  .map(({ fromS, lengthS, accelerators, slackS, id }) =>
    // Metered accelerator-seconds need not be exactly accelerators × wall seconds (engines count their own way).
    usage(fromS, fromS + lengthS, Math.max(0, accelerators * lengthS - slackS), id),
  );

describe('rate: properties', () => {
  it('conserves fen and seconds across a split, and parts tile the run', () => {
    fc.assert(
      fc.property(arbBook, arbUsage, (b, u) => {
        const charge = rate(u, b);
        expect(charge.parts.reduce((a, p) => a + p.fen, 0n)).toBe(charge.fen);
        expect(charge.parts.reduce((a, p) => a + p.acceleratorSeconds, 0n)).toBe(BigInt(u.acceleratorSeconds));
        expect(charge.parts[0]!.from.getTime()).toBe(u.startedAt.getTime());
        expect(charge.parts[charge.parts.length - 1]!.to.getTime()).toBe(u.endedAt.getTime());
        charge.parts.forEach((p, i) => {
          if (i > 0) expect(p.from.getTime()).toBe(charge.parts[i - 1]!.to.getTime());
          expect(p.fen >= 0n && p.acceleratorSeconds >= 0n).toBe(true);
        });
      }),
    );
  });

  it('equals the exact sum over the parts rounded once (independent oracle)', () => {
    fc.assert(
      fc.property(arbBook, arbUsage, (b, u) => {
        const charge = rate(u, b);
        const wall = BigInt(u.endedAt.getTime() - u.startedAt.getTime());
        const seconds = BigInt(u.acceleratorSeconds);
        // Σ seconds × (ms_i / wall) × price_i / 3600, over the common denominator 3600 × wall.
        const numerator =
          wall === 0n
            ? seconds * charge.parts[0]!.unitPriceFen
            : charge.parts.reduce(
                (a, p) => a + seconds * BigInt(p.to.getTime() - p.from.getTime()) * p.unitPriceFen,
                0n,
              );
        expect(charge.fen).toBe(divRound(numerator, 3600n * (wall === 0n ? 1n : wall), b.rounding));
        // And it lies between the run priced wholly at the cheapest and at the dearest part.
        const prices = charge.parts.map((p) => p.unitPriceFen);
        const min = prices.reduce((a, x) => (x < a ? x : a));
        const max = prices.reduce((a, x) => (x > a ? x : a));
        expect(charge.fen >= divRound(seconds * min, 3600n, 'down')).toBe(true);
        expect(charge.fen <= divRound(seconds * max, 3600n, 'up')).toBe(true);
      }),
    );
  });

  it('is deterministic: replaying the same records, in any order, gives identical charges', () => {
    fc.assert(
      fc.property(arbBook, fc.array(arbUsage, { maxLength: 20 }), (b, records) => {
        const first = records.map((u) => rate(u, b));
        // Replay backwards, on copies of the records: no hidden state carries from one rating to the next.
        const replay = records
          .map((u, i) => ({
            i,
            u: { ...u, startedAt: new Date(u.startedAt.getTime()), endedAt: new Date(u.endedAt.getTime()) },
          }))
          .reverse()
          .map(({ i, u }) => ({ i, charge: rate(u, b) }));
        for (const { i, charge } of replay) expect(charge).toEqual(first[i]);
      }),
    );
  });

  it('an unsplit run is acceleratorSeconds × price / 3600 rounded by the book', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ROUNDING_MODES),
        fc.bigInt({ min: 0n, max: 10n ** 7n }),
        fc.integer({ min: 0, max: 10 ** 9 }),
        (mode, fen, seconds) => {
          const charge = rate(usage(0, 3600, seconds), book(mode, [version('v1', fen, 0, null)]));
          expect(charge.fen).toBe(divRound(BigInt(seconds) * fen, 3600n, mode));
          expect(charge.unitPriceFen).toBe(fen);
        },
      ),
    );
  });
});
