/** `suanli chips`: the chip race (赛马), how each accelerator model ran in a month, best first (docs/chips.md). */
import type { Command } from 'commander';
import { formatYuan } from '../../core/money/amount.ts';
import type { Context } from '../context.ts';
import { json, table } from '../format.ts';
import type { ChipRace } from '../types.ts';
import { monthArgument } from './money.ts';

/** Basis points as a percentage with one decimal, exact: 7692 → "76.9%" (half up), null → "-". */
export function percent(bp: number | null): string {
  if (bp === null) return '-';
  const tenths = Math.floor((bp + 5) / 10);
  return `${Math.floor(tenths / 10)}.${tenths % 10}%`;
}

export function chipRaceTable(race: ChipRace): string {
  const rows = race.chips.map((c) => [
    c.rank === null ? '-' : String(c.rank),
    c.domestic ? `${c.acceleratorModel} (domestic)` : c.acceleratorModel,
    String(c.accelerators),
    String(c.runs.succeeded + c.runs.failed + c.runs.timeout + c.runs.lost),
    percent(c.completionBp),
    percent(c.goodputBp),
    c.lostPer1000Hours ?? '-',
    percent(c.utilisationBp),
    c.ph,
    c.medianFenPerPh === null ? '-' : formatYuan(BigInt(c.medianFenPerPh)),
  ]);
  return (
    `${race.month} (${race.from} to ${race.to})\n` +
    table(
      [
        { header: 'RANK', align: 'right' },
        { header: 'MODEL' },
        { header: 'ACCEL', align: 'right' },
        { header: 'ENDED RUNS', align: 'right' },
        { header: 'COMPLETED', align: 'right' },
        { header: 'GOODPUT', align: 'right' },
        { header: 'LOST/1000H', align: 'right' },
        { header: 'UTILISATION', align: 'right' },
        { header: 'P·H', align: 'right' },
        { header: 'PRICE/P·H', align: 'right' },
      ],
      rows,
    )
  );
}

export function registerChips(program: Command, ctx: Context): void {
  program
    .command('chips')
    .description('the chip race (赛马): how each accelerator model ran in a month, best first (operator)')
    .option('--month <YYYY-MM>', 'the month (China Standard Time); default this month', monthArgument)
    .option('--json', 'print the API response as JSON')
    .action(async (opts: { month?: string; json?: boolean }, cmd: Command) => {
      const client = await ctx.client(cmd);
      const { body } = await client.json<ChipRace>('GET', '/chips', { query: { month: opts.month } });
      ctx.out(opts.json ? json(body) : chipRaceTable(body));
    });
}
