/**
 * Funders and their budget pools: splitting an award between funders, the most a set of pools can still pay, and the
 * pro-rata scaling of claims when a pool is short at period close. All exact in fen, by `apportion`.
 */
import { apportion, BASIS_POINTS, type Fen } from '../amount.ts';
import type { FunderAmount, FunderShare } from './types.ts';

/**
 * Splits an award between its funders by their shares (province : city 1:1 → 5000 bp each), by largest remainder:
 * the parts always sum to `amountFen`, and the earlier funder in the programme file gets an odd fen.
 */
export function splitByFunders(amountFen: Fen, funders: readonly FunderShare[]): FunderAmount[] {
  const parts = apportion(
    amountFen,
    funders.map((f) => f.shareBasisPoints),
  );
  return funders.map((f, i) => ({ funder: f.funder, amountFen: parts[i] ?? 0n }));
}

/**
 * The largest award whose split (`splitByFunders`) fits every funder's remaining pool. For each funder with share s
 * (of 10000) and R fen left, an award A needs ⌈A·s/10000⌉ ≤ R at worst, which holds for A ≤ ⌊R·10000/s⌋; the least of
 * these over the funders is the answer. A pool below zero (overdrawn by an earlier correction) counts as empty.
 */
export function poolLimit(funders: readonly FunderShare[], remaining: (funder: string) => Fen): Fen {
  let limit: Fen | null = null;
  for (const f of funders) {
    if (f.shareBasisPoints === 0n) continue;
    const left = remaining(f.funder);
    const fits = left <= 0n ? 0n : (left * BASIS_POINTS) / f.shareBasisPoints;
    if (limit === null || fits < limit) limit = fits;
  }
  return limit ?? 0n;
}

export interface Claim {
  /** The award's idempotency key, e.g. `${programmeId}/${eventId}`. */
  id: string;
  amountFen: Fen;
}

/**
 * Pro-rata at period close: when the claims on a pool exceed it, each claim is paid its share of the pool in
 * proportion to its amount (largest remainder, earlier claims win ties), so the payments sum to the pool exactly and
 * none exceeds its claim. When the pool suffices every claim is paid in full. Claims must not be negative.
 */
export function prorateClaims(claims: readonly Claim[], poolFen: Fen): Claim[] {
  if (poolFen < 0n) throw new RangeError(`a pool cannot be negative, got ${poolFen}`);
  if (claims.some((c) => c.amountFen < 0n)) throw new RangeError('claims must not be negative');
  const total = claims.reduce((sum, c) => sum + c.amountFen, 0n);
  if (total <= poolFen) return claims.map((c) => ({ ...c }));
  const paid = apportion(
    poolFen,
    claims.map((c) => c.amountFen),
  );
  return claims.map((c, i) => ({ id: c.id, amountFen: paid[i] ?? 0n }));
}
