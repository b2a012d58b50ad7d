/** `suanli prices ls|set`: the versioned price of a pool, in fen per accelerator-hour. */
import { InvalidArgumentError, type Command } from 'commander';
import type { Context } from '../context.ts';
import { CliError } from '../errors.ts';
import { dateTime, json, table, yuan } from '../format.ts';
import type { List, PriceView } from '../types.ts';
import { segment } from './onboarding.ts';

interface SetPriceOptions {
  yuan?: number;
  fen?: number;
  from: string;
  to?: string;
  json?: boolean;
}

const YUAN_HINT = 'must be yuan with at most two decimals, e.g. 16.50';

/**
 * Yuan with at most two decimals as integer fen ("16.5" → 1650, "0.29" → 29), by string surgery on the digits
 * and integer arithmetic so that no binary fraction is involved.
 */
export function yuanToFen(value: string): number {
  const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(value.trim());
  if (m === null) throw new InvalidArgumentError(YUAN_HINT);
  const fen = BigInt(m[1] ?? '0') * 100n + BigInt((m[2] ?? '').padEnd(2, '0'));
  if (fen > BigInt(Number.MAX_SAFE_INTEGER)) throw new InvalidArgumentError('is too large a price');
  return Number(fen);
}

export function parseFen(value: string): number {
  const trimmed = value.trim();
  if (!/^\d+$/.test(trimmed)) throw new InvalidArgumentError('must be a whole number of fen, e.g. 1650');
  const fen = Number(trimmed);
  if (!Number.isSafeInteger(fen)) throw new InvalidArgumentError('is too large a price');
  return fen;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;

/** An ISO 8601 date-time with its zone (a price's start is an instant), sent on in UTC. */
export function parseInstant(value: string): string {
  const trimmed = value.trim();
  const ms = DATE_TIME.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  if (Number.isNaN(ms))
    throw new InvalidArgumentError('must be an ISO date-time with its zone, e.g. 2025-07-01T00:00:00+08:00');
  return new Date(ms).toISOString();
}

export function pricesTable(prices: readonly PriceView[]): string {
  return table(
    [{ header: 'FROM' }, { header: 'TO' }, { header: 'PRICE (¥/ACCEL-H)', align: 'right' }, { header: 'SET BY' }],
    prices.map((p) => [dateTime(p.validFrom), dateTime(p.validTo), yuan(p.fenPerAcceleratorHour), p.createdBy]),
  );
}

function pricePath(poolId: string): string {
  return `/pools/${segment(poolId)}/prices`;
}

export function registerPrices(program: Command, ctx: Context): void {
  const prices = program.command('prices').description("list and set pools' prices (per accelerator-hour)");

  prices
    .command('ls')
    .alias('list')
    .description("list a pool's price versions, oldest first")
    .argument('<pool>', 'pool id, CLUSTER:POOL (e.g. hefei-a:h100)')
    .option('--json', 'print the API response as JSON')
    .action(async (pool: string, opts: { json?: boolean }, cmd: Command) => {
      const { body } = await (await ctx.client(cmd)).json<List<PriceView>>('GET', pricePath(pool));
      if (opts.json) return ctx.out(json(body));
      ctx.out(body.items.length === 0 ? `No prices for pool ${pool}.\n` : pricesTable(body.items));
    });

  prices
    .command('set')
    .description('add a price version for a pool from a given time (earlier versions are kept)')
    .argument('<pool>', 'pool id, CLUSTER:POOL (e.g. hefei-a:h100)')
    .option('--yuan <yuan>', 'price in yuan per accelerator-hour, two decimals at most (e.g. 16.50)', yuanToFen)
    .option('--fen <fen>', 'price in fen per accelerator-hour (e.g. 1650)', parseFen)
    .requiredOption(
      '--from <iso>',
      'when it takes effect: ISO date-time with zone (e.g. 2025-07-01T00:00:00+08:00)',
      parseInstant,
    )
    .option('--to <iso>', 'when it ends (default: open-ended)', parseInstant)
    .option('--json', 'print the API response as JSON')
    .action(async (pool: string, opts: SetPriceOptions, cmd: Command) => {
      if ((opts.yuan === undefined) === (opts.fen === undefined))
        throw new CliError('give the price with exactly one of --yuan and --fen', 2);
      const fen = opts.yuan ?? opts.fen ?? 0;
      const client = await ctx.client(cmd);
      const { body } = await client.json<PriceView>('POST', pricePath(pool), {
        body: JSON.stringify({
          fenPerAcceleratorHour: fen,
          validFrom: opts.from,
          ...(opts.to === undefined ? {} : { validTo: opts.to }),
        }),
        headers: { 'Content-Type': 'application/json' },
      });
      if (opts.json) return ctx.out(json(body));
      const until = body.validTo === null ? '' : ` until ${dateTime(body.validTo)}`;
      ctx.out(
        `price of ${pool} set to ${yuan(body.fenPerAcceleratorHour)} per accelerator-hour from ${dateTime(body.validFrom)}${until}\n`,
      );
    });
}
