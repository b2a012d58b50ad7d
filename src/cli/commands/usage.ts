/** `suanli usage`: accelerator time and normalised compute (P·h) per run, then totals. */
import { InvalidArgumentError, type Command } from 'commander';
import type { Context } from '../context.ts';
import { duration, json, sumDecimals, table } from '../format.ts';
import type { UsageReport } from '../types.ts';

export function isoTime(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError('must be a date or time, e.g. 2025-01-31 or 2025-01-31T08:00');
  return new Date(ms).toISOString();
}

export function usageReport(report: UsageReport): string {
  let out =
    report.items.length === 0
      ? 'No usage records.\n'
      : table(
          [
            { header: 'JOB' },
            { header: 'CLUSTER' },
            { header: 'MODEL' },
            { header: 'ACCEL', align: 'right' },
            { header: 'ELAPSED', align: 'right' },
            { header: 'ACCEL-SECONDS', align: 'right' },
            { header: 'P·H', align: 'right' },
            // How the run ended: a run that timed out or was preempted is charged for the time it held accelerators.
            { header: 'ENDED' },
          ],
          report.items.map((u) => [
            u.jobId,
            u.clusterId,
            u.acceleratorModel,
            String(u.acceleratorCount),
            duration(u.elapsedSeconds),
            String(u.acceleratorSeconds),
            u.ph,
            u.outcome ?? '-',
          ]),
        );
  if (report.totals.length === 0) return out;
  const rows = report.totals.map((t) => [
    t.tenantId,
    t.acceleratorModel,
    String(t.jobs),
    String(t.acceleratorSeconds),
    t.ph,
  ]);
  // P·h is normalised across models, so a grand total is meaningful; summed exactly, as decimals.
  const allPh = sumDecimals(report.totals.map((t) => t.ph));
  if (report.totals.length > 1 && allPh !== null) {
    const seconds = report.totals.reduce((sum, t) => sum + t.acceleratorSeconds, 0);
    rows.push(['TOTAL', '', '', String(seconds), allPh]);
  }
  out += '\nTotals:\n';
  out += table(
    [
      { header: 'TENANT' },
      { header: 'MODEL' },
      { header: 'JOBS', align: 'right' },
      { header: 'ACCEL-SECONDS', align: 'right' },
      { header: 'P·H', align: 'right' },
    ],
    rows,
  );
  return out;
}

export function registerUsage(program: Command, ctx: Context): void {
  program
    .command('usage')
    .description('accelerator usage and normalised compute (P·h), per run and in total')
    .option('--from <time>', 'from this time (ISO-8601, e.g. 2025-01-31 or 2025-01-31T08:00)', isoTime)
    .option('--to <time>', 'up to this time (ISO-8601)', isoTime)
    .option('--job <id>', 'only this job')
    .option('--json', 'print the API response as JSON')
    .action(async (opts: { from?: string; to?: string; job?: string; json?: boolean }, cmd: Command) => {
      const client = await ctx.client(cmd);
      const query = { from: opts.from, to: opts.to, jobId: opts.job };
      const { body } = await client.json<UsageReport>('GET', '/usage', { query });
      ctx.out(opts.json ? json(body) : usageReport(body));
    });
}
