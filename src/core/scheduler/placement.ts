/**
 * Where a job goes among the pools that can take it now: the lowest weighted cost of price, region preference,
 * green power and fragmentation, each in [0, 1]. Below the domestic floor, domestic pools come first for jobs that
 * accept both. Ties go to pool order, so the choice is deterministic.
 */
import type { PoolState } from './capacity.ts';
import type { ScoringConfig } from './policy-config.ts';
import type { Shape } from './shapes.ts';

export interface Scorer {
  config: ScoringConfig;
  /** The highest price of any pool, to scale prices into [0, 1]. */
  maxPrice: number;
}

export function makeScorer(config: ScoringConfig, pools: readonly PoolState[]): Scorer {
  const maxPrice = pools.reduce((m, p) => Math.max(m, p.pool.fenPerAcceleratorHour ?? 0), 0);
  return { config, maxPrice: maxPrice > 0 ? maxPrice : 1 };
}

function cost(scorer: Scorer, pool: PoolState, shape: Shape, preferred: readonly string[]): number {
  const c = scorer.config;
  // An unpriced pool costs as much as the dearest: its price is unknown, not zero.
  const price = (pool.pool.fenPerAcceleratorHour ?? scorer.maxPrice) / scorer.maxPrice;
  const region = preferred.length === 0 || pool.pool.regions.some((r) => preferred.includes(r)) ? 0 : 1;
  const green = 1 - (pool.pool.greenPowerBasisPoints ?? 0) / 10_000;
  // Accelerators left idle on the nodes the gang touches, relative to the gang's nodes: 0 fills nodes exactly.
  const fragmentation = pool.leftover(shape.perNode, shape.count) / (shape.count * Math.max(1, pool.maxSize));
  return (
    c.priceWeight * price + c.regionWeight * region + c.greenWeight * green + c.fragmentationWeight * fragmentation
  );
}

/** Pools from `fitting` (in pool order), best first. */
export function rank(
  scorer: Scorer,
  fitting: readonly PoolState[],
  shape: Shape,
  jobRegions: readonly string[] | undefined,
  preferDomestic: boolean,
): PoolState[] {
  if (fitting.length <= 1) return [...fitting];
  const preferred =
    jobRegions === undefined ? scorer.config.preferredRegions : [...scorer.config.preferredRegions, ...jobRegions];
  const scored = fitting.map((pool) => ({ pool, cost: cost(scorer, pool, shape, preferred) }));
  scored.sort(
    (a, b) =>
      (preferDomestic ? Number(b.pool.domestic) - Number(a.pool.domestic) : 0) ||
      a.cost - b.cost ||
      a.pool.index - b.pool.index,
  );
  return scored.map((s) => s.pool);
}
