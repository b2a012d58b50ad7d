/** `suanli reconcile`: the operator's report of engine jobs and suanli records that do not agree. */
import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { json, table } from '../format.ts';
import type { ReconciliationReport } from '../types.ts';

export function reconciliationReport(report: ReconciliationReport): string {
  const names = new Map(report.clusters.map((c) => [c.id, c.name]));
  const unreachable = report.clusters
    .filter((c) => !c.reachable)
    .map(
      (c) => `cluster ${c.name} did not answer (${c.error ?? 'no reason given'}): only suanli's records were checked\n`,
    )
    .join('');
  if (report.items.length === 0)
    return unreachable + (unreachable ? 'nothing else to reconcile\n' : 'nothing to reconcile\n');
  const rows = report.items.map((i) => [
    i.kind,
    names.get(i.clusterId) ?? i.clusterId,
    i.jobId ?? '-',
    i.engineJobId ?? '-',
    i.engineState ?? '-',
    // The last column: left whole, it is what the operator acts on.
    i.detail.replace(/\s+/g, ' '),
  ]);
  const columns = ['KIND', 'CLUSTER', 'JOB', 'ENGINE JOB', 'ENGINE STATE', 'DETAIL'].map((header) => ({ header }));
  return table(columns, rows) + unreachable;
}

export function registerReconcile(program: Command, ctx: Context): void {
  program
    .command('reconcile')
    .description(
      "jobs the clusters' engines hold that suanli does not know or no longer runs, lost jobs, withdrawn " +
        'dispatches (operator, provider admin)',
    )
    .option('--json', 'print the API response as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { body } = await (await ctx.client(cmd)).json<ReconciliationReport>('GET', '/reconciliation');
      ctx.out(opts.json ? json(body) : reconciliationReport(body));
    });
}
