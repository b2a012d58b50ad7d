/** Pure helpers for the metrics: percentiles, means, Jain's index, max-min fair entitlements. */

/** Nearest-rank percentile (p in 0..100) of numbers; NaN for an empty list. Sorts a copy. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return percentileSorted(sorted, p);
}

/** Nearest-rank percentile of an already ascending array. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const rank = Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));
  return sorted[rank - 1] as number;
}

export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] as number;
  return s / values.length;
}

/** Jain's fairness index (Σx)² / (n·Σx²): 1 when all equal, 1/n when one takes all. 1 for an empty or all-zero list. */
export function jainIndex(xs: readonly number[]): number {
  let sum = 0;
  let sq = 0;
  for (const x of xs) {
    sum += x;
    sq += x * x;
  }
  return xs.length === 0 || sq === 0 ? 1 : (sum * sum) / (xs.length * sq);
}

/**
 * Max-min fair shares (water filling) of `capacity` among demands: nobody gets more than it asks, the rest is
 * split equally. Returns the entitlement per demand, in input order.
 */
export function maxMinShares(demands: readonly number[], capacity: number): number[] {
  const order = demands.map((d, i) => [d, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out = new Array<number>(demands.length).fill(0);
  let left = capacity;
  let n = demands.length;
  for (const [d, i] of order) {
    const share = n > 0 ? left / n : 0;
    const give = Math.min(d, share);
    out[i] = give;
    left -= give;
    n--;
  }
  return out;
}
