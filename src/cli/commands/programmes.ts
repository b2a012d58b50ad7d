/**
 * `suanli programmes validate FILE...`: checks subsidy and voucher programme files offline (no server), together, so
 * that repeals, overlapping versions and duplicate ids across files are found too. Each problem is printed as
 * `file:line:column: field: message` (the form editors jump to); exit 1 if there is any.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Programme } from '../../core/money/programmes/types.ts';
import { formatProgrammeError } from '../../core/money/programmes/load.ts';
import { formatYuan } from '../../core/money/amount.ts';
import { loadProgrammeFiles } from '../../money/programme-files.ts';
import type { Context } from '../context.ts';
import { CliError } from '../errors.ts';

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
    .description('subsidy and voucher programme files (docs/programmes.md); works offline');
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
