/**
 * Normalised compute arithmetic. The unit of capacity is P: 1 P = 1 PFLOPS of dense FP16/BF16 tensor throughput
 * (no sparsity) = 10^6 GFLOPS. Usage is counted in GFLOP, an exact bigint: accelerator-seconds × GFLOPS.
 * 1 P·h = 10^6 GFLOPS × 3600 s = 3.6 × 10^9 GFLOP.
 *
 * Stored quantities are integers (bigint); decimal strings are produced with bigint arithmetic only, so no result
 * here depends on floating-point rounding.
 */
import { requireAccelerator } from './accelerators.ts';

/** GFLOP in one P·h. */
export const GFLOP_PER_P_HOUR = 3_600_000_000n;
/** GFLOPS in one P. */
export const GFLOPS_PER_P = 1_000_000n;

const TFLOPS_LITERAL = /^(0|[1-9]\d*)(?:\.(\d{1,3}))?$/;

/**
 * TFLOPS (a number with at most 3 decimals, as the catalogue keeps it) to GFLOPS, exactly: the decimal literal is
 * read digit by digit, never multiplied as a float. Throws RangeError for a negative, non-finite or over-precise value.
 */
export function tflopsToGflops(tflops: number): bigint {
  const literal = String(tflops);
  const match = TFLOPS_LITERAL.exec(literal);
  if (match === null) {
    throw new RangeError(`TFLOPS must be a non-negative decimal with at most 3 decimals, got ${literal}`);
  }
  const whole = match[1] ?? '0';
  const fraction = (match[2] ?? '').padEnd(3, '0');
  return BigInt(whole) * 1000n + BigInt(fraction);
}

/** Dense FP16 GFLOPS of one accelerator, an exact integer (TFLOPS × 1000; the catalogue keeps at most 3 decimals). */
export function gflopsOf(model: string): bigint {
  return tflopsToGflops(requireAccelerator(model).denseFp16Tflops);
}

function toNonNegativeBigInt(value: number | bigint, what: string): bigint {
  if (typeof value === 'bigint') {
    if (value < 0n) throw new RangeError(`${what} must not be negative, got ${value}`);
    return value;
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be a non-negative safe integer, got ${value}`);
  }
  return BigInt(value);
}

/** GFLOP used = acceleratorSeconds × GFLOPS: exact bigint. acceleratorSeconds must be a non-negative integer. */
export function gflopFor(model: string, acceleratorSeconds: number | bigint): bigint {
  return toNonNegativeBigInt(acceleratorSeconds, 'acceleratorSeconds') * gflopsOf(model);
}

/**
 * An exact decimal string for numerator / 10^scale: no trailing zeros in the fraction, no decimal point for an
 * integer ("7.916", "2", "0.0312").
 */
function exactDecimal(numerator: bigint, scale: number): string {
  const negative = numerator < 0n;
  const magnitude = negative ? -numerator : numerator;
  const divisor = 10n ** BigInt(scale);
  const whole = magnitude / divisor;
  const fraction = (magnitude % divisor).toString().padStart(scale, '0').replace(/0+$/, '');
  const text = fraction === '' ? whole.toString() : `${whole}.${fraction}`;
  return negative ? `-${text}` : text;
}

/** GFLOPS to P as an exact decimal string (1 P = 10^6 GFLOPS, so at most 6 decimals). */
function gflopsToP(gflops: bigint): string {
  return exactDecimal(gflops, 6);
}

/** Capacity of `count` accelerators in P (PFLOPS), as an exact decimal string, e.g. 8 × H100-SXM = "7.916". */
export function capacityP(model: string, count: number): string {
  return gflopsToP(gflopsOf(model) * toNonNegativeBigInt(count, 'count'));
}

/** Sum helper for capacity across models: returns P as an exact decimal string. */
export function sumCapacityP(items: Array<{ model: string; count: number }>): string {
  let total = 0n;
  for (const { model, count } of items) total += gflopsOf(model) * toNonNegativeBigInt(count, 'count');
  return gflopsToP(total);
}

/** The largest number of decimals formatPh accepts. */
export const MAX_PH_DECIMALS = 30;

/**
 * P·h from GFLOP (1 P·h = 3.6e9 GFLOP) as a decimal string with exactly `decimals` places (default 6), rounded
 * half-up (halves away from zero; a negative input is formatted symmetrically). Display only: store GFLOP.
 */
export function formatPh(gflop: bigint, decimals = 6): string {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > MAX_PH_DECIMALS) {
    throw new RangeError(`decimals must be an integer in 0..${MAX_PH_DECIMALS}, got ${decimals}`);
  }
  const negative = gflop < 0n;
  const scaled = (negative ? -gflop : gflop) * 10n ** BigInt(decimals);
  let units = scaled / GFLOP_PER_P_HOUR; // P·h in units of 10^-decimals, truncated
  if ((scaled % GFLOP_PER_P_HOUR) * 2n >= GFLOP_PER_P_HOUR) units += 1n;
  const digits = units.toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const text = decimals === 0 ? whole : `${whole}.${digits.slice(digits.length - decimals)}`;
  return negative && units !== 0n ? `-${text}` : text;
}
