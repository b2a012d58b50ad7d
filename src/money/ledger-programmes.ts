/**
 * The programmes the ledger posts awards for: the subsidy programmes of the shipped `programmes/` folder with the
 * pure evaluator, and an audit-log entry whenever a programme appears or its terms change between starts (so that
 * who-changed-what for money rules is answered the same way as for prices).
 */
import { createHash } from 'node:crypto';
import { evaluateSubsidies } from '../core/money/programmes/evaluate.ts';
import { formatYuan } from '../core/money/amount.ts';
import { addDays, chinaCivilDate } from '../core/money/programmes/calendar.ts';
import { formatBasisPoints } from '../core/money/programmes/rates.ts';
import type { Programme, SubsidyProgramme, VoucherProgramme } from '../core/money/programmes/types.ts';
import { issuableFaceValue, voucherLastDay } from '../core/money/programmes/vouchers.ts';
import type { Store } from '../store/index.ts';
import type { SubsidySource } from '../store/ledger/index.ts';
import { loadShippedProgrammes } from './programme-files.ts';

/** A stable digest of a programme's parsed terms (bigints as strings, keys in their declared order). */
export function programmeDigest(programme: Programme): string {
  const text = JSON.stringify(programme, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Records `programme.add` or `programme.change` for each programme whose digest differs from the last one the audit
 * log holds. Returns the ids recorded.
 */
export async function auditProgrammeChanges(
  store: Store,
  programmes: readonly Programme[],
  at: Date,
  actor = 'programmes-folder',
): Promise<string[]> {
  const recorded: string[] = [];
  for (const programme of programmes) {
    const id = programme.metadata.id;
    const digest = programmeDigest(programme);
    const [last] = await store.audit.list({ objectType: 'programme', objectId: id, limit: 1 });
    const before = last?.after as { version?: string; digest?: string } | undefined;
    if (before?.digest === digest) continue;
    await store.audit.record({
      at,
      actor,
      action: last ? 'programme.change' : 'programme.add',
      objectType: 'programme',
      objectId: id,
      ...(before ? { before } : {}),
      after: { kind: programme.kind, version: programme.metadata.version, digest },
    });
    recorded.push(id);
  }
  return recorded;
}

/**
 * The shipped programmes (audited for changes first), and the subsidy ones with the evaluator for the control loop.
 */
export async function shippedProgrammes(
  store: Store,
  at: Date,
): Promise<{ programmes: Programme[]; subsidies: SubsidySource }> {
  const programmes = await loadShippedProgrammes();
  await auditProgrammeChanges(store, programmes, at);
  return {
    programmes,
    subsidies: {
      programmes: programmes.filter((p): p is SubsidyProgramme => p.kind === 'SubsidyProgramme'),
      evaluate: evaluateSubsidies,
    },
  };
}

export interface VoucherRequest {
  kind: string;
  funder: string;
  faceFen: bigint;
  validTo: Date;
  maxShareBasisPoints: number;
}

/**
 * What is wrong with issuing a voucher under a voucher programme's terms (empty: nothing): its funder, the product,
 * a face value the programme lists, issued while the programme is in force, valid no longer than its validity days,
 * paying no larger share of a charge, and within the tenant's yearly limit given what it was issued this year.
 */
export function voucherTermsProblems(
  programme: VoucherProgramme,
  request: VoucherRequest,
  issuedAt: Date,
  issuedThisYearFen: bigint,
): string[] {
  const problems: string[] = [];
  const id = programme.metadata.id;
  if (!programme.funders.some((f) => f.funder === request.funder))
    problems.push(
      `funder ${request.funder} does not fund ${id} (${programme.funders.map((f) => f.funder).join(', ')})`,
    );
  if (!(programme.usableFor as readonly string[]).includes(request.kind))
    problems.push(`${id} issues ${programme.usableFor.join('/')} vouchers, not ${request.kind}`);
  if (programme.faceValuesFen.length > 0 && !programme.faceValuesFen.includes(request.faceFen))
    problems.push(
      `face value ${formatYuan(request.faceFen)} is not one of ${programme.faceValuesFen.map((f) => formatYuan(f)).join(', ')}`,
    );
  const issuedOn = chinaCivilDate(issuedAt);
  if (issuedOn < programme.validFrom || (programme.validTo !== null && issuedOn > programme.validTo))
    problems.push(`${id} is not in force on ${issuedOn}`);
  // The voucher may be used up to the end of its last day (China Standard Time), exclusive of the next.
  const lastDay = voucherLastDay(programme, issuedOn);
  const end = Date.parse(`${addDays(lastDay, 1)}T00:00:00+08:00`);
  if (request.validTo.getTime() > end)
    problems.push(`a ${id} voucher issued on ${issuedOn} is valid until ${lastDay} at the latest`);
  if (BigInt(request.maxShareBasisPoints) > programme.maxShareOfChargeBasisPoints)
    problems.push(`it may pay at most ${formatBasisPoints(programme.maxShareOfChargeBasisPoints)} of a charge`);
  const left = issuableFaceValue(programme, issuedThisYearFen);
  if (left !== null && request.faceFen > left)
    problems.push(`the tenant may be issued ${formatYuan(left)} more under ${id} this year`);
  return problems;
}
