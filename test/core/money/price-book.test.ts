import { describe, expect, it } from 'vitest';
import {
  NoPriceError,
  PriceBookError,
  priceAt,
  priceSegments,
  validatePriceBook,
} from '../../../src/core/money/price-book.ts';
import type { PriceBook, PriceVersion } from '../../../src/core/money/price-book.ts';

const d = (iso: string): Date => new Date(iso);
const v = (
  version: string,
  fen: bigint,
  from: string,
  to: string | null,
  pool = 'p1',
  model = 'H100-SXM',
): PriceVersion => ({
  version,
  poolId: pool,
  acceleratorModel: model,
  fenPerAcceleratorHour: fen,
  validFrom: d(from),
  validTo: to === null ? null : d(to),
});

const book: PriceBook = {
  id: 'hefei-centre',
  rounding: 'half-up',
  prices: [
    v('2026-01', 1800n, '2026-01-01T00:00:00Z', '2026-07-01T00:00:00Z'),
    // Overlaps the first from March: the later start wins, without the provider closing 2026-01.
    v('2026-03', 1500n, '2026-03-01T00:00:00Z', null),
    v('a800', 900n, '2026-01-01T00:00:00Z', null, 'p1', 'A800-80GB'),
  ],
};

describe('priceAt', () => {
  it('picks the version in force, start inclusive, end exclusive', () => {
    expect(priceAt(book, 'p1', 'H100-SXM', d('2026-01-01T00:00:00Z')).version).toBe('2026-01');
    expect(priceAt(book, 'p1', 'H100-SXM', d('2026-02-28T23:59:59Z')).version).toBe('2026-01');
    expect(priceAt(book, 'p1', 'H100-SXM', d('2026-03-01T00:00:00Z')).version).toBe('2026-03');
    expect(priceAt(book, 'p1', 'A800-80GB', d('2026-03-01T00:00:00Z')).version).toBe('a800');
  });

  it('throws NoPriceError before any price, or for an unknown pool or model', () => {
    expect(() => priceAt(book, 'p1', 'H100-SXM', d('2025-12-31T23:59:59Z'))).toThrow(NoPriceError);
    expect(() => priceAt(book, 'p2', 'H100-SXM', d('2026-02-01T00:00:00Z'))).toThrow(NoPriceError);
    expect(() => priceAt(book, 'p1', 'H20', d('2026-02-01T00:00:00Z'))).toThrow(/no price for pool p1, model H20/);
  });

  it('refuses two versions starting at the same instant', () => {
    const bad: PriceBook = { ...book, prices: [...book.prices, v('dup', 1n, '2026-03-01T00:00:00Z', null)] };
    expect(() => validatePriceBook(bad)).toThrow(PriceBookError);
    expect(() => priceAt(bad, 'p1', 'H100-SXM', d('2026-04-01T00:00:00Z'))).toThrow(PriceBookError);
  });

  it('validates prices and windows', () => {
    expect(() => validatePriceBook(book)).not.toThrow();
    expect(() => validatePriceBook({ ...book, prices: [v('neg', -1n, '2026-01-01T00:00:00Z', null)] })).toThrow(
      /non-negative/,
    );
    expect(() =>
      validatePriceBook({ ...book, prices: [v('inv', 1n, '2026-01-02T00:00:00Z', '2026-01-01T00:00:00Z')] }),
    ).toThrow(/after validFrom/);
    expect(() => validatePriceBook({ ...book, rounding: 'nearest' as never })).toThrow(/rounding/);
  });
});

describe('priceSegments', () => {
  it('cuts at a change and merges cuts where the winner does not change', () => {
    const segments = priceSegments(book, 'p1', 'H100-SXM', d('2026-02-28T23:00:00Z'), d('2026-07-02T00:00:00Z'));
    // 2026-01's end on 07-01 is a cut, but 2026-03 wins on both sides of it, so it merges away.
    expect(segments.map((s) => [s.price.version, s.from.toISOString(), s.to.toISOString()])).toEqual([
      ['2026-01', '2026-02-28T23:00:00.000Z', '2026-03-01T00:00:00.000Z'],
      ['2026-03', '2026-03-01T00:00:00.000Z', '2026-07-02T00:00:00.000Z'],
    ]);
  });

  it('throws NoPriceError when a gap falls inside the interval', () => {
    const gappy: PriceBook = {
      id: 'gappy',
      rounding: 'down',
      prices: [v('a', 1n, '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z'), v('b', 2n, '2026-01-03T00:00:00Z', null)],
    };
    expect(() => priceSegments(gappy, 'p1', 'H100-SXM', d('2026-01-01T12:00:00Z'), d('2026-01-03T12:00:00Z'))).toThrow(
      NoPriceError,
    );
  });
});
