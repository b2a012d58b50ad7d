/**
 * Closing a period of a pro-rata-at-close programme: the claims recorded as charges were posted (claims.ts) are
 * scaled to what the funders' pools hold by the core's `closePeriod`, and paid in one database transaction: one
 * ledger transaction per payee, counterparty and rule (each funder's pool debited its part, the tenant's wallet or
 * the provider's payable credited), a settlement row per claim linking it to the transaction that paid it, the
 * close itself, and its audit-log event.
 *
 * A close settles every claim dated before the period's end that no close has settled yet, so a claim posted late
 * (its usage ended in a period already closed) is paid at the next close rather than lost. Closing a period again
 * finds the close (unique per programme and period) and posts nothing; a period before one already closed cannot be
 * closed, since that close took its claims. The pools are locked first, as posting locks them, so a close and a
 * batch making claims on the same programme run one after the other.
 */
import { sql, type Kysely } from 'kysely';
import { formatYuan, type Fen } from '../../core/money/amount.ts';
import { closePeriod, periodToClose, type PeriodClaim } from '../../core/money/programmes/close.ts';
import type { FunderAmount, Payee, SubsidyProgramme } from '../../core/money/programmes/types.ts';
import type { Posting } from '../../core/money/ledger.ts';
import { recordAudit } from '../audit.ts';
import { uuidv7 } from '../ids.ts';
import type { Database } from '../schema.ts';
import { programmePool, providerPayable, tenantWallet } from './accounts.ts';
import { inTransaction, writeEntries, type Db, type LedgerEntry } from './entries.ts';
import { LedgerRefusal } from './operations.ts';
import { lockPools } from './pending.ts';

export interface ClosedPayment {
  payee: Payee;
  payeeId: string;
  claimedFen: Fen;
  paidFen: Fen;
  byFunder: FunderAmount[];
  claims: number;
  /** The ledger transactions that paid it (one per counterparty and rule); none when the pools paid nothing. */
  transactionIds: string[];
}

export interface PeriodCloseRecord {
  /** Empty for a dry run, which stores nothing. */
  id: string;
  programmeId: string;
  programmeVersion: string;
  period: string;
  periodStart: Date;
  periodEnd: Date;
  claimedFen: Fen;
  paidFen: Fen;
  /** What each funder's pool held before the close. */
  poolsBefore: FunderAmount[];
  byFunder: FunderAmount[];
  payments: ClosedPayment[];
  explanation: string[];
  closedBy: string;
  closedAt: Date;
}

export interface CloseRequest {
  programme: SubsidyProgramme;
  period: string;
  /** The clock: a period that has not ended by then is refused. */
  now: Date;
  actor: string;
  /** Compute what the close would pay now, and store nothing. */
  dryRun?: boolean;
}

const UNIQUE_CLOSE = 'programme_period_closes_programme_id_period_key';

/**
 * Closes one period of a programme. Returns the close and whether this call made it (false: it existed, or a dry
 * run). Throws the core's PeriodCloseError for a period the programme or the clock do not allow, and
 * LedgerRefusal('conflict') for a period before one already closed.
 */
export async function closeProgrammePeriod(
  db: Kysely<Database>,
  request: CloseRequest,
): Promise<{ close: PeriodCloseRecord; created: boolean }> {
  const { programme } = request;
  const period = periodToClose(programme, request.period, request.now);
  try {
    return await inTransaction(db, async (tx) => {
      const funders = programme.funders.map((f) => ({ programmeId: programme.metadata.id, funder: f.funder }));
      const pools = await lockPools(tx, funders);
      const existing = await readCloses(tx, programme.metadata.id, period.id);
      if (existing[0] !== undefined) return { close: existing[0], created: false };
      const later = await sql<{ period: string }>`select period from programme_period_closes
        where programme_id = ${programme.metadata.id} and period_end > ${new Date(period.endMs)}
        order by period_end desc limit 1`.execute(tx);
      if (later.rows[0] !== undefined)
        throw new LedgerRefusal(
          'conflict',
          `${programme.metadata.id} ${later.rows[0].period} is closed already and settled every claim before it: ` +
            `${period.id} has nothing left to close`,
        );
      const claims = await openClaims(tx, programme.metadata.id, new Date(period.endMs));
      const remaining = (funder: string) => pools.get(programmePool(programme.metadata.id, funder)) ?? 0n;
      const result = closePeriod({
        programme,
        period: period.id,
        now: request.now,
        claims: claims.map((c) => c.claim),
        poolRemaining: remaining,
      });
      const closeId = request.dryRun ? '' : uuidv7(request.now.getTime());
      const entries: LedgerEntry[] = [];
      const paidBy = new Map<string, string>();
      const payments = result.payments.map((payment): ClosedPayment => {
        const transactionIds: string[] = [];
        const claimedOf = new Map(payment.claims.map((c) => [c.id, c.claimedFen]));
        for (const transfer of payment.transfers) {
          const id = uuidv7(request.now.getTime());
          transactionIds.push(id);
          for (const claimId of transfer.claimIds) paidBy.set(claimId, id);
          const postings: Posting[] = transfer.byFunder
            .filter((f) => f.amountFen > 0n)
            .map((f) => ({ accountId: programmePool(programme.metadata.id, f.funder), fen: f.amountFen }));
          const payeeAccount =
            payment.payee === 'tenant' ? tenantWallet(payment.payeeId) : providerPayable(payment.payeeId);
          postings.push({ accountId: payeeAccount, fen: -transfer.paidFen });
          const claimed = transfer.claimIds.reduce((s, c) => s + (claimedOf.get(c) ?? 0n), 0n);
          entries.push({
            id,
            // Dated the period's last instant: the caps per tenant and natural year, and the monthly report, count
            // the payment in the period of the usage it pays for; recorded_at keeps when the close was made.
            at: new Date(period.endMs - 1),
            purpose: 'subsidy',
            reason:
              `${programme.metadata.id} v${programme.metadata.version} rule ${transfer.ruleId}, close of ${period.id}: ` +
              `${formatYuan(transfer.paidFen)} of ${formatYuan(claimed)} claimed, to the ${payment.payee}`,
            idempotencyKey:
              `close:${programme.metadata.id}:${period.id}:${payment.payee}:${payment.payeeId}:` +
              `${transfer.counterpartyId}:${transfer.ruleId}`,
            links: { programmeRule: transfer.ruleId },
            programmeId: programme.metadata.id,
            programmeVersion: programme.metadata.version,
            tenantId: payment.payee === 'tenant' ? payment.payeeId : transfer.counterpartyId,
            providerId: payment.payee === 'tenant' ? transfer.counterpartyId : payment.payeeId,
            recordedBy: request.actor,
            postings,
            detail: {
              settlement: 'period-close',
              closeId,
              period: period.id,
              claimedFen: claimed.toString(),
              paidFen: transfer.paidFen.toString(),
              byFunder: transfer.byFunder.map((f) => ({ funder: f.funder, fen: f.amountFen.toString() })),
              claims: transfer.claimIds.length,
            },
          });
        }
        return {
          payee: payment.payee,
          payeeId: payment.payeeId,
          claimedFen: payment.claimedFen,
          paidFen: payment.paidFen,
          byFunder: payment.byFunder,
          claims: payment.claims.length,
          transactionIds,
        };
      });
      const close: PeriodCloseRecord = {
        id: closeId,
        programmeId: programme.metadata.id,
        programmeVersion: programme.metadata.version,
        period: period.id,
        periodStart: new Date(period.startMs),
        periodEnd: new Date(period.endMs),
        claimedFen: result.claimedFen,
        paidFen: result.paidFen,
        poolsBefore: programme.funders.map((f) => ({ funder: f.funder, amountFen: remaining(f.funder) })),
        byFunder: result.byFunder,
        payments,
        explanation: result.explanation,
        closedBy: request.actor,
        closedAt: request.now,
      };
      if (request.dryRun) return { close, created: false };
      await sql`insert into programme_period_closes (id, programme_id, programme_version, period, period_start,
          period_end, claimed_fen, paid_fen, detail, closed_by, closed_at)
        values (${close.id}, ${close.programmeId}, ${close.programmeVersion}, ${close.period}, ${close.periodStart},
          ${close.periodEnd}, ${close.claimedFen.toString()}, ${close.paidFen.toString()},
          ${JSON.stringify(detailOf(close))}::jsonb, ${close.closedBy}, ${close.closedAt})`.execute(tx);
      await writeEntries(tx, entries);
      const paidOf = new Map(result.payments.flatMap((p) => p.claims.map((c) => [c.id, c.paidFen] as const)));
      const settlements = claims.map((c) => ({
        claim_id: c.claim.id,
        close_id: close.id,
        paid_fen: (paidOf.get(c.claim.id) ?? 0n).toString(),
        transaction_id: paidBy.get(c.claim.id) ?? null,
      }));
      if (settlements.length > 0)
        await sql`insert into programme_claim_settlements (claim_id, close_id, paid_fen, transaction_id)
          select * from json_to_recordset(${JSON.stringify(settlements)}::json)
            as x(claim_id text, close_id text, paid_fen bigint, transaction_id text)`.execute(tx);
      await recordAudit(tx, {
        actor: request.actor,
        at: request.now,
        action: 'programme.close-period',
        objectType: 'programme',
        objectId: programme.metadata.id,
        after: {
          closeId: close.id,
          period: close.period,
          claimedFen: close.claimedFen,
          paidFen: close.paidFen,
          claims: claims.length,
        },
      });
      return { close, created: true };
    });
  } catch (error) {
    // A concurrent close of the same period committed first: it is the close.
    if ((error as { constraint?: unknown }).constraint === UNIQUE_CLOSE) {
      const [close] = await readCloses(db, programme.metadata.id, period.id);
      if (close) return { close, created: false };
    }
    throw error;
  }
}

interface OpenClaim {
  claim: PeriodClaim;
}

/**
 * Unsettled claims of a programme dated before `before`, on charges that stand, oldest first (then by usage record
 * or sale, and rule: the order in which a payee's claims win a tied fen).
 */
async function openClaims(tx: Db, programmeId: string, before: Date): Promise<OpenClaim[]> {
  const rows = await sql<{
    id: string;
    tenant_id: string;
    provider_id: string;
    payee: Payee;
    rule_id: string;
    amount_fen: string;
  }>`select c.id, c.tenant_id, c.provider_id, c.payee, c.rule_id, c.amount_fen::text
    from programme_claims c
    where c.programme_id = ${programmeId} and c.at < ${before}
      and not exists (select 1 from programme_claim_settlements s where s.claim_id = c.id)
      and not exists (select 1 from ledger_transactions r where r.reverses = c.charge_transaction_id)
    order by c.at, coalesce(c.usage_record_id, c.sale_id), c.rule_id`.execute(tx);
  return rows.rows.map((r) => ({
    claim: {
      id: r.id,
      payeeId: r.payee === 'tenant' ? r.tenant_id : r.provider_id,
      counterpartyId: r.payee === 'tenant' ? r.provider_id : r.tenant_id,
      ruleId: r.rule_id,
      amountFen: BigInt(r.amount_fen),
    },
  }));
}

/** Claims not yet settled by a close, per programme: what the next close will scale (reversed charges left out). */
export async function outstandingClaims(
  db: Db,
): Promise<Array<{ programmeId: string; claims: number; claimedFen: Fen; oldest: Date }>> {
  const rows = await sql<{ programme_id: string; n: string; fen: string; oldest: Date }>`
    select c.programme_id, count(*)::text as n, sum(c.amount_fen)::text as fen, min(c.at) as oldest
    from programme_claims c
    where not exists (select 1 from programme_claim_settlements s where s.claim_id = c.id)
      and not exists (select 1 from ledger_transactions r where r.reverses = c.charge_transaction_id)
    group by c.programme_id order by c.programme_id`.execute(db);
  return rows.rows.map((r) => ({
    programmeId: r.programme_id,
    claims: Number(r.n),
    claimedFen: BigInt(r.fen),
    oldest: r.oldest,
  }));
}

const fenJson = (list: FunderAmount[]) => list.map((f) => ({ funder: f.funder, fen: f.amountFen.toString() }));

function detailOf(close: PeriodCloseRecord) {
  return {
    poolsBefore: fenJson(close.poolsBefore),
    byFunder: fenJson(close.byFunder),
    payments: close.payments.map((p) => ({
      payee: p.payee,
      payeeId: p.payeeId,
      claimedFen: p.claimedFen.toString(),
      paidFen: p.paidFen.toString(),
      byFunder: fenJson(p.byFunder),
      claims: p.claims,
      transactionIds: p.transactionIds,
    })),
    explanation: close.explanation,
  };
}

type Detail = ReturnType<typeof detailOf>;
const fromFenJson = (list: Array<{ funder: string; fen: string }>): FunderAmount[] =>
  list.map((f) => ({ funder: f.funder, amountFen: BigInt(f.fen) }));

/** The closes of a programme (all programmes when none is named), newest period first; one period when named. */
export async function readCloses(db: Db, programmeId?: string, period?: string): Promise<PeriodCloseRecord[]> {
  const rows = await sql<{
    id: string;
    programme_id: string;
    programme_version: string;
    period: string;
    period_start: Date;
    period_end: Date;
    claimed_fen: string;
    paid_fen: string;
    detail: Detail;
    closed_by: string;
    closed_at: Date;
  }>`select id, programme_id, programme_version, period, period_start, period_end, claimed_fen::text,
      paid_fen::text, detail, closed_by, closed_at
    from programme_period_closes
    where (${programmeId ?? null}::text is null or programme_id = ${programmeId ?? null})
      and (${period ?? null}::text is null or period = ${period ?? null})
    order by programme_id, period_end desc`.execute(db);
  return rows.rows.map((r) => ({
    id: r.id,
    programmeId: r.programme_id,
    programmeVersion: r.programme_version,
    period: r.period,
    periodStart: r.period_start,
    periodEnd: r.period_end,
    claimedFen: BigInt(r.claimed_fen),
    paidFen: BigInt(r.paid_fen),
    poolsBefore: fromFenJson(r.detail.poolsBefore),
    byFunder: fromFenJson(r.detail.byFunder),
    payments: r.detail.payments.map((p) => ({
      payee: p.payee,
      payeeId: p.payeeId,
      claimedFen: BigInt(p.claimedFen),
      paidFen: BigInt(p.paidFen),
      byFunder: fromFenJson(p.byFunder),
      claims: p.claims,
      transactionIds: p.transactionIds,
    })),
    explanation: r.detail.explanation,
    closedBy: r.closed_by,
    closedAt: r.closed_at,
  }));
}

/**
 * The claw-backs that reversing a usage record or a sale owes when a close has already paid its claims: per paid
 * claim, the payee gives back what the close paid for it, to the funders' pools in the proportions that paying
 * transaction drew on them (largest remainder, ties to the pool whose account id sorts first). Written as reversals
 * of subsidy linked to the record or sale (so statements, caps and the monthly report net them as they net a
 * subsidy's reversal), keyed per claim, so reversing the record or sale again claws back nothing twice.
 */
export async function claimClawbacks(
  tx: Db,
  input: ({ usageRecordId: string } | { saleId: string }) & { reason: string; actor: string; at: Date },
): Promise<LedgerEntry[]> {
  const cause = 'usageRecordId' in input ? { usageRecordId: input.usageRecordId } : { saleId: input.saleId };
  const where =
    'usageRecordId' in cause ? sql`c.usage_record_id = ${cause.usageRecordId}` : sql`c.sale_id = ${cause.saleId}`;
  const settled = (
    await sql<{
      claimId: string;
      programmeId: string;
      programmeVersion: string;
      ruleId: string;
      tenantId: string;
      providerId: string;
      closeId: string;
      paidFen: string;
      transactionId: string;
    }>`select c.id as "claimId", c.programme_id as "programmeId", c.programme_version as "programmeVersion",
        c.rule_id as "ruleId", c.tenant_id as "tenantId", c.provider_id as "providerId", s.close_id as "closeId",
        s.paid_fen::text as "paidFen", s.transaction_id as "transactionId"
      from programme_claims c join programme_claim_settlements s on s.claim_id = c.id
      where ${where} and s.transaction_id is not null
      order by c.id`.execute(tx)
  ).rows;
  const paid = settled.filter((s) => BigInt(s.paidFen) > 0n);
  if (paid.length === 0) return [];
  const postings = await tx
    .selectFrom('ledger_postings')
    .select(['transaction_id', 'account_id', 'fen'])
    .where('transaction_id', 'in', [...new Set(paid.map((s) => s.transactionId))])
    .execute();
  return paid.map((s): LedgerEntry => {
    const amount = BigInt(s.paidFen);
    const own = postings.filter((p) => p.transaction_id === s.transactionId);
    const payee = own.filter((p) => BigInt(p.fen) < 0n);
    const pools = own.filter((p) => BigInt(p.fen) > 0n).sort((a, b) => (a.account_id < b.account_id ? -1 : 1));
    if (payee.length !== 1 || pools.length === 0) {
      throw new Error(
        `close payment ${s.transactionId} is not one payee paid from pools: cannot claw back claim ${s.claimId}`,
      );
    }
    const drawn = pools.reduce((sum, p) => sum + BigInt(p.fen), 0n);
    const shares = pools.map((p) => ({
      accountId: p.account_id,
      fen: (amount * BigInt(p.fen)) / drawn,
      rest: (amount * BigInt(p.fen)) % drawn,
    }));
    let left = amount - shares.reduce((sum, p) => sum + p.fen, 0n);
    for (const share of [...shares].sort((a, b) => (b.rest > a.rest ? 1 : b.rest < a.rest ? -1 : 0))) {
      if (left === 0n) break;
      share.fen += 1n;
      left -= 1n;
    }
    return {
      id: uuidv7(input.at.getTime()),
      at: input.at,
      purpose: 'reversal',
      reason: `claw-back of ${formatYuan(amount)} paid for claim ${s.claimId} by close ${s.closeId}: ${input.reason}`,
      idempotencyKey: `clawback:${s.claimId}`,
      links: { ...cause, programmeRule: s.ruleId },
      programmeId: s.programmeId,
      programmeVersion: s.programmeVersion,
      tenantId: s.tenantId,
      providerId: s.providerId,
      recordedBy: input.actor,
      postings: [
        { accountId: payee[0]!.account_id, fen: amount },
        ...shares.filter((p) => p.fen > 0n).map((p) => ({ accountId: p.accountId, fen: -p.fen })),
      ],
      detail: { reverses: 'subsidy', clawsBack: s.claimId, closeId: s.closeId, paidBy: s.transactionId },
    };
  });
}
