/**
 * `suanli programmes validate FILE...`: checks subsidy and voucher programme files offline (no server), together, so
 * that repeals, overlapping versions and duplicate ids across files are found too. Each problem is printed as
 * `file:line:column: field: message` (the form editors jump to); exit 1 if there is any.
 *
 * The programme office's decisions go to the server (operator only): `award` and `awarded` (the rate each tenant is
 * awarded under a ceiling-rate programme), `claims`, `close` and `closes` (period close of pro-rata budgets).
 */
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { Programme } from '../../core/money/programmes/types.ts';
import { formatProgrammeError } from '../../core/money/programmes/load.ts';
import { formatYuan } from '../../core/money/amount.ts';
import { loadProgrammeFiles } from '../../money/programme-files.ts';
import type { Context } from '../context.ts';
import { CliError } from '../errors.ts';
import { dateTime, json, table } from '../format.ts';
import type { AwardedRateView, CloseResult, CloseView, List, ProgrammeClaimsView } from '../types.ts';

const JSON_BODY = { 'Content-Type': 'application/json' };
const money = (fen: string) => formatYuan(BigInt(fen));

/** A rate as a percentage with at most two decimals ("15", "15%", "12.5%") → basis points, 0 to 10000. */
export function rateArgument(value: string): number {
  const match = /^(\d{1,3})(?:\.(\d{1,2}))?%?$/.exec(value.trim());
  const bp = match ? Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0')) : NaN;
  if (!(bp >= 0 && bp <= 10_000))
    throw new InvalidArgumentError('must be a percentage from 0 to 100 with at most two decimals, e.g. 15% or 12.5');
  return bp;
}

const percent = (bp: number) => `${(bp / 100).toFixed(2).replace(/\.?0+$/, '')}%`;

export function awardedTable(rates: readonly AwardedRateView[]): string {
  if (rates.length === 0) return 'No awarded rates.\n';
  return table(
    [{ header: 'PROGRAMME' }, { header: 'TENANT' }, { header: 'COMMITMENT' }, { header: 'RATE', align: 'right' }],
    rates.map((r) => [r.programmeId, r.tenantId, r.commitmentId ?? '(all)', percent(r.basisPoints)]),
  );
}

export function closeReport(close: CloseView, created: boolean): string {
  const head =
    close.id === ''
      ? 'dry run, nothing posted'
      : created
        ? `closed (${close.id})`
        : `closed before, on ${dateTime(close.closedAt)} by ${close.closedBy}; nothing posted now`;
  let out = `${close.programmeId} ${close.period}: ${head}\n`;
  out += `claimed ${money(close.claimedFen)}, paid ${money(close.paidFen)}`;
  out += ` (${close.byFunder.map((f) => `${f.funder} ${money(f.fen)}`).join(', ')})\n`;
  for (const line of close.explanation) out += `  ${line}\n`;
  if (close.payments.length === 0) return out;
  return (
    out +
    '\n' +
    table(
      [
        { header: 'PAYEE' },
        { header: 'CLAIMS', align: 'right' },
        { header: 'CLAIMED', align: 'right' },
        { header: 'PAID', align: 'right' },
      ],
      close.payments.map((p) => [`${p.payee} ${p.payeeId}`, String(p.claims), money(p.claimedFen), money(p.paidFen)]),
    )
  );
}

/** One line saying what a valid file holds. */
export function programmeSummary(p: Programme): string {
  const window = `${p.validFrom}..${p.validTo ?? 'open-ended'}`;
  const funders = p.funders.map((f) => `${f.funder} ${Number(f.shareBasisPoints) / 100}%`).join(' + ');
  const head = `${p.kind} ${p.metadata.id} ${p.metadata.version}, ${window}, paid by ${funders}`;
  if (p.kind === 'VoucherProgramme')
    return `${head}, face values ${p.faceValuesFen.map((f) => formatYuan(f)).join('/')}, ${p.validityDays} days`;
  const repeal = p.supersedes === null ? '' : `, repeals ${p.supersedes.programmeId} from ${p.supersedes.from}`;
  return `${head}${repeal}, ${p.rules.length} rule${p.rules.length === 1 ? '' : 's'}`;
}

export function registerProgrammes(program: Command, ctx: Context): void {
  const programmes = program
    .command('programmes')
    .description(
      'subsidy and voucher programmes (docs/programmes.md): validate files offline; awarded rates and period closes',
    );
  programmes
    .command('award')
    .description('award a tenant its rate under a ceiling-rate programme (operator); applies from the next charge')
    .requiredOption('--programme <id>', 'the programme, e.g. anhui-2025-compute')
    .requiredOption('--tenant <id>', 'the tenant')
    .requiredOption('--rate <percent>', "the rate, at most the programme's ceiling, e.g. 15%", rateArgument)
    .option('--commitment <id>', 'only for this commitment (application or contract)')
    .action(async (opts: { programme: string; tenant: string; rate: number; commitment?: string }, cmd: Command) => {
      const client = await ctx.client(cmd);
      await client.json('POST', `/programmes/${encodeURIComponent(opts.programme)}/awarded-rates`, {
        body: JSON.stringify({
          tenantId: opts.tenant,
          basisPoints: opts.rate,
          ...(opts.commitment ? { commitmentId: opts.commitment } : {}),
        }),
        headers: JSON_BODY,
      });
      const under = opts.commitment ? ` for commitment ${opts.commitment}` : '';
      ctx.out(`${opts.programme}: ${opts.tenant} awarded ${percent(opts.rate)}${under}, from the next charge\n`);
    });

  programmes
    .command('awarded')
    .description("the office's awarded rates in force (operator)")
    .option('--programme <id>', 'only this programme')
    .option('--tenant <id>', 'only this tenant')
    .option('--json', 'print the API response as JSON')
    .action(async (opts: { programme?: string; tenant?: string; json?: boolean }, cmd: Command) => {
      const client = await ctx.client(cmd);
      const { body } = await client.json<List<AwardedRateView>>('GET', '/programmes/awarded-rates');
      const items = body.items.filter(
        (r) =>
          (opts.programme === undefined || r.programmeId === opts.programme) &&
          (opts.tenant === undefined || r.tenantId === opts.tenant),
      );
      ctx.out(opts.json ? json({ items }) : awardedTable(items));
    });

  programmes
    .command('claims')
    .description('claims on pro-rata budgets not yet settled by a period close (operator)')
    .option('--json', 'print the API response as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const client = await ctx.client(cmd);
      const { body } = await client.json<List<ProgrammeClaimsView>>('GET', '/programmes/claims');
      if (opts.json) return ctx.out(json(body));
      if (body.items.length === 0) return ctx.out('No outstanding claims.\n');
      ctx.out(
        table(
          [
            { header: 'PROGRAMME' },
            { header: 'CLAIMS', align: 'right' },
            { header: 'CLAIMED', align: 'right' },
            { header: 'OLDEST' },
          ],
          body.items.map((c) => [c.programmeId, String(c.claims), money(c.claimedFen), dateTime(c.oldest)]),
        ),
      );
    });

  programmes
    .command('close')
    .description(
      "close an ended period of a pro-rata programme (operator): its claims scaled to the funders' pools and paid, once",
    )
    .requiredOption('--programme <id>', 'the programme')
    .requiredOption('--period <period>', "of the programme's budget.period: 2026, 2026-Q4 or 2026-11")
    .option('--dry-run', 'show what the close would pay now; post nothing')
    .option('--json', 'print the API response as JSON')
    .action(async (opts: { programme: string; period: string; dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const client = await ctx.client(cmd);
      const { body } = await client.json<CloseResult>(
        'POST',
        `/programmes/${encodeURIComponent(opts.programme)}/closes`,
        { body: JSON.stringify({ period: opts.period, dryRun: opts.dryRun === true }), headers: JSON_BODY },
      );
      ctx.out(opts.json ? json(body) : closeReport(body.close, body.created));
    });

  programmes
    .command('closes')
    .description("a pro-rata programme's period closes, newest first (operator)")
    .requiredOption('--programme <id>', 'the programme')
    .option('--json', 'print the API response as JSON')
    .action(async (opts: { programme: string; json?: boolean }, cmd: Command) => {
      const client = await ctx.client(cmd);
      const { body } = await client.json<List<CloseView>>(
        'GET',
        `/programmes/${encodeURIComponent(opts.programme)}/closes`,
      );
      if (opts.json) return ctx.out(json(body));
      if (body.items.length === 0) return ctx.out(`No closes of ${opts.programme}.\n`);
      ctx.out(
        table(
          [
            { header: 'PERIOD' },
            { header: 'CLAIMED', align: 'right' },
            { header: 'PAID', align: 'right' },
            { header: 'PAYEES', align: 'right' },
            { header: 'CLOSED' },
            { header: 'BY' },
          ],
          body.items.map((c) => [
            c.period,
            money(c.claimedFen),
            money(c.paidFen),
            String(c.payments.length),
            dateTime(c.closedAt),
            c.closedBy,
          ]),
        ),
      );
    });

  programmes
    .command('validate')
    .description('check programme files together; print every problem as file:line:column, exit 1 on any')
    .argument('<files...>', 'programme YAML files')
    .action(async (files: string[]) => {
      const { loaded, errors } = await loadProgrammeFiles(files.map((f) => resolve(f)));
      for (const e of errors) ctx.err(`${formatProgrammeError(e)}\n`);
      const failed = new Set(errors.map((e) => e.file));
      for (const l of loaded) if (!failed.has(l.file)) ctx.out(`${l.file}: OK ${programmeSummary(l.programme)}\n`);
      if (errors.length > 0)
        throw new CliError(
          `${errors.length} problem${errors.length === 1 ? '' : 's'} in ${failed.size} of ${files.length} ` +
            `file${files.length === 1 ? '' : 's'}`,
        );
    });
}
