/**
 * Money on the command line: `suanli wallet`, `suanli top-up`, `suanli vouchers ls|issue`, `suanli statement` and
 * `suanli report monthly|quarterly|yearly`. Amounts travel as strings of whole fen and are shown as exact yuan (core formatYuan), so
 * no amount passes through a float on its way to the screen.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { formatYuan, parseYuan } from '../../core/money/amount.ts';
import { parsePeriod, type PeriodKind } from '../../core/report-period.ts';
import type { Context } from '../context.ts';
import { dateTime, json, table } from '../format.ts';
import type { Recorded, VoucherView, WalletView, Whoami } from '../types.ts';
import { isoTime } from './usage.ts';

const money = (fen: string) => formatYuan(BigInt(fen));
const JSON_BODY = { 'Content-Type': 'application/json' };

/** A positive yuan amount ("500", "¥1,000.50") as a string of whole fen; finer than a fen is refused. */
export function yuanArgument(value: string): string {
  let fen: bigint;
  try {
    fen = parseYuan(value);
  } catch {
    throw new InvalidArgumentError('must be yuan with at most two decimals, e.g. 500 or 1,000.50');
  }
  if (fen <= 0n) throw new InvalidArgumentError('must be more than zero');
  return fen.toString();
}

/** A quarter (YYYY-Qn) or year (YYYY), checked before anything is sent; the server says whether it has begun. */
function periodArgument(kind: PeriodKind): (value: string) => string {
  return (value) => {
    try {
      return parsePeriod(kind, value).label;
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}

/** A month "YYYY-MM", as the core's report periods read it. */
export const monthArgument = periodArgument('month');

/** A share of a charge as a percentage with at most two decimals ("50", "12.5") → basis points. */
function percentArgument(value: string): number {
  const match = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(value.trim());
  const bp = match ? Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0')) : NaN;
  if (!(bp >= 1 && bp <= 10_000)) throw new InvalidArgumentError('must be a percentage above 0 and at most 100');
  return bp;
}

const collect = (value: string, previous: string[]) => [
  ...previous,
  ...value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

export function walletReport(wallet: WalletView): string {
  let out = `Tenant ${wallet.tenantId}: ${money(wallet.balanceFen)} held\n`;
  if (wallet.recent.length === 0) return `${out}No transactions.\n`;
  out += '\n';
  out += table(
    [{ header: 'TIME' }, { header: 'WHAT' }, { header: 'AMOUNT', align: 'right' }, { header: 'REASON' }],
    wallet.recent.map((l) => [dateTime(l.at), l.purpose, money(l.fen), l.reason]),
  );
  return out;
}

export function vouchersTable(vouchers: readonly VoucherView[]): string {
  if (vouchers.length === 0) return 'No vouchers.\n';
  return table(
    [
      { header: 'ID' },
      { header: 'KIND' },
      { header: 'TENANT' },
      { header: 'PROGRAMME' },
      { header: 'FACE', align: 'right' },
      { header: 'LEFT', align: 'right' },
      { header: 'VALID' },
      { header: 'PROVIDERS' },
    ],
    vouchers.map((v) => [
      v.id,
      v.kind,
      v.tenantId,
      `${v.programmeId}/${v.funder}`,
      money(v.faceFen),
      money(v.remainingFen),
      `${dateTime(v.validFrom)} – ${dateTime(v.validTo)}`,
      v.providers.length === 0 ? 'any' : v.providers.join(','),
    ]),
  );
}

/** Prints a document the API renders: JSON pretty-printed, CSV and HTML as they came. */
async function printDocument(ctx: Context, cmd: Command, path: string, format: string): Promise<void> {
  const client = await ctx.client(cmd);
  if (format === 'json') {
    const { body } = await client.json<unknown>('GET', path);
    return ctx.out(json(body));
  }
  const bytes = await client.bytes(path, { query: { format } });
  ctx.out(new TextDecoder().decode(bytes));
}

const formatOption = () =>
  new Option('--format <format>', 'json, csv or printable html').choices(['json', 'csv', 'html']).default('json');

export function registerMoney(program: Command, ctx: Context): void {
  program
    .command('wallet')
    .description("your tenant's wallet: what it holds and its recent transactions (the operator: --tenant)")
    .option('--tenant <id>', 'whose wallet (operator)')
    .option('--json', 'print the API response as JSON')
    .action(async (opts: { tenant?: string; json?: boolean }, cmd: Command) => {
      const client = await ctx.client(cmd);
      const { body } = await client.json<WalletView>('GET', '/wallet', { query: { tenantId: opts.tenant } });
      ctx.out(opts.json ? json(body) : walletReport(body));
    });

  program
    .command('top-up')
    .description("record a tenant's payment into its wallet (operator)")
    .requiredOption('--tenant <id>', 'the tenant')
    .requiredOption('--amount <yuan>', 'the amount paid, in yuan', yuanArgument)
    .requiredOption('--reference <ref>', 'the bank transfer reference (a repeat with it changes nothing)')
    .action(async (opts: { tenant: string; amount: string; reference: string }, cmd: Command) => {
      const client = await ctx.client(cmd);
      const { body } = await client.json<Recorded>('POST', '/wallet/top-ups', {
        body: JSON.stringify({ tenantId: opts.tenant, amountFen: opts.amount, reference: opts.reference }),
        headers: JSON_BODY,
      });
      ctx.out(
        body.created
          ? `${money(opts.amount)} paid into ${opts.tenant}'s wallet\n`
          : `reference ${opts.reference} was recorded before; nothing changed\n`,
      );
    });

  const vouchers = program
    .command('vouchers')
    .description('compute, model and corpus vouchers (算力券, 模型券, 语料券)');
  vouchers
    .command('ls')
    .alias('list')
    .description('list vouchers: your own, or (operator) all or one tenant’s')
    .option('--tenant <id>', 'only this tenant’s')
    .option('--json', 'print the API response as JSON')
    .action(async (opts: { tenant?: string; json?: boolean }, cmd: Command) => {
      const client = await ctx.client(cmd);
      const { body } = await client.json<{ items: VoucherView[] }>('GET', '/vouchers', {
        query: { tenantId: opts.tenant },
      });
      ctx.out(opts.json ? json(body) : vouchersTable(body.items));
    });

  vouchers
    .command('issue')
    .description("issue a voucher to a tenant from a programme's pool (operator)")
    .requiredOption('--id <id>', 'voucher id (issuing the same id again changes nothing)')
    .requiredOption('--tenant <id>', 'the tenant it is issued to (vouchers are not transferable)')
    .requiredOption('--programme <id>', 'the programme whose pool funds it')
    .requiredOption('--funder <funder>', 'the funder whose pool of the programme pays')
    .requiredOption('--face <yuan>', 'face value in yuan', yuanArgument)
    .requiredOption('--from <time>', 'valid from (ISO-8601)', isoTime)
    .requiredOption('--to <time>', 'valid until (ISO-8601, exclusive)', isoTime)
    .addOption(
      new Option('--kind <kind>', 'what it pays for').choices(['compute', 'model', 'corpus']).default('compute'),
    )
    .option('--provider <id>', 'usable at this provider only (repeat or comma-separate; default any)', collect, [])
    .option('--product <model>', 'usable for this accelerator model only (repeat; default any)', collect, [])
    .option('--max-share <percent>', 'the largest share of one charge it may pay (default 100)', percentArgument)
    .option('--json', 'print the API response as JSON')
    .action(
      async (
        opts: {
          id: string;
          tenant: string;
          programme: string;
          funder: string;
          face: string;
          from: string;
          to: string;
          kind: string;
          provider: string[];
          product: string[];
          maxShare?: number;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        const client = await ctx.client(cmd);
        const { status, body } = await client.json<VoucherView>('POST', '/vouchers', {
          body: JSON.stringify({
            id: opts.id,
            kind: opts.kind,
            tenantId: opts.tenant,
            programmeId: opts.programme,
            funder: opts.funder,
            faceFen: opts.face,
            validFrom: opts.from,
            validTo: opts.to,
            providers: opts.provider,
            products: opts.product,
            ...(opts.maxShare === undefined ? {} : { maxShareBasisPoints: opts.maxShare }),
          }),
          headers: JSON_BODY,
        });
        if (opts.json) return ctx.out(json(body));
        // 200: the voucher was issued before under this id with the same terms, and nothing more was done.
        ctx.out(
          status === 200
            ? `voucher ${body.id} was issued before (to ${body.tenantId}: ${money(body.faceFen)}); nothing changed\n`
            : `voucher ${body.id} issued to ${body.tenantId}: ${money(body.faceFen)}\n`,
        );
      },
    );

  program
    .command('statement')
    .description('a monthly statement: your tenant’s, or a provider’s payouts (--provider)')
    .requiredOption('--month <YYYY-MM>', 'the month (China Standard Time)', monthArgument)
    .option('--tenant <id>', 'the tenant (default: your own)')
    .option('--provider <id>', 'a provider’s payout statement instead')
    .addOption(formatOption())
    .action(async (opts: { month: string; tenant?: string; provider?: string; format: string }, cmd: Command) => {
      let path: string;
      if (opts.provider) path = `/statements/providers/${encodeURIComponent(opts.provider)}/${opts.month}`;
      else {
        let tenant = opts.tenant;
        if (!tenant) {
          const client = await ctx.client(cmd);
          tenant = (await client.json<Whoami>('GET', '/whoami')).body.tenantId ?? undefined;
          if (!tenant) throw new InvalidArgumentError('--tenant or --provider is needed: you belong to no tenant');
        }
        path = `/statements/tenants/${encodeURIComponent(tenant)}/${opts.month}`;
      }
      await printDocument(ctx, cmd, path, opts.format);
    });

  const report = program.command('report').description('reports for the programme office (operator)');
  report
    .command('monthly')
    .description('spend, vouchers and subsidies by city, region and tenant category; pools; top tenants')
    .requiredOption('--month <YYYY-MM>', 'the month (China Standard Time)', monthArgument)
    .addOption(formatOption())
    .action(async (opts: { month: string; format: string }, cmd: Command) => {
      await printDocument(ctx, cmd, `/reports/monthly/${opts.month}`, opts.format);
    });
  report
    .command('quarterly')
    .description("a quarter's report (季调度): the monthly report's figures over the quarter, month by month")
    .argument('<YYYY-Qn>', 'the quarter, Q1 = January to March (China Standard Time)', periodArgument('quarter'))
    .addOption(formatOption())
    .action(async (quarter: string, opts: { format: string }, cmd: Command) => {
      await printDocument(ctx, cmd, `/reports/quarterly/${quarter}`, opts.format);
    });
  report
    .command('yearly')
    .description("a year's report (年总结): the monthly report's figures over the year, month by month")
    .argument('<YYYY>', 'the year (China Standard Time)', periodArgument('year'))
    .addOption(formatOption())
    .action(async (year: string, opts: { format: string }, cmd: Command) => {
      await printDocument(ctx, cmd, `/reports/yearly/${year}`, opts.format);
    });
}
