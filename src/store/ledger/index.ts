/** The ledger repository: posting usage, money operations and reads, over one database. */
import { sql, type Kysely } from 'kysely';
import type { Fen } from '../../core/money/amount.ts';
import type { Database } from '../schema.ts';

import type { AwardedRate } from '../../core/money/programmes/types.ts';
import { recordAudit } from '../audit.ts';
import { inTransaction } from './entries.ts';
import {
  LedgerRefusal,
  expireVouchers,
  fundPool,
  issueVoucher,
  payOut,
  reverseUsageRecord,
  topUp,
  type Actor,
  type NewVoucher,
  type VoucherKind,
} from './operations.ts';
import { noteClaims, recordClaims } from './claims.ts';
import {
  closeProgrammePeriod,
  outstandingClaims,
  readCloses,
  type CloseRequest,
  type PeriodCloseRecord,
} from './period-close.ts';
import { postPendingBatch, type PostingOptions, type PostingReport } from './posting.ts';
import { postStreamBatch, streamBacklog } from './stream.ts';
import { LedgerQueries } from './queries.ts';
import { listSales, recordSale, reverseSale, type NewSale, type SaleChargeOptions, type SaleFilter } from './sales.ts';

export interface StoredVoucher {
  id: string;
  kind: VoucherKind;
  tenantId: string;
  programmeId: string;
  funder: string;
  faceFen: Fen;
  remainingFen: Fen;
  validFrom: Date;
  validTo: Date;
  providers: string[];
  products: string[];
  maxShareBasisPoints: number;
  issuedBy: string;
  issuedAt: Date;
}

export class LedgerRepo extends LedgerQueries {
  constructor(private readonly database: Kysely<Database>) {
    super(database);
  }

  /**
   * Posts new usage records (the stream past its position, stream.ts) and queued ones (unpriced before, or reversed
   * and queued again), batch after batch (one database transaction each), until nothing postable is left or
   * `maxBatches` ran. Safe to run from several processes at once.
   */
  async postPending(options: PostingOptions & { maxBatches?: number }): Promise<PostingReport> {
    const total: PostingReport = { posted: 0, transactions: 0, unpriced: [] };
    for (let batch = 0; batch < (options.maxBatches ?? 100); batch++) {
      const { reports, more } = await inTransaction(this.database, async (tx) => {
        // Claims on pro-rata budgets are noted as the batch evaluates and stored with its entries (claims.ts).
        const claims = await noteClaims(tx, options.subsidies);
        const batchOptions = { ...options, subsidies: claims.source, notedClaims: claims.noted };
        // The queue's due records first, once per call: they have waited longest (no price before, or charged
        // again), and a stream that never runs dry within a call would otherwise keep them waiting.
        const first = batch === 0 ? await postPendingBatch(tx, batchOptions) : null;
        const stream = await postStreamBatch(tx, batchOptions);
        const queued = stream.taken > 0 || first ? null : await postPendingBatch(tx, batchOptions);
        await recordClaims(tx, claims.noted, options.now);
        return {
          reports: [first, stream, queued].filter((r) => r !== null),
          more: stream.taken > 0 || (first?.posted ?? 0) > 0 || (queued?.posted ?? 0) > 0,
        };
      });
      for (const report of reports) {
        total.posted += report.posted;
        total.transactions += report.transactions;
        total.unpriced.push(...report.unpriced);
      }
      if (!more) break;
    }
    return total;
  }

  /** Queues usage records to be posted again (a replay: their entries exist, so nothing new is written). */
  async requeue(usageRecordIds: string[]): Promise<void> {
    if (usageRecordIds.length === 0) return;
    await this.database
      .insertInto('posting_queue')
      .values(usageRecordIds.map((id) => ({ usage_record_id: id })))
      .onConflict((oc) => oc.column('usage_record_id').doNothing())
      .execute();
  }

  /** Usage records waiting for a price, with the reason. */
  async unpriced(): Promise<Array<{ usageRecordId: string; reason: string; attempts: number }>> {
    const rows = await this.database
      .selectFrom('posting_queue')
      .select(['usage_record_id', 'unpriced_reason', 'attempts'])
      .where('unpriced_reason', 'is not', null)
      .orderBy('enqueued_at')
      .execute();
    return rows.map((r) => ({
      usageRecordId: r.usage_record_id,
      reason: r.unpriced_reason ?? '',
      attempts: r.attempts,
    }));
  }

  /** Usage records waiting to be charged: new ones past the stream position, and queued ones. */
  async queued(): Promise<number> {
    const row = await this.database
      .selectFrom('posting_queue')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n) + (await streamBacklog(this.database));
  }

  topUp(input: Actor & { tenantId: string; fen: Fen; reference: string }) {
    return topUp(this.database, input);
  }

  payOut(input: Actor & { providerId: string; fen: Fen; reference: string }) {
    return payOut(this.database, input);
  }

  fundPool(input: Actor & { programmeId: string; funder: string; fen: Fen; reference: string }) {
    return fundPool(this.database, input);
  }

  issueVoucher(input: Actor & NewVoucher) {
    return issueVoucher(this.database, input);
  }

  expireVouchers(input: Actor) {
    return expireVouchers(this.database, input);
  }

  reverseUsageRecord(input: Actor & { usageRecordId: string; reason: string; requeue?: boolean }) {
    return reverseUsageRecord(this.database, input);
  }

  /** Records a provider's sale of a model service or corpus to a tenant and charges it (sales.ts). */
  recordSale(input: Actor & NewSale, options?: SaleChargeOptions) {
    return recordSale(this.database, input, options);
  }

  /** Sales, newest first, with what vouchers paid of them and the subsidies awarded on them. */
  sales(filter: SaleFilter = {}) {
    return listSales(this.database, filter);
  }

  /** Reverses a sale's entries (charge, vouchers, subsidies) not reversed yet. */
  reverseSale(input: Actor & { saleId: string; reason: string }) {
    return reverseSale(this.database, input);
  }

  /** Closes a period of a pro-rata-at-close programme: scales its claims to its pools and pays them (period-close.ts). */
  closePeriod(request: CloseRequest): Promise<{ close: PeriodCloseRecord; created: boolean }> {
    return closeProgrammePeriod(this.database, request);
  }

  /** The period closes made, of one programme or all, newest period first. */
  periodCloses(programmeId?: string): Promise<PeriodCloseRecord[]> {
    return readCloses(this.database, programmeId);
  }

  /** Claims on pro-rata budgets that no close has settled yet, per programme. */
  outstandingClaims() {
    return outstandingClaims(this.database);
  }

  /** Records the office's rate for a tenant (and optionally one commitment) in a ceiling-rate programme. */
  async setAwardedRate(
    input: Actor & { programmeId: string; tenantId: string; commitmentId?: string; basisPoints: number },
  ): Promise<void> {
    await inTransaction(this.database, async (tx) => {
      if (!(await tx.selectFrom('tenants').select('id').where('id', '=', input.tenantId).executeTakeFirst()))
        throw new LedgerRefusal('not-found', `no tenant ${input.tenantId}`);
      const [before] = (await this.awardedRatesIn(tx)).filter(
        (r) =>
          r.programmeId === input.programmeId &&
          r.tenantId === input.tenantId &&
          (r.commitmentId ?? null) === (input.commitmentId ?? null),
      );
      await tx
        .insertInto('programme_awarded_rates')
        .values({
          programme_id: input.programmeId,
          tenant_id: input.tenantId,
          commitment_id: input.commitmentId ?? null,
          basis_points: input.basisPoints,
          decided_by: input.actor,
          decided_at: input.at,
        })
        .execute();
      await recordAudit(tx, {
        ...input,
        action: 'programme.award-rate',
        objectType: 'programme',
        objectId: input.programmeId,
        ...(before ? { before: { ...before, basisPoints: before.basisPoints.toString() } } : {}),
        after: {
          tenantId: input.tenantId,
          commitmentId: input.commitmentId ?? null,
          basisPoints: input.basisPoints,
        },
      });
    });
  }

  /** The office's rates in force: the latest decision per programme, tenant and commitment. */
  awardedRates(): Promise<AwardedRate[]> {
    return this.awardedRatesIn(this.database);
  }

  private async awardedRatesIn(db: Kysely<Database>): Promise<AwardedRate[]> {
    const rows = await sql<{
      programme_id: string;
      tenant_id: string;
      commitment_id: string | null;
      basis_points: number;
    }>`select distinct on (programme_id, tenant_id, coalesce(commitment_id, ''))
        programme_id, tenant_id, commitment_id, basis_points
      from programme_awarded_rates order by programme_id, tenant_id, coalesce(commitment_id, ''), id desc`.execute(db);
    return rows.rows.map((r) => ({
      programmeId: r.programme_id,
      tenantId: r.tenant_id,
      ...(r.commitment_id === null ? {} : { commitmentId: r.commitment_id }),
      basisPoints: BigInt(r.basis_points),
    }));
  }

  /** Face value issued to a tenant under a programme in a natural year (China Standard Time). */
  async issuedFaceInYear(programmeId: string, tenantId: string, year: number): Promise<Fen> {
    const row = await sql<{ fen: string | null }>`select sum(face_fen)::text as fen from vouchers
      where programme_id = ${programmeId} and tenant_id = ${tenantId}
        and extract(year from issued_at at time zone 'Asia/Shanghai') = ${year}`.execute(this.database);
    return BigInt(row.rows[0]?.fen ?? '0');
  }

  /** One voucher by its id, whoever holds it. */
  async voucher(id: string): Promise<StoredVoucher | undefined> {
    return (await this.vouchers(undefined, id))[0];
  }

  /** Vouchers, newest first; a tenant id limits them to that tenant's. */
  async vouchers(tenantId?: string, id?: string): Promise<StoredVoucher[]> {
    let query = this.database
      .selectFrom('vouchers as v')
      .leftJoin('ledger_accounts as a', (join) => join.on(sql<boolean>`a.id = 'voucher-liability:' || v.id`))
      .selectAll('v')
      .select('a.balance_fen');
    if (tenantId !== undefined) query = query.where('v.tenant_id', '=', tenantId);
    if (id !== undefined) query = query.where('v.id', '=', id);
    const rows = await query.orderBy('v.issued_at', 'desc').orderBy('v.id').execute();
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind as VoucherKind,
      tenantId: r.tenant_id,
      programmeId: r.programme_id,
      funder: r.funder,
      faceFen: BigInt(r.face_fen),
      remainingFen: -BigInt(r.balance_fen ?? '0'),
      validFrom: r.valid_from,
      validTo: r.valid_to,
      providers: r.providers,
      products: r.products,
      maxShareBasisPoints: r.max_share_bp,
      issuedBy: r.issued_by,
      issuedAt: r.issued_at,
    }));
  }
}

export * from './accounts.ts';
export { LedgerRefusal, VOUCHER_KINDS, type VoucherKind, type NewVoucher } from './operations.ts';
export type { ClosedPayment, CloseRequest, PeriodCloseRecord } from './period-close.ts';
export { chinaYear, type PostingReport, type SubsidySource } from './posting.ts';
export { LEDGER_BATCH } from './stream.ts';
export {
  SALE_KINDS,
  type NewSale,
  type SaleChargeOptions,
  type SaleFilter,
  type SaleKind,
  type StoredSale,
} from './sales.ts';
export { monthRange, type Payout, type PoolStanding, type Statement, type StatementLine } from './queries.ts';
export { reportPeriod, type Flow, type LedgerReport, type MonthlyReport, type ReportPeriod } from './report.ts';
export { PURPOSES, type LedgerEntry, type Purpose } from './entries.ts';
export type { SubsidyProgramme } from '../../core/money/programmes/types.ts';
