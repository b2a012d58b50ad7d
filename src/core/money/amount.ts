/**
 * Money amounts. The unit is the fen (分, ¥0.01), held as a bigint: sums of millions of usage records stay exact, and
 * no amount ever passes through a float. Every division names its rounding mode, because the policy texts leave the
 * rule to each price book and programme and a silent default would hide a decision about who keeps the odd fen.
 */

/** An amount of money in fen (¥0.01). May be negative (a credit, a refund, a reversal). */
export type Fen = bigint;

export const ROUNDING_MODES = ['half-up', 'half-even', 'down', 'up'] as const;
/**
 * How an exact quotient becomes whole fen. Symmetric about zero, so rounding −x gives −(rounding x) and a reversal
 * is the exact negation of what it reverses:
 * - `down`: towards zero (truncate);
 * - `up`: away from zero;
 * - `half-up`: to the nearest, a tie away from zero (the commercial rule, 四舍五入);
 * - `half-even`: to the nearest, a tie to the even neighbour (banker's rounding; no drift over many ties).
 */
export type RoundingMode = (typeof ROUNDING_MODES)[number];

export function isRoundingMode(value: unknown): value is RoundingMode {
  return typeof value === 'string' && (ROUNDING_MODES as readonly string[]).includes(value);
}

const abs = (x: bigint): bigint => (x < 0n ? -x : x);

/**
 * numerator / denominator rounded to an integer by `mode`, exactly. The denominator may be negative; zero throws.
 * Examples: divRound(1n, 2n, 'half-up') = 1n, divRound(1n, 2n, 'half-even') = 0n, divRound(-5n, 2n, 'half-up') = -3n,
 * divRound(-7n, 2n, 'down') = -3n.
 */
export function divRound(numerator: bigint, denominator: bigint, mode: RoundingMode): bigint {
  if (denominator === 0n) throw new RangeError('division by zero');
  // Work on magnitudes and put the sign back at the end: bigint `/` already truncates towards zero, and every mode
  // here is symmetric about zero, so this is both simple and correct for negative operands.
  const negative = numerator < 0n !== denominator < 0n;
  const n = abs(numerator);
  const d = abs(denominator);
  const quotient = n / d;
  const remainder = n % d;
  let magnitude = quotient;
  if (remainder !== 0n) {
    const twice = 2n * remainder;
    switch (mode) {
      case 'down':
        break;
      case 'up':
        magnitude += 1n;
        break;
      case 'half-up':
        if (twice >= d) magnitude += 1n;
        break;
      case 'half-even':
        if (twice > d || (twice === d && quotient % 2n === 1n)) magnitude += 1n;
        break;
      default: {
        const unknown: never = mode;
        throw new RangeError(`unknown rounding mode ${String(unknown)}`);
      }
    }
  }
  return negative ? -magnitude : magnitude;
}

/** Basis points in one whole (10000 bp = 100%). */
export const BASIS_POINTS = 10_000n;

/** amount × basisPoints / 10000, rounded once by `mode`. E.g. 20% (2000 bp) of 100000001 fen half-up = 20000000n. */
export function mulBasisPoints(amount: Fen, basisPoints: bigint, mode: RoundingMode): Fen {
  return divRound(amount * basisPoints, BASIS_POINTS, mode);
}

/**
 * Splits `total` into parts proportional to non-negative `weights`, by largest remainder (Hamilton's method): each
 * part gets the floor of its exact share, and the fen left over go one each to the parts with the largest remainders,
 * earlier parts first on a tie. The parts always add up to `total` exactly — no fen lost or created — and the result
 * depends only on the inputs. `total` must be non-negative; all-zero weights are allowed only for a zero total.
 */
export function apportion(total: bigint, weights: readonly bigint[]): bigint[] {
  if (total < 0n) throw new RangeError(`cannot apportion a negative total, got ${total}`);
  if (weights.some((w) => w < 0n)) throw new RangeError('weights must not be negative');
  const sum = weights.reduce((a, b) => a + b, 0n);
  if (sum === 0n) {
    if (total === 0n) return weights.map(() => 0n);
    throw new RangeError(`cannot apportion ${total} over weights that sum to zero`);
  }
  const parts = weights.map((w) => (total * w) / sum);
  let left = total - parts.reduce((a, b) => a + b, 0n);
  // left < number of parts with a remainder, since each floor loses less than 1.
  const order = weights
    .map((w, index) => ({ index, remainder: (total * w) % sum }))
    .sort((a, b) => (a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1));
  for (const { index } of order) {
    if (left === 0n) break;
    parts[index] = (parts[index] ?? 0n) + 1n;
    left -= 1n;
  }
  return parts;
}

// "¥1,000,000.00", "1000000", "-¥0.5", "¥-12.30": an optional sign (before or after ¥), digits either plainly or in
// correct groups of three, and at most two decimals. Anything finer than a fen is refused, not rounded: a parser that
// rounds would change amounts without anyone choosing a rule.
const YUAN = /^(-)?(¥)?(-)?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$/;

/** Parses a yuan string into fen exactly. Throws RangeError for anything that is not a whole number of fen. */
export function parseYuan(text: string): Fen {
  const match = YUAN.exec(text.trim());
  if (match === null || (match[1] !== undefined && match[3] !== undefined)) {
    throw new RangeError(`not a yuan amount with at most 2 decimals: ${JSON.stringify(text)}`);
  }
  const whole = BigInt((match[4] ?? '0').replaceAll(',', ''));
  const fraction = BigInt((match[5] ?? '').padEnd(2, '0'));
  const magnitude = whole * 100n + fraction;
  return match[1] !== undefined || match[3] !== undefined ? -magnitude : magnitude;
}

export interface FormatYuanOptions {
  /** Prefix "¥" (default true). */
  symbol?: boolean;
  /** Group thousands with "," (default true). */
  grouping?: boolean;
}

/** Formats fen as yuan with exactly two decimals: 100000000n → "¥1,000,000.00", -5n → "-¥0.05". */
export function formatYuan(fen: Fen, options: FormatYuanOptions = {}): string {
  const negative = fen < 0n;
  const magnitude = abs(fen);
  let whole = (magnitude / 100n).toString();
  if (options.grouping ?? true) whole = whole.replace(/\B(?=(\d{3})+$)/g, ',');
  const cents = (magnitude % 100n).toString().padStart(2, '0');
  return `${negative ? '-' : ''}${(options.symbol ?? true) ? '¥' : ''}${whole}.${cents}`;
}
