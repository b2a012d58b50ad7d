/**
 * Rating: a usage record × the price book → a charge in whole fen.
 *
 *   charge = acceleratorSeconds × fenPerAcceleratorHour / 3600, rounded ONCE by the book's rounding mode.
 *
 * A run that spans a price change is split at the change instant, its accelerator-seconds shared out in proportion to
 * the wall-clock time on each side. The exact (rational) amounts of all parts are added first and the sum rounded
 * once, so a split run never pays more or less rounding than an unsplit one; the rounded total is then shared out over
 * the parts by largest remainder for display. Parts therefore always add up to the charge, and their
 * accelerator-seconds to the record's — no fen or second is lost or counted twice (tests check both).
 */
import type { Fen, RoundingMode } from './amount.ts';
import { apportion, divRound } from './amount.ts';
import type { PriceBook } from './price-book.ts';
import { priceSegments } from './price-book.ts';

const SECONDS_PER_HOUR = 3600n;

/** The fields of a usage record (domain.ts UsageRecord) that rating reads. */
export interface RatableUsage {
  id?: string;
  poolId: string;
  acceleratorModel: string;
  startedAt: Date;
  endedAt: Date;
  /** Whole accelerator-seconds as metered (decision 0004). */
  acceleratorSeconds: number | bigint;
}

/** The share of a charge under one price version. */
export interface ChargePart {
  priceVersion: string;
  unitPriceFen: Fen;
  from: Date;
  to: Date;
  /** Whole accelerator-seconds attributed to this part (largest remainder of the proportional share). */
  acceleratorSeconds: bigint;
  /** This part's share of the charge (largest remainder of its exact share of the rounded total). */
  fen: Fen;
}

export interface Charge {
  usageRecordId: string | null;
  priceBookId: string;
  /** The charge, rounded once. */
  fen: Fen;
  /** Fen per accelerator-hour, or null when the run spans several prices (read `parts`). */
  unitPriceFen: Fen | null;
  acceleratorSeconds: bigint;
  rounding: RoundingMode;
  /** The price version, or the versions joined by "+" in time order when the run spans several. */
  priceVersion: string;
  /** At least one part, in time order. */
  parts: ChargePart[];
}

function wholeSeconds(value: number | bigint): bigint {
  if (typeof value === 'bigint') {
    if (value < 0n) throw new RangeError(`acceleratorSeconds must not be negative, got ${value}`);
    return value;
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`acceleratorSeconds must be a non-negative safe integer, got ${value}`);
  }
  return BigInt(value);
}

/**
 * Rates one usage record. Deterministic: the same record and book always give the same charge. Throws NoPriceError if
 * any part of [startedAt, endedAt) has no price, RangeError for a negative duration or accelerator-seconds.
 */
export function rate(usage: RatableUsage, book: PriceBook): Charge {
  const seconds = wholeSeconds(usage.acceleratorSeconds);
  const segments = priceSegments(book, usage.poolId, usage.acceleratorModel, usage.startedAt, usage.endedAt);
  const only = segments.length === 1 ? segments[0] : undefined;
  if (only !== undefined) {
    // One price for the whole run (most runs): the general formula below with one weight, which cancels exactly, so
    // the rounded fen is the same; this only skips building the weights and apportioning over one part.
    const fen = divRound(seconds * only.price.fenPerAcceleratorHour, SECONDS_PER_HOUR, book.rounding);
    const part: ChargePart = {
      priceVersion: only.price.version,
      unitPriceFen: only.price.fenPerAcceleratorHour,
      from: only.from,
      to: only.to,
      acceleratorSeconds: seconds,
      fen,
    };
    return {
      usageRecordId: usage.id ?? null,
      priceBookId: book.id,
      fen,
      unitPriceFen: part.unitPriceFen,
      acceleratorSeconds: seconds,
      rounding: book.rounding,
      priceVersion: part.priceVersion,
      parts: [part],
    };
  }
  // Wall-clock milliseconds of each segment; a zero-length run is one segment carrying all the seconds.
  const durations = segments.map((s) => BigInt(s.to.getTime() - s.from.getTime()));
  const total = durations.reduce((a, b) => a + b, 0n);
  const weights = total === 0n ? [1n] : durations;
  const weightSum = total === 0n ? 1n : total;
  // Exact charge = Σ seconds × (w_i / W) × price_i / 3600 = seconds × Σ(w_i × price_i) / (3600 × W).
  const priced = segments.map((s, i) => (weights[i] ?? 0n) * s.price.fenPerAcceleratorHour);
  const numerator = seconds * priced.reduce((a, b) => a + b, 0n);
  const fen = divRound(numerator, SECONDS_PER_HOUR * weightSum, book.rounding);
  // Share the rounded total by exact share (if every exact share is zero, so is the total, and every part gets 0).
  const partSeconds = apportion(seconds, weights);
  const partFen = apportion(fen, priced);
  const parts: ChargePart[] = segments.map((s, i) => ({
    priceVersion: s.price.version,
    unitPriceFen: s.price.fenPerAcceleratorHour,
    from: s.from,
    to: s.to,
    acceleratorSeconds: partSeconds[i] ?? 0n,
    fen: partFen[i] ?? 0n,
  }));
  return {
    usageRecordId: usage.id ?? null,
    priceBookId: book.id,
    fen,
    unitPriceFen: null,
    acceleratorSeconds: seconds,
    rounding: book.rounding,
    priceVersion: parts.map((p) => p.priceVersion).join('+'),
    parts,
  };
}
