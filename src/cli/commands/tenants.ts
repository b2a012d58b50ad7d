/** `suanli tenants ls|add`: the organisations that use the platform. */
import { Option, type Command } from 'commander';
import { TENANT_CATEGORIES, type TenantCategory } from '../../core/domain.ts';
import type { Context } from '../context.ts';
import { json, table } from '../format.ts';
import type { List, TenantView } from '../types.ts';
import { collectRegions, listOrDash } from './onboarding.ts';

interface AddTenantOptions {
  id: string;
  name: string;
  category: TenantCategory;
  organisation: string;
  region: string[];
  verified?: boolean;
  json?: boolean;
}

export function tenantsTable(tenants: readonly TenantView[]): string {
  return table(
    [
      { header: 'ID' },
      { header: 'NAME' },
      { header: 'CATEGORY' },
      { header: 'REGIONS' },
      { header: 'VERIFIED' },
      { header: 'ORGANISATION' },
    ],
    tenants.map((t) => [t.id, t.name, t.category, listOrDash(t.regions), t.verified ? 'yes' : 'no', t.organisation]),
  );
}

export function registerTenants(program: Command, ctx: Context): void {
  const tenants = program.command('tenants').description('list and register tenants (user organisations)');

  tenants
    .command('ls')
    .alias('list')
    .description('list the tenants you may see (the operator: all; others: their own)')
    .option('--json', 'print the API response as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { body } = await (await ctx.client(cmd)).json<List<TenantView>>('GET', '/tenants');
      if (opts.json) return ctx.out(json(body));
      ctx.out(body.items.length === 0 ? 'No tenants.\n' : tenantsTable(body.items));
    });

  tenants
    .command('add')
    .description('register a tenant (operator)')
    .requiredOption('--id <id>', 'tenant id, a lowercase slug (e.g. qiming-ai)')
    .requiredOption('--name <name>', 'display name')
    .addOption(
      new Option('--category <category>', 'kind of organisation').choices(TENANT_CATEGORIES).makeOptionMandatory(),
    )
    .requiredOption('--organisation <organisation>', 'the legal organisation behind it')
    .option('--region <region>', 'a region tag (repeat, or comma-separate, for several)', collectRegions, [])
    .option('--verified', 'its credentials have been checked')
    .option('--json', 'print the API response as JSON')
    .action(async (opts: AddTenantOptions, cmd: Command) => {
      const client = await ctx.client(cmd);
      const tenant: TenantView = {
        id: opts.id,
        name: opts.name,
        category: opts.category,
        regions: opts.region,
        verified: opts.verified === true,
        organisation: opts.organisation,
      };
      const { body } = await client.json<TenantView>('POST', '/tenants', {
        body: JSON.stringify(tenant),
        headers: { 'Content-Type': 'application/json' },
      });
      ctx.out(opts.json ? json(body) : `tenant ${body.id} registered\n`);
    });
}
