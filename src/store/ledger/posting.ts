/**
 * Posting metered usage to the ledger with transactions of its own per record: for the records stream.ts finds a
 * voucher or programme draws on, and for the posting queue (records that had no price yet, records reversed and
 * charged again, replays), a batch at a time, in one database transaction per batch:
 *
 *   1. rate each usage record with its pool's versioned prices (core `rate`, rounded once by the provider's
 *      rule) and post the charge: the tenant's wallet debited, the provider's payable and the platform fee credited;
 *   2. spend the tenant's usable compute vouchers on it, soonest-expiring first, up to each voucher's remaining value
 *      and its largest share of a charge: the voucher's liability pays that part of the charge for the tenant;
 *   3. ask the subsidy evaluator what the programmes award for the charge and pay each award from the programme's
 *      pool per funder (or from the funder, for a programme without a budget pool) to the tenant or the provider.
 *
 * Every entry has an idempotency key per usage record, generation and purpose, so posting a record again writes
 * nothing; a queue row goes in the same transaction as the entries, so a crash loses or doubles nothing. A record
 * with no price in force is not charged: it stays queued with the reason (and is tried again later). A record the
 * stream charged as a line (charge-lines.ts) has no key of its own: a replay of it from the queue is left as it is.
 *
 * Steps 1-3 work on a `ChargeSubject`, not on usage as such: a provider's sale of a model service or corpus
 * (sales.ts) is charged by the same functions, with vouchers of its kind and the programmes whose base includes it.
 */
import { findAccelerator } from '../../core/accelerators.ts';
import { NoPriceError, PriceBookError, type PriceBook, type PriceVersion } from '../../core/money/price-book.ts';
import { rate, type Charge } from '../../core/money/rating.ts';
import { chargeTransaction, type Posting } from '../../core/money/ledger.ts';
import { mulBasisPoints } from '../../core/money/amount.ts';
import type {
  EvaluateSubsidies,
  EvaluationOptions,
  ProgrammeLedgerView,
  SpendEvent,
  SubsidyAward,
  SubsidyProgramme,
  VoucherProgramme,
} from '../../core/money/programmes/types.ts';
import { chinaCivilDate } from '../../core/money/programmes/calendar.ts';
import { voucherCoverage } from '../../core/money/programmes/vouchers.ts';
import { uuidv7 } from '../ids.ts';
import {
  PLATFORM_FEE_ACCOUNT,
  funderAccount,
  programmePool,
  providerPayable,
  tenantWallet,
  voucherLiability,
} from './accounts.ts';
import { linedRecords } from './charge-lines.ts';
import { writeEntries, type Db, type LedgerEntry } from './entries.ts';
import {
  awardedSoFar,
  lockPools,
  lockVouchers,
  postedKeys,
  requeueUnpriced,
  takePending,
  tenantYearKey,
  type ChargeSubject,
  type PendingUsage,
  type UsableVoucher,
} from './pending.ts';

/** The subsidy programmes in force and the evaluator that reads them (the programmes' own module). */
export interface SubsidySource {
  programmes: readonly SubsidyProgramme[];
  evaluate: EvaluateSubsidies;
  options?: EvaluationOptions;
}

export interface PostingOptions {
  now: Date;
  /** Most usage records in one batch (one database transaction). */
  limit?: number;
  subsidies?: SubsidySource | undefined;
  /** Voucher programmes of programmes/: a voucher issued under one pays only what the programme's terms allow. */
  voucherProgrammes?: readonly VoucherProgramme[] | undefined;
  /** An unpriced record is tried again once its last attempt is this old (default 60 s). */
  retryUnpricedAfterMs?: number;
  actor?: string;
  /**
   * The claims the batch's evaluator notes (claims.ts), to see which records a claim was made on: those are posted
   * with a charge of their own, which the claim names.
   */
  notedClaims?: readonly unknown[];
}

export interface Unpriced {
  usageRecordId: string;
  reason: string;
}

export interface PostingReport {
  /** Usage records taken off the queue (charged, or replays of records charged before). */
  posted: number;
  /** Ledger transactions written. */
  transactions: number;
  unpriced: Unpriced[];
}

/** The natural year of an instant in China Standard Time (UTC+8, no daylight saving), as the programmes count it. */
export const chinaYear = (at: Date): number => new Date(at.getTime() + 8 * 3_600_000).getUTCFullYear();

/** Posts one batch of queued usage records; call inside a database transaction. */
export async function postPendingBatch(tx: Db, options: PostingOptions): Promise<PostingReport> {
  const retryBefore = new Date(options.now.getTime() - (options.retryUnpricedAfterMs ?? 60_000));
  const { pending, queue, prices } = await takePending(tx, options.limit ?? 1000, retryBefore);
  const report: PostingReport = { posted: 0, transactions: 0, unpriced: [] };
  if (pending.length === 0) return report;
  const books = priceBooks(pending, prices);
  const done = await postedKeys(
    tx,
    pending.map((u) => u.id),
  );
  const ended = pending.map((u) => u.endedAt.getTime());
  const vouchers = await lockVouchers(
    tx,
    [...new Set(pending.map((u) => u.tenantId))],
    new Date(Math.min(...ended)),
    new Date(Math.max(...ended)),
  );
  const subsidies = options.subsidies ? await subsidyState(tx, options.subsidies, pending) : null;
  const entries: LedgerEntry[] = [];
  const posted: string[] = [];
  // A replay of a record the stream charged as a line (stream.ts) finds no key of its own: it is left as it is.
  const lined = await linedRecords(
    tx,
    pending.filter((u) => u.generation === 0).map((u) => u.id),
  );
  for (const usage of pending) {
    const charge = rateUsage(usage, books);
    if (typeof charge === 'string') {
      report.unpriced.push({ usageRecordId: usage.id, reason: charge });
      continue;
    }
    posted.push(usage.id);
    if (usage.generation === 0 && lined.has(usage.id)) continue;
    entries.push(...usageEntries(usage, charge, { ...options, done, vouchers, subsidyState: subsidies }));
  }
  // Every entry's key was looked up above (`done`) and entries with a posted key were left out.
  const written = await writeEntries(tx, entries, { newKeysOnly: true });
  await requeueUnpriced(
    tx,
    report.unpriced.map((u) => ({ row: queue.get(u.usageRecordId)!, reason: u.reason })),
    options.now,
  );
  report.posted = posted.length;
  report.transactions = written.size;
  return report;
}

/** A usage record's charge at its pool's prices, or why it cannot be priced yet. */
export function rateUsage(usage: PendingUsage, books: Map<string, PriceBook>): Charge | string {
  try {
    const ratable = {
      id: usage.id,
      poolId: usage.poolId ?? '',
      acceleratorModel: usage.acceleratorModel,
      startedAt: usage.startedAt,
      endedAt: usage.endedAt,
      acceleratorSeconds: usage.acceleratorSeconds,
    };
    return rate(ratable, books.get(usage.poolId ?? '') ?? emptyBook(usage));
  } catch (error) {
    if (!(error instanceof NoPriceError || error instanceof PriceBookError)) throw error;
    return error.message;
  }
}

/** The entries charging one rated usage record with transactions of its own: charge, vouchers, subsidies. */
export function usageEntries(
  usage: PendingUsage,
  charge: Charge,
  state: Pick<PostingOptions, 'now' | 'actor' | 'voucherProgrammes'> & {
    done: Set<string>;
    vouchers: UsableVoucher[];
    subsidyState: SubsidyState | null;
  },
): LedgerEntry[] {
  const context = { subject: usage, fen: charge.fen, done: state.done, actor: state.actor ?? 'ledger' };
  const reason = `usage charge (${charge.priceBookId} ${charge.priceVersion})`;
  const charged = chargeEntry(context, state.now, reason, () => chargeDetail(usage, charge));
  return spendEntries(context, charged, state.now, state.vouchers, state.voucherProgrammes ?? [], state.subsidyState);
}

/** Each pool's price book: its versions, rounded by its provider's rule. */
export function priceBooks(pending: PendingUsage[], prices: Map<string, PriceVersion[]>): Map<string, PriceBook> {
  const books = new Map<string, PriceBook>();
  for (const usage of pending) {
    if (!usage.poolId || books.has(usage.poolId)) continue;
    books.set(usage.poolId, {
      id: `pool ${usage.poolId}`,
      rounding: usage.provider.rounding,
      prices: prices.get(usage.poolId) ?? [],
    });
  }
  return books;
}

const emptyBook = (usage: PendingUsage): PriceBook => ({
  id: `pool ${usage.poolId ?? '(none)'}`,
  rounding: usage.provider.rounding,
  prices: [],
});

export interface EntryContext {
  subject: ChargeSubject;
  /** The charge, whole fen: rated from metered usage, or a sale's price. */
  fen: bigint;
  /** Keys posted before: an entry with one of these is left out (a replay). */
  done: Set<string>;
  actor: string;
}

const keyOf = (subject: ChargeSubject, purpose: string) => `${subject.key}:${purpose}`;

/**
 * The entries charging a subject, given its charge entry (null: charged before, or nothing to charge): the charge,
 * the vouchers of its kind spent on it, and the subsidies its programmes award.
 */
export function spendEntries(
  context: EntryContext,
  charge: LedgerEntry | null,
  now: Date,
  vouchers: UsableVoucher[],
  voucherProgrammes: readonly VoucherProgramme[],
  subsidies: SubsidyState | null,
): LedgerEntry[] {
  const entries = charge === null ? [] : [charge, ...voucherEntries(context, now, vouchers, voucherProgrammes)];
  if (subsidies) entries.push(...subsidyEntries(context, now, subsidies, paidFen(context.fen, entries)));
  return entries;
}

/** What the tenant paid itself for the charge: the charge less the vouchers spent on it in `entries` (its own). */
function paidFen(fen: bigint, entries: LedgerEntry[]): bigint {
  const voucherPaid = entries
    .filter((e) => e.purpose === 'voucher-apply')
    .reduce((sum, e) => sum + (e.postings[0]?.fen ?? 0n), 0n);
  return fen - voucherPaid;
}

/**
 * The charge itself (core `chargeTransaction`): the tenant's wallet debited the whole charge, the platform fee
 * credited its share and the provider's payable the rest. Null when it was posted before or is zero.
 */
export function chargeEntry(
  context: EntryContext,
  now: Date,
  reason: string,
  detail: () => Record<string, unknown>,
): LedgerEntry | null {
  const { subject, fen, done, actor } = context;
  const key = keyOf(subject, 'charge');
  if (done.has(key)) return null;
  const tx = chargeTransaction(
    { fen, usageRecordId: null, priceBookId: '', priceVersion: '' },
    {
      tenantWallet: tenantWallet(subject.tenantId),
      providerPayable: providerPayable(subject.providerId),
      platformFee: PLATFORM_FEE_ACCOUNT,
      feeBasisPoints: subject.provider.feeBp,
    },
    { id: uuidv7(now.getTime()), at: subject.at, reason },
  );
  if (tx === null) return null;
  // Spelled out rather than spread from `tx`: an object spread from another is built property by property into a
  // larger, slower object, and there is one of these per usage record.
  return {
    id: tx.id,
    at: tx.at,
    reason: tx.reason,
    links: subject.links,
    postings: tx.postings,
    tenantId: subject.tenantId,
    providerId: subject.providerId,
    recordedBy: actor,
    purpose: 'charge',
    idempotencyKey: key,
    detail: detail(),
  };
}

/**
 * The tenant's vouchers (of the subject's kind, as `lockVouchers` read them) spent on the charge, soonest-expiring
 * first, each up to its remaining value and its largest share of the charge, and under a voucher programme what its
 * terms allow: voucher liability debited, tenant wallet credited (the provider is paid in full by the charge).
 */
function voucherEntries(
  context: EntryContext,
  now: Date,
  vouchers: UsableVoucher[],
  voucherProgrammes: readonly VoucherProgramme[],
): LedgerEntry[] {
  const { subject, fen, done, actor } = context;
  const entries: LedgerEntry[] = [];
  let left = fen;
  for (const voucher of vouchers) {
    if (left === 0n) break;
    if (!voucherCovers(voucher, subject)) continue;
    const cap = mulBasisPoints(fen, voucher.maxShareBp, 'down');
    const limits = [voucher.remainingFen, left, cap];
    // Under a voucher programme its own terms (eligibility, where it applies, its share, its days) limit it too.
    const programme = voucherProgrammes.find((p) => p.metadata.id === voucher.programmeId);
    let terms: string[] = [];
    if (programme) {
      const coverage = voucherCoverage(programme, spendEvent(subject, fen, fen), {
        balanceFen: voucher.remainingFen,
        issuedOn: chinaCivilDate(voucher.issuedAt),
      });
      limits.push(coverage.amountFen);
      terms = coverage.reasons;
    }
    const use = limits.reduce((a, b) => (b < a ? b : a));
    if (use <= 0n) continue;
    const voucherKey = keyOf(subject, `voucher:${voucher.id}`);
    if (done.has(voucherKey)) continue;
    voucher.remainingFen -= use;
    left -= use;
    entries.push({
      tenantId: subject.tenantId,
      providerId: subject.providerId,
      recordedBy: actor,
      id: uuidv7(now.getTime()),
      at: subject.at,
      purpose: 'voucher-apply',
      reason: `voucher ${voucher.id} pays ${use} fen of the charge for ${describe(subject)}`,
      idempotencyKey: voucherKey,
      links: { ...subject.links, voucherId: voucher.id },
      detail: { programmeId: voucher.programmeId, terms },
      postings: [
        { accountId: voucherLiability(voucher.id), fen: use },
        { accountId: tenantWallet(subject.tenantId), fen: -use },
      ],
    });
  }
  return entries;
}

const describe = (subject: ChargeSubject) =>
  subject.links.saleId !== undefined ? `sale ${subject.id}` : `usage ${subject.id}`;

function voucherCovers(voucher: UsableVoucher, subject: ChargeSubject): boolean {
  const at = subject.at.getTime();
  return (
    voucher.tenantId === subject.tenantId &&
    voucher.remainingFen > 0n &&
    voucher.validFrom.getTime() <= at &&
    at < voucher.validTo.getTime() &&
    (voucher.providers.length === 0 || voucher.providers.includes(subject.providerId)) &&
    (voucher.products.length === 0 || voucher.products.includes(subject.product))
  );
}

function chargeDetail(usage: PendingUsage, charge: Charge): Record<string, unknown> {
  return {
    poolId: usage.poolId,
    acceleratorModel: usage.acceleratorModel,
    acceleratorSeconds: charge.acceleratorSeconds.toString(),
    startedAt: usage.startedAt.toISOString(),
    endedAt: usage.endedAt.toISOString(),
    priceVersion: charge.priceVersion,
    unitPriceFen: charge.unitPriceFen?.toString() ?? null,
    rounding: charge.rounding,
    feeBasisPoints: usage.provider.feeBp,
    // A run under one price is fully described above; the parts matter (and are kept) only when it was split.
    parts:
      charge.parts.length === 1
        ? []
        : charge.parts.map((p) => ({
            priceVersion: p.priceVersion,
            unitPriceFen: p.unitPriceFen.toString(),
            from: p.from.toISOString(),
            to: p.to.toISOString(),
            acceleratorSeconds: p.acceleratorSeconds.toString(),
            fen: p.fen.toString(),
          })),
  };
}

/** The ledger's answers to the evaluator, read once per batch and kept up to date as the batch awards. */
export interface SubsidyState {
  source: SubsidySource;
  poolRemaining: Map<string, bigint>;
  byProgramme: Map<string, bigint>;
  byTenantYear: Map<string, bigint>;
}

export async function subsidyState(
  tx: Db,
  source: SubsidySource,
  pending: readonly ChargeSubject[],
): Promise<SubsidyState> {
  const programmeIds = source.programmes.map((p) => p.metadata.id);
  const pools = source.programmes
    .filter((p) => p.budget !== null)
    .flatMap((p) => p.funders.map((f) => ({ programmeId: p.metadata.id, funder: f.funder })));
  const poolRemaining = await lockPools(tx, pools);
  const awarded = await awardedSoFar(tx, programmeIds, [...new Set(pending.map((u) => u.tenantId))]);
  return { source, poolRemaining, ...awarded };
}

function ledgerView(state: SubsidyState): ProgrammeLedgerView {
  return {
    awardedToTenantInYear: (programmeId, tenantId, year) =>
      state.byTenantYear.get(tenantYearKey(programmeId, tenantId, year)) ?? 0n,
    awardedInProgramme: (programmeId) => state.byProgramme.get(programmeId) ?? 0n,
    poolRemaining: (programmeId, funder) => state.poolRemaining.get(programmePool(programmeId, funder)) ?? 0n,
  };
}

/** What the programmes are asked about: a charge of its kind. A sale names no accelerator (and no domestic chip). */
function spendEvent(subject: ChargeSubject, fen: bigint, paid: bigint): SpendEvent {
  const compute = subject.kind === 'compute';
  return {
    id: subject.id,
    at: subject.at,
    kind: subject.kind,
    tenant: { id: subject.tenantId, ...subject.tenant },
    provider: {
      id: subject.providerId,
      city: subject.provider.city,
      regions: subject.provider.regions,
      ownerOrganisation: subject.provider.ownerOrganisation,
    },
    project: { id: subject.projectId ?? '', regions: subject.projectRegions },
    acceleratorModel: compute ? subject.product : '',
    domestic: compute && (findAccelerator(subject.product)?.domestic ?? false),
    meteredFen: fen,
    paidFen: paid,
  };
}

function subsidyEntries(context: EntryContext, now: Date, state: SubsidyState, paid: bigint): LedgerEntry[] {
  const { subject, fen, done, actor } = context;
  if (fen === 0n) return [];
  const evaluation = state.source.evaluate(
    state.source.programmes,
    spendEvent(subject, fen, paid),
    ledgerView(state),
    state.source.options,
  );
  const entries: LedgerEntry[] = [];
  for (const award of evaluation.awards) {
    // A claim is scaled to its pool at period close, not paid per charge.
    if (award.settlement !== 'immediate') continue;
    const key = keyOf(subject, `subsidy:${award.programmeId}:${award.ruleId}`);
    if (done.has(key)) continue;
    const entry = awardEntry(award, subject, state, { id: uuidv7(now.getTime()), key, actor });
    if (entry) entries.push(entry);
  }
  return entries;
}

/**
 * The transaction paying one award: each funder's share from its pool of the programme (cut to what the pool holds,
 * as the database would refuse more) or, for a programme without a budget, from the funder itself.
 */
function awardEntry(
  award: SubsidyAward,
  subject: ChargeSubject,
  state: SubsidyState,
  ids: { id: string; key: string; actor: string },
): LedgerEntry | null {
  const programme = state.source.programmes.find((p) => p.metadata.id === award.programmeId);
  const budgeted = programme?.budget !== null && programme !== undefined;
  const postings: Posting[] = [];
  let total = 0n;
  const paidByFunder: Array<{ funder: string; fen: string }> = [];
  for (const share of award.byFunder) {
    let fen = share.amountFen;
    if (budgeted) {
      const pool = programmePool(award.programmeId, share.funder);
      const left = state.poolRemaining.get(pool) ?? 0n;
      if (fen > left) fen = left;
      state.poolRemaining.set(pool, left - fen);
    }
    if (fen <= 0n) continue;
    postings.push({
      accountId: budgeted ? programmePool(award.programmeId, share.funder) : funderAccount(share.funder),
      fen,
    });
    paidByFunder.push({ funder: share.funder, fen: fen.toString() });
    total += fen;
  }
  if (total === 0n) return null;
  const payee = award.payee === 'tenant' ? tenantWallet(subject.tenantId) : providerPayable(subject.providerId);
  postings.push({ accountId: payee, fen: -total });
  const year = tenantYearKey(award.programmeId, subject.tenantId, chinaYear(subject.at));
  state.byTenantYear.set(year, (state.byTenantYear.get(year) ?? 0n) + total);
  state.byProgramme.set(award.programmeId, (state.byProgramme.get(award.programmeId) ?? 0n) + total);
  return {
    id: ids.id,
    at: subject.at,
    purpose: 'subsidy',
    reason: `${award.programmeId} v${award.programmeVersion} rule ${award.ruleId}: ${total} fen to the ${award.payee}`,
    idempotencyKey: ids.key,
    links: { ...subject.links, programmeRule: award.ruleId },
    programmeId: award.programmeId,
    programmeVersion: award.programmeVersion,
    tenantId: subject.tenantId,
    providerId: subject.providerId,
    recordedBy: ids.actor,
    postings,
    detail: {
      payee: award.payee,
      baseFen: award.baseFen.toString(),
      rate: `${award.rate.numerator}/${award.rate.denominator}`,
      awardedFen: award.amountFen.toString(),
      paidFen: total.toString(),
      byFunder: paidByFunder,
      ...(award.cappedBy ? { cappedBy: award.cappedBy } : {}),
      ...(total < award.amountFen ? { cutToPool: true } : {}),
      explanation: award.explanation,
    },
  };
}
