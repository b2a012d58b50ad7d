/** `suanli clusters`: one row per pool. */
import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { json, table, truncate, yuan } from '../format.ts';
import type { ClusterView, List } from '../types.ts';

function health(c: ClusterView): string {
  if (c.healthy) return 'ok';
  return c.healthReason === null ? 'down' : `down: ${truncate(c.healthReason, 30)}`;
}

export function clustersTable(clusters: readonly ClusterView[]): string {
  const rows: string[][] = [];
  for (const c of clusters) {
    const cluster = [c.name, c.provider.name, c.provider.city, c.engine, health(c)];
    if (c.pools.length === 0) rows.push([...cluster, '-', '-', '0/0', '0', '-']);
    for (const p of c.pools)
      rows.push([
        ...cluster,
        p.name,
        p.domestic ? `${p.acceleratorModel} (domestic)` : p.acceleratorModel,
        `${p.freeAccelerators}/${p.accelerators}`,
        p.capacityP,
        yuan(p.fenPerAcceleratorHour),
      ]);
  }
  return table(
    [
      { header: 'CLUSTER' },
      { header: 'PROVIDER' },
      { header: 'CITY' },
      { header: 'ENGINE' },
      { header: 'HEALTH' },
      { header: 'POOL' },
      { header: 'MODEL' },
      { header: 'ACCELERATORS', align: 'right' },
      { header: 'CAPACITY (P)', align: 'right' },
      { header: 'PRICE (¥/ACCEL-H)', align: 'right' },
    ],
    rows,
  );
}

export function registerClusters(program: Command, ctx: Context): void {
  program
    .command('clusters')
    .description('list the clusters and their pools: free accelerators, capacity, price')
    .option('--json', 'print the API response as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { body } = await (await ctx.client(cmd)).json<List<ClusterView>>('GET', '/clusters');
      if (opts.json) return ctx.out(json(body));
      ctx.out(body.items.length === 0 ? 'No clusters.\n' : clustersTable(body.items));
    });
}
