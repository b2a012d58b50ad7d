/**
 * Versioned price books. A provider prices each pool and accelerator model in fen per accelerator-hour; a price
 * holds in [validFrom, validTo) so that usage metered before a price change is rated at the old price, however late
 * it is rated. Pure: the instant to price at is always an argument.
 */
import type { Fen, RoundingMode } from './amount.ts';
import { isRoundingMode } from './amount.ts';

/** One price of one pool and accelerator model, valid in [validFrom, validTo); validTo null = open-ended. */
export interface PriceVersion {
  /** Names this price in charges and statements, e.g. "2026-01". */
  version: string;
  poolId: string;
  acceleratorModel: string;
  fenPerAcceleratorHour: Fen;
  validFrom: Date;
  validTo: Date | null;
}

/** A provider's price list, with the one rounding rule that turns its exact charges into whole fen. */
export interface PriceBook {
  id: string;
  rounding: RoundingMode;
  prices: readonly PriceVersion[];
}

/** No price applies: nothing may be charged until the provider publishes one (never a guessed or zero price). */
export class NoPriceError extends Error {
  override readonly name = 'NoPriceError';
  constructor(
    readonly bookId: string,
    readonly poolId: string,
    readonly acceleratorModel: string,
    readonly at: Date,
  ) {
    super(`price book ${bookId} has no price for pool ${poolId}, model ${acceleratorModel} at ${at.toISOString()}`);
  }
}

/** A price book that cannot be used as it is (checked by validatePriceBook, and by priceAt where it matters). */
export class PriceBookError extends Error {
  override readonly name = 'PriceBookError';
  constructor(
    readonly bookId: string,
    readonly problem: string,
  ) {
    super(`price book ${bookId}: ${problem}`);
  }
}

const time = (d: Date): number => d.getTime();

/**
 * Throws PriceBookError for: an unknown rounding mode, a negative or non-bigint price, an invalid date, an empty or
 * inverted validity window, or two versions of one pool and model starting at the same instant (overlaps are allowed
 * and resolved by "latest start wins"; an equal start has no winner).
 */
export function validatePriceBook(book: PriceBook): void {
  if (!isRoundingMode(book.rounding))
    throw new PriceBookError(book.id, `unknown rounding mode ${String(book.rounding)}`);
  const starts = new Set<string>();
  for (const p of book.prices) {
    const what = `version ${p.version} (pool ${p.poolId}, model ${p.acceleratorModel})`;
    if (typeof p.fenPerAcceleratorHour !== 'bigint' || p.fenPerAcceleratorHour < 0n) {
      throw new PriceBookError(book.id, `${what}: price must be a non-negative bigint of fen`);
    }
    if (Number.isNaN(time(p.validFrom)) || (p.validTo !== null && Number.isNaN(time(p.validTo)))) {
      throw new PriceBookError(book.id, `${what}: invalid date`);
    }
    if (p.validTo !== null && time(p.validTo) <= time(p.validFrom)) {
      throw new PriceBookError(book.id, `${what}: validTo must be after validFrom`);
    }
    const key = JSON.stringify([p.poolId, p.acceleratorModel, time(p.validFrom)]);
    if (starts.has(key)) throw new PriceBookError(book.id, `${what}: another version starts at the same instant`);
    starts.add(key);
  }
}

const covers = (p: PriceVersion, at: number): boolean =>
  time(p.validFrom) <= at && (p.validTo === null || at < time(p.validTo));

/**
 * The price in force for `poolId` and `model` at `at`. Where versions overlap the one that starts latest wins: a
 * provider publishes a new price without having to close the old one. Throws NoPriceError when none applies.
 */
export function priceAt(book: PriceBook, poolId: string, model: string, at: Date): PriceVersion {
  const t = time(at);
  let best: PriceVersion | undefined;
  for (const p of book.prices) {
    if (p.poolId !== poolId || p.acceleratorModel !== model || !covers(p, t)) continue;
    if (best !== undefined && time(p.validFrom) === time(best.validFrom)) {
      throw new PriceBookError(book.id, `versions ${best.version} and ${p.version} start at the same instant`);
    }
    if (best === undefined || time(p.validFrom) > time(best.validFrom)) best = p;
  }
  if (best === undefined) throw new NoPriceError(book.id, poolId, model, at);
  return best;
}

/** A stretch of time [from, to) over which one price version is in force. */
export interface PriceSegment {
  price: PriceVersion;
  from: Date;
  to: Date;
}

/**
 * The prices in force over [from, to), in time order, one segment per change of version. The effective price can only
 * change where some version starts or ends, so those instants cut the interval and each piece is priced at its start.
 * Throws NoPriceError if any part of the interval has no price. An empty interval (from = to) gives one zero-length
 * segment priced at `from`.
 */
export function priceSegments(book: PriceBook, poolId: string, model: string, from: Date, to: Date): PriceSegment[] {
  const start = time(from);
  const end = time(to);
  if (!(end >= start))
    throw new RangeError(`interval ends before it starts: ${from.toISOString()}..${to.toISOString()}`);
  if (end === start) return [{ price: priceAt(book, poolId, model, from), from, to }];
  // Most runs lie within one price version: no version of the pool starts or ends strictly inside them, so they are
  // one segment (what the general case below gives too, without building and sorting the cuts).
  let inside = false;
  for (const p of book.prices) {
    if (p.poolId !== poolId || p.acceleratorModel !== model) continue;
    const a = time(p.validFrom);
    const b = p.validTo === null ? start : time(p.validTo);
    if ((a > start && a < end) || (b > start && b < end)) {
      inside = true;
      break;
    }
  }
  if (!inside) return [{ price: priceAt(book, poolId, model, from), from, to }];
  const cuts = new Map<number, Date>([
    [start, from],
    [end, to],
  ]);
  for (const p of book.prices) {
    if (p.poolId !== poolId || p.acceleratorModel !== model) continue;
    for (const edge of [p.validFrom, p.validTo]) {
      if (edge !== null && time(edge) > start && time(edge) < end) cuts.set(time(edge), edge);
    }
  }
  const instants = [...cuts.entries()].sort((a, b) => a[0] - b[0]).map(([, d]) => d);
  const segments: PriceSegment[] = [];
  for (let i = 0; i + 1 < instants.length; i++) {
    const a = instants[i]!;
    const b = instants[i + 1]!;
    const price = priceAt(book, poolId, model, a);
    const last = segments[segments.length - 1];
    // A cut where the winning version does not change (e.g. a shadowed version ends) is merged away.
    if (last !== undefined && last.price === price) last.to = b;
    else segments.push({ price, from: a, to: b });
  }
  return segments;
}
