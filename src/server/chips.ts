/** Gathers the chip race's inputs from the store for a period and ranks them with the core (src/core/chip-race.ts). */
import { chipRace, type ChipCapacity, type ChipRaceRow } from '../core/chip-race.ts';
import type { Store } from '../store/index.ts';
import { poolsWithFree } from './control/snapshot.ts';

export async function chipRaceFor(store: Store, from: Date, to: Date, now: Date): Promise<ChipRaceRow[]> {
  const [pools, { runs, busy }, lostRuns] = await Promise.all([
    poolsWithFree(store, now, []),
    store.usage.chipRuns(from, to),
    store.jobs.lostByModel(from, to),
  ]);
  const capacity = new Map<string, ChipCapacity & { providerIds: Set<string>; prices: bigint[] }>();
  for (const pool of pools) {
    let entry = capacity.get(pool.acceleratorModel);
    if (!entry) {
      entry = {
        acceleratorModel: pool.acceleratorModel,
        pools: 0,
        providers: 0,
        accelerators: 0,
        fenPerAcceleratorHour: [],
        providerIds: new Set(),
        prices: [],
      };
      capacity.set(pool.acceleratorModel, entry);
    }
    entry.pools++;
    entry.providerIds.add(pool.providerId);
    entry.accelerators += pool.nodes.reduce((sum, node) => sum + node.accelerators, 0);
    if (pool.fenPerAcceleratorHour !== null) entry.prices.push(BigInt(pool.fenPerAcceleratorHour));
  }
  return chipRace({
    from,
    to,
    capacity: [...capacity.values()].map((c) => ({
      acceleratorModel: c.acceleratorModel,
      pools: c.pools,
      providers: c.providerIds.size,
      accelerators: c.accelerators,
      fenPerAcceleratorHour: c.prices,
    })),
    runs,
    busyAcceleratorSeconds: busy,
    lostRuns,
  });
}
