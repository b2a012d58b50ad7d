/**
 * Sales of model services and corpora on the command line: `suanli sales record` (a provider-admin for its provider,
 * the operator for any), `suanli sales ls` (a tenant its purchases, a provider its sales, the operator all) and
 * `suanli sales reverse` (operator). A recorded sale is charged at once, with the tenant's vouchers of its kind.
 */
import { Option, type Command } from 'commander';
import { formatYuan } from '../../core/money/amount.ts';
import type { Context } from '../context.ts';
import { dateTime, json, table } from '../format.ts';
import type { SaleView } from '../types.ts';
import { monthArgument, yuanArgument } from './money.ts';
import { isoTime } from './usage.ts';

const money = (fen: string) => formatYuan(BigInt(fen));
const JSON_BODY = { 'Content-Type': 'application/json' };
const kindOption = (description: string) => new Option('--kind <kind>', description).choices(['model', 'corpus']);

export function salesTable(sales: readonly SaleView[]): string {
  if (sales.length === 0) return 'No sales.\n';
  return table(
    [
      { header: 'TIME' },
      { header: 'PROVIDER' },
      { header: 'TENANT' },
      { header: 'KIND' },
      { header: 'PRODUCT' },
      { header: 'AMOUNT', align: 'right' },
      { header: 'VOUCHERS', align: 'right' },
      { header: 'SUBSIDY', align: 'right' },
      { header: 'REFERENCE' },
      { header: 'ID' },
    ],
    sales.map((s) => [
      dateTime(s.occurredAt),
      s.providerId,
      s.tenantId,
      s.kind,
      s.product,
      s.reversed ? `${money(s.amountFen)} reversed` : money(s.amountFen),
      money(s.voucherFen),
      money(s.subsidyFen),
      s.reference,
      s.id,
    ]),
  );
}

export function registerSales(program: Command, ctx: Context): void {
  const sales = program
    .command('sales')
    .description('sales of model services (模型) and corpora (语料) by providers to tenants, charged like usage');

  sales
    .command('record')
    .description(
      'record a sale to a tenant and charge it (a provider-admin for its provider; the operator: --provider)',
    )
    .requiredOption('--tenant <id>', 'the buyer')
    .addOption(kindOption('model (a model service) or corpus (a dataset)').makeOptionMandatory())
    .requiredOption('--product <name>', "what was sold (a voucher's usable products name these)")
    .requiredOption('--amount <yuan>', 'the price, in yuan', yuanArgument)
    .requiredOption('--reference <ref>', 'your order number (recording it again changes nothing)')
    .option('--provider <id>', 'the seller (default: your own provider)')
    .option('--project <id>', "the buyer's project")
    .option('--at <time>', 'when it was sold (ISO-8601; default now)', isoTime)
    .option('--description <text>', 'what was sold, in words')
    .option('--json', 'print the API response as JSON')
    .action(
      async (
        opts: {
          tenant: string;
          kind: string;
          product: string;
          amount: string;
          reference: string;
          provider?: string;
          project?: string;
          at?: string;
          description?: string;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        const client = await ctx.client(cmd);
        const { status, body } = await client.json<SaleView>('POST', '/sales', {
          body: JSON.stringify({
            ...(opts.provider ? { providerId: opts.provider } : {}),
            reference: opts.reference,
            tenantId: opts.tenant,
            ...(opts.project ? { projectId: opts.project } : {}),
            kind: opts.kind,
            product: opts.product,
            ...(opts.description ? { description: opts.description } : {}),
            amountFen: opts.amount,
            occurredAt: opts.at ?? new Date().toISOString(),
          }),
          headers: JSON_BODY,
        });
        if (opts.json) return ctx.out(json(body));
        if (status === 200) return ctx.out(`reference ${opts.reference} was recorded before; nothing changed\n`);
        const paid = BigInt(body.amountFen) - BigInt(body.voucherFen);
        ctx.out(
          `sale ${body.id}: ${body.kind} ${body.product} to ${body.tenantId} for ${money(body.amountFen)}` +
            ` (vouchers ${money(body.voucherFen)}, wallet ${formatYuan(paid)}, subsidy ${money(body.subsidyFen)})\n`,
        );
      },
    );

  sales
    .command('ls')
    .alias('list')
    .description('list sales: your tenant’s purchases, your provider’s sales, or (operator) all')
    .option('--tenant <id>', 'only this buyer’s')
    .option('--provider <id>', 'only this seller’s')
    .addOption(kindOption('only model or corpus sales'))
    .option('--month <YYYY-MM>', 'only this month (China Standard Time)', monthArgument)
    .option('--json', 'print the API response as JSON')
    .action(
      async (
        opts: { tenant?: string; provider?: string; kind?: string; month?: string; json?: boolean },
        cmd: Command,
      ) => {
        const client = await ctx.client(cmd);
        const { body } = await client.json<{ items: SaleView[] }>('GET', '/sales', {
          query: { tenantId: opts.tenant, providerId: opts.provider, kind: opts.kind, month: opts.month },
        });
        ctx.out(opts.json ? json(body) : salesTable(body.items));
      },
    );

  sales
    .command('reverse')
    .description('reverse every ledger entry of a sale: charge, vouchers, subsidies (operator)')
    .argument('<id>', 'the sale')
    .requiredOption('--reason <text>', 'why (kept with the reversal)')
    .action(async (id: string, opts: { reason: string }, cmd: Command) => {
      const client = await ctx.client(cmd);
      const { body } = await client.json<{ reversals: string[] }>('POST', `/sales/${encodeURIComponent(id)}/reversal`, {
        body: JSON.stringify({ reason: opts.reason }),
        headers: JSON_BODY,
      });
      ctx.out(
        body.reversals.length === 0
          ? `sale ${id} had nothing left to reverse\n`
          : `sale ${id}: ${body.reversals.length} transactions reversed\n`,
      );
    });
}
