/** `suanli providers ls|add`: the computing centres of the federation. */
import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { json, table } from '../format.ts';
import type { List, ProviderView } from '../types.ts';
import { basisPointsAsPercent, collectRegions, listOrDash, percentToBasisPoints } from './onboarding.ts';

interface AddProviderOptions {
  id: string;
  name: string;
  city: string;
  region: string[];
  owner: string;
  greenPowerPercent: number;
  json?: boolean;
}

export function providersTable(providers: readonly ProviderView[]): string {
  return table(
    [
      { header: 'ID' },
      { header: 'NAME' },
      { header: 'CITY' },
      { header: 'REGIONS' },
      { header: 'OWNER' },
      { header: 'GREEN POWER', align: 'right' },
    ],
    providers.map((p) => [
      p.id,
      p.name,
      p.city,
      listOrDash(p.regions),
      p.ownerOrganisation,
      basisPointsAsPercent(p.greenPowerBasisPoints),
    ]),
  );
}

export function registerProviders(program: Command, ctx: Context): void {
  const providers = program.command('providers').description('list and register providers (computing centres)');

  providers
    .command('ls')
    .alias('list')
    .description('list the providers')
    .option('--json', 'print the API response as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { body } = await (await ctx.client(cmd)).json<List<ProviderView>>('GET', '/providers');
      if (opts.json) return ctx.out(json(body));
      ctx.out(body.items.length === 0 ? 'No providers.\n' : providersTable(body.items));
    });

  providers
    .command('add')
    .description('register a provider (operator)')
    .requiredOption('--id <id>', 'provider id, a lowercase slug (e.g. hefei-aicc)')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--city <city>', 'the city it is in')
    .option('--region <region>', 'a region tag (repeat, or comma-separate, for several)', collectRegions, [])
    .requiredOption('--owner <organisation>', 'the organisation that owns it')
    .option(
      '--green-power-percent <percent>',
      'share of green power, 0-100, two decimals at most',
      percentToBasisPoints,
      0,
    )
    .option('--json', 'print the API response as JSON')
    .action(async (opts: AddProviderOptions, cmd: Command) => {
      const client = await ctx.client(cmd);
      const provider: ProviderView = {
        id: opts.id,
        name: opts.name,
        city: opts.city,
        regions: opts.region,
        ownerOrganisation: opts.owner,
        greenPowerBasisPoints: opts.greenPowerPercent,
      };
      const { body } = await client.json<ProviderView>('POST', '/providers', {
        body: JSON.stringify(provider),
        headers: { 'Content-Type': 'application/json' },
      });
      ctx.out(opts.json ? json(body) : `provider ${body.id} registered\n`);
    });
}
