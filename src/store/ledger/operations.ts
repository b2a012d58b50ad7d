/**
 * The ledger's operations other than posting usage: top-ups, funding a programme pool, issuing and expiring vouchers,
 * and reversing a usage record's entries. Each is one database transaction with its audit-log event, keyed so that
 * repeating a request changes nothing.
 */
import { sql, type Kysely } from 'kysely';
import { reverse, type Transaction } from '../../core/money/ledger.ts';
import type { Fen } from '../../core/money/amount.ts';
import { recordAudit } from '../audit.ts';
import { uuidv7 } from '../ids.ts';
import { lineReversal } from './charge-lines.ts';
import type { Database } from '../schema.ts';
import {
  BANK_ACCOUNT,
  funderAccount,
  programmePool,
  providerPayable,
  tenantWallet,
  voucherLiability,
} from './accounts.ts';
import { inTransaction, writeEntries, type Db, type LedgerEntry, type Purpose } from './entries.ts';
import { claimClawbacks } from './period-close.ts';

/** A request the ledger refuses, with what is wrong; nothing was stored. */
export class LedgerRefusal extends Error {
  override readonly name = 'LedgerRefusal';
  constructor(
    readonly problem: 'not-found' | 'insufficient-funds' | 'invalid' | 'conflict',
    message: string,
  ) {
    super(message);
  }
}

export interface Actor {
  actor: string;
  at: Date;
}

const positive = (field: string, fen: Fen) => {
  if (typeof fen !== 'bigint' || fen <= 0n)
    throw new LedgerRefusal('invalid', `${field} must be a positive whole number of fen`);
};

/** Credit balance (fen held) of an account, locking it for the rest of the transaction; 0 for one never used. */
async function lockedCredit(tx: Db, accountId: string): Promise<Fen> {
  const row = await tx
    .selectFrom('ledger_accounts')
    .select('balance_fen')
    .where('id', '=', accountId)
    .forUpdate()
    .executeTakeFirst();
  return row ? -BigInt(row.balance_fen) : 0n;
}

async function transfer(
  tx: Db,
  input: Actor & {
    purpose: Purpose;
    key: string;
    reason: string;
    from: string;
    to: string;
    fen: Fen;
    extra?: Partial<LedgerEntry>;
  },
): Promise<{ id: string; created: boolean }> {
  const entry: LedgerEntry = {
    id: uuidv7(input.at.getTime()),
    at: input.at,
    purpose: input.purpose,
    reason: input.reason,
    idempotencyKey: input.key,
    links: {},
    recordedBy: input.actor,
    postings: [
      { accountId: input.from, fen: input.fen },
      { accountId: input.to, fen: -input.fen },
    ],
    ...input.extra,
  };
  const written = await writeEntries(tx, [entry]);
  if (written.has(entry.id)) return { id: entry.id, created: true };
  const existing = await tx
    .selectFrom('ledger_transactions')
    .select(['id', 'amount_fen', 'tenant_id', 'provider_id'])
    .where('idempotency_key', '=', input.key)
    .executeTakeFirstOrThrow();
  if (
    BigInt(existing.amount_fen) !== input.fen ||
    existing.tenant_id !== (input.extra?.tenantId ?? null) ||
    existing.provider_id !== (input.extra?.providerId ?? null)
  ) {
    throw new LedgerRefusal(
      'conflict',
      `reference ${input.key} was used before for ${existing.amount_fen} fen` +
        (existing.tenant_id ? ` to ${existing.tenant_id}` : ''),
    );
  }
  return { id: existing.id, created: false };
}

/** A tenant's payment into its wallet (bank → wallet); `reference` (the bank's) makes a repeat harmless. */
export async function topUp(
  db: Kysely<Database>,
  input: Actor & { tenantId: string; fen: Fen; reference: string },
): Promise<{ id: string; created: boolean }> {
  positive('amount', input.fen);
  return inTransaction(db, async (tx) => {
    if (!(await tx.selectFrom('tenants').select('id').where('id', '=', input.tenantId).executeTakeFirst()))
      throw new LedgerRefusal('not-found', `no tenant ${input.tenantId}`);
    const result = await transfer(tx, {
      ...input,
      purpose: 'top-up',
      key: `top-up:${input.reference}`,
      reason: `top-up ${input.reference}`,
      from: BANK_ACCOUNT,
      to: tenantWallet(input.tenantId),
      extra: { tenantId: input.tenantId },
    });
    if (result.created) {
      await recordAudit(tx, {
        ...input,
        action: 'wallet.top-up',
        objectType: 'tenant-wallet',
        objectId: input.tenantId,
        after: { transactionId: result.id, fen: input.fen, reference: input.reference },
      });
    }
    return result;
  });
}

/** The platform pays a provider what it is owed (provider payable → bank), never more than it owes. */
export async function payOut(
  db: Kysely<Database>,
  input: Actor & { providerId: string; fen: Fen; reference: string },
): Promise<{ id: string; created: boolean }> {
  positive('amount', input.fen);
  return inTransaction(db, async (tx) => {
    if (!(await tx.selectFrom('providers').select('id').where('id', '=', input.providerId).executeTakeFirst()))
      throw new LedgerRefusal('not-found', `no provider ${input.providerId}`);
    const key = `payout:${input.reference}`;
    const repeat = await tx
      .selectFrom('ledger_transactions')
      .select('id')
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
    const owed = await lockedCredit(tx, providerPayable(input.providerId));
    if (!repeat && input.fen > owed)
      throw new LedgerRefusal(
        'insufficient-funds',
        `provider ${input.providerId} is owed ${owed} fen, less than the payout ${input.fen}`,
      );
    const result = await transfer(tx, {
      ...input,
      purpose: 'payout',
      key,
      reason: `payout ${input.reference} to ${input.providerId}`,
      from: providerPayable(input.providerId),
      to: BANK_ACCOUNT,
      extra: { providerId: input.providerId },
    });
    if (result.created) {
      await recordAudit(tx, {
        ...input,
        action: 'provider.payout',
        objectType: 'provider-payable',
        objectId: input.providerId,
        after: { transactionId: result.id, fen: input.fen, reference: input.reference },
      });
    }
    return result;
  });
}

/** A funder pays into its pool of a programme (funder → programme pool). */
export async function fundPool(
  db: Kysely<Database>,
  input: Actor & { programmeId: string; funder: string; fen: Fen; reference: string },
): Promise<{ id: string; created: boolean }> {
  positive('amount', input.fen);
  return inTransaction(db, async (tx) => {
    const result = await transfer(tx, {
      ...input,
      purpose: 'pool-funding',
      key: `pool-funding:${input.reference}`,
      reason: `${input.funder} funds ${input.programmeId} (${input.reference})`,
      from: funderAccount(input.funder),
      to: programmePool(input.programmeId, input.funder),
      extra: { programmeId: input.programmeId, funder: input.funder },
    });
    if (result.created) {
      await recordAudit(tx, {
        ...input,
        action: 'pool.fund',
        objectType: 'programme-pool',
        objectId: `${input.programmeId}/${input.funder}`,
        after: { transactionId: result.id, fen: input.fen, reference: input.reference },
      });
    }
    return result;
  });
}

export const VOUCHER_KINDS = ['compute', 'model', 'corpus'] as const;
export type VoucherKind = (typeof VOUCHER_KINDS)[number];

export interface NewVoucher {
  /** Also the request's idempotency key: issuing the same id again returns the voucher issued before. */
  id: string;
  kind: VoucherKind;
  tenantId: string;
  programmeId: string;
  funder: string;
  faceFen: Fen;
  validFrom: Date;
  validTo: Date;
  providers: string[];
  products: string[];
  maxShareBasisPoints: number;
}

/** Issues a voucher to a tenant, funded from the programme's pool of `funder` into the voucher's liability. */
export async function issueVoucher(
  db: Kysely<Database>,
  input: Actor & NewVoucher,
): Promise<{ id: string; created: boolean }> {
  positive('faceFen', input.faceFen);
  if (!(input.validTo.getTime() > input.validFrom.getTime()))
    throw new LedgerRefusal('invalid', 'validTo must be after validFrom');
  if (
    !Number.isInteger(input.maxShareBasisPoints) ||
    input.maxShareBasisPoints < 1 ||
    input.maxShareBasisPoints > 10_000
  )
    throw new LedgerRefusal('invalid', 'maxShareBasisPoints must be an integer in 1..10000');
  return inTransaction(db, async (tx) => {
    const existing = await tx.selectFrom('vouchers').selectAll().where('id', '=', input.id).executeTakeFirst();
    if (existing) {
      // A repeat of the same issue returns the voucher (nothing more is done); the same id with other terms is
      // another voucher under a taken id, refused naming what differs.
      const set = (list: readonly string[]) => JSON.stringify([...new Set(list)].sort());
      const differs = (
        [
          ['tenantId', existing.tenant_id === input.tenantId],
          ['kind', existing.kind === input.kind],
          ['programmeId', existing.programme_id === input.programmeId],
          ['funder', existing.funder === input.funder],
          ['faceFen', BigInt(existing.face_fen) === input.faceFen],
          ['validFrom', new Date(existing.valid_from).getTime() === input.validFrom.getTime()],
          ['validTo', new Date(existing.valid_to).getTime() === input.validTo.getTime()],
          ['providers', set(existing.providers) === set(input.providers)],
          ['products', set(existing.products) === set(input.products)],
          ['maxShareBasisPoints', existing.max_share_bp === input.maxShareBasisPoints],
        ] as const
      ).flatMap(([field, same]) => (same ? [] : [field]));
      if (differs.length > 0)
        throw new LedgerRefusal('conflict', `voucher ${input.id} exists with other terms: ${differs.join(', ')}`);
      return { id: input.id, created: false };
    }
    if (!(await tx.selectFrom('tenants').select('id').where('id', '=', input.tenantId).executeTakeFirst()))
      throw new LedgerRefusal('not-found', `no tenant ${input.tenantId}`);
    const pool = programmePool(input.programmeId, input.funder);
    const left = await lockedCredit(tx, pool);
    if (left < input.faceFen)
      throw new LedgerRefusal(
        'insufficient-funds',
        `pool ${input.programmeId}/${input.funder} holds ${left} fen, less than the face value ${input.faceFen}`,
      );
    await tx
      .insertInto('vouchers')
      .values({
        id: input.id,
        kind: input.kind,
        tenant_id: input.tenantId,
        programme_id: input.programmeId,
        funder: input.funder,
        face_fen: input.faceFen.toString(),
        valid_from: input.validFrom,
        valid_to: input.validTo,
        providers: input.providers,
        products: input.products,
        max_share_bp: input.maxShareBasisPoints,
        issued_by: input.actor,
        issued_at: input.at,
      })
      .execute();
    await transfer(tx, {
      ...input,
      purpose: 'voucher-issue',
      key: `voucher:${input.id}:issue`,
      reason: `${input.kind} voucher ${input.id} issued to ${input.tenantId}`,
      from: pool,
      to: voucherLiability(input.id),
      fen: input.faceFen,
      extra: {
        tenantId: input.tenantId,
        programmeId: input.programmeId,
        funder: input.funder,
        links: { voucherId: input.id },
      },
    });
    await recordAudit(tx, {
      ...input,
      action: 'voucher.issue',
      objectType: 'voucher',
      objectId: input.id,
      after: { ...input, actor: undefined, at: undefined },
    });
    return { id: input.id, created: true };
  });
}

/** Returns what is left on every voucher that has expired by `at` to its programme pool. Returns how many. */
export async function expireVouchers(db: Kysely<Database>, input: Actor): Promise<number> {
  return inTransaction(db, async (tx) => {
    const due = await tx
      .selectFrom('vouchers')
      .innerJoin('ledger_accounts', (join) =>
        join.on(sql<boolean>`ledger_accounts.id = 'voucher-liability:' || vouchers.id`),
      )
      .select(['vouchers.id', 'vouchers.tenant_id', 'vouchers.programme_id', 'vouchers.funder'])
      .where('vouchers.valid_to', '<=', input.at)
      .where(sql<boolean>`ledger_accounts.balance_fen < 0`)
      .orderBy('ledger_accounts.id')
      .forUpdate()
      .execute();
    let expired = 0;
    for (const v of due) {
      const left = await lockedCredit(tx, voucherLiability(v.id));
      if (left <= 0n) continue;
      const result = await transfer(tx, {
        ...input,
        purpose: 'voucher-expiry',
        key: `voucher:${v.id}:expiry`,
        reason: `voucher ${v.id} expired: ${left} fen back to ${v.programme_id}/${v.funder}`,
        from: voucherLiability(v.id),
        to: programmePool(v.programme_id, v.funder),
        fen: left,
        extra: { tenantId: v.tenant_id, programmeId: v.programme_id, funder: v.funder, links: { voucherId: v.id } },
      });
      if (result.created) expired++;
    }
    return expired;
  });
}

/**
 * Corrects a usage record: every entry posted for it (charge, vouchers, subsidies) not reversed yet gets its reversal,
 * restoring every balance. With `requeue`, the record is queued to be charged again (e.g. after a price fix) under a
 * new generation, whose keys differ from the reversed ones. Returns the reversals written.
 */
export async function reverseUsageRecord(
  db: Kysely<Database>,
  input: Actor & { usageRecordId: string; reason: string; requeue?: boolean },
): Promise<string[]> {
  if (input.reason.trim() === '') throw new LedgerRefusal('invalid', 'a reversal needs a reason');
  return inTransaction(db, async (tx) => {
    if (!(await tx.selectFrom('usage_records').select('id').where('id', '=', input.usageRecordId).executeTakeFirst()))
      throw new LedgerRefusal('not-found', `no usage record ${input.usageRecordId}`);
    const entries = await reversalEntries(tx, { usageRecordId: input.usageRecordId }, input);
    // A record charged as a line of a charge transaction (charge-lines.ts) has that line reversed.
    const line = await lineReversal(tx, input.usageRecordId, input);
    if (line) entries.push(line);
    // A claim a period close has already paid is not undone by the reversals above (the close paid many claims in one
    // transaction): its payment is clawed back from the payee.
    entries.push(...(await claimClawbacks(tx, { ...input, usageRecordId: input.usageRecordId })));
    const written = await writeEntries(tx, entries);
    if (input.requeue) {
      const generations = (
        await tx
          .selectFrom('ledger_transactions')
          .select('idempotency_key')
          .where('usage_record_id', '=', input.usageRecordId)
          .execute()
      ).map((r) => Number(/#(\d+):/.exec(r.idempotency_key)?.[1] ?? -1));
      await tx
        .insertInto('posting_queue')
        .values({ usage_record_id: input.usageRecordId, generation: Math.max(-1, ...generations) + 1 })
        .onConflict((oc) => oc.column('usage_record_id').doNothing())
        .execute();
    }
    await recordAudit(tx, {
      ...input,
      action: 'usage.reverse',
      objectType: 'usage-record',
      objectId: input.usageRecordId,
      after: { reversals: [...written], reason: input.reason, requeued: input.requeue ?? false },
    });
    return [...written];
  });
}

/**
 * The reversals of every entry of a usage record or a sale (charge, vouchers, subsidies) not reversed yet: each a
 * transaction with every posting negated and `reverses` set, linked to the same record or sale, dated `at`.
 */
export async function reversalEntries(
  tx: Db,
  cause: { usageRecordId: string } | { saleId: string },
  input: Actor & { reason: string },
): Promise<LedgerEntry[]> {
  const byUsage = 'usageRecordId' in cause;
  const originals = await tx
    .selectFrom('ledger_transactions as t')
    .selectAll('t')
    .where(byUsage ? 't.usage_record_id' : 't.sale_id', '=', byUsage ? cause.usageRecordId : cause.saleId)
    .where('t.purpose', '!=', 'reversal')
    .where((eb) =>
      eb.not(eb.exists(eb.selectFrom('ledger_transactions as r').select('r.id').whereRef('r.reverses', '=', 't.id'))),
    )
    .orderBy('t.seq')
    .execute();
  const postings = await tx
    .selectFrom('ledger_postings')
    .selectAll()
    .where('transaction_id', 'in', originals.length > 0 ? originals.map((o) => o.id) : [''])
    .orderBy('transaction_id')
    .orderBy('seq')
    .execute();
  const entries: LedgerEntry[] = originals.map((o) => {
    const original: Transaction = {
      id: o.id,
      at: o.at,
      reason: o.reason,
      links: {
        ...cause,
        ...(o.voucher_id ? { voucherId: o.voucher_id } : {}),
        ...(o.programme_rule ? { programmeRule: o.programme_rule } : {}),
      },
      postings: postings
        .filter((p) => p.transaction_id === o.id)
        .map((p) => ({ accountId: p.account_id, fen: BigInt(p.fen) })),
    };
    return {
      ...reverse(original, uuidv7(input.at.getTime()), input.at, `reversal of ${o.purpose} ${o.id}: ${input.reason}`),
      purpose: 'reversal',
      idempotencyKey: `reverse:${o.id}`,
      tenantId: o.tenant_id,
      providerId: o.provider_id,
      programmeId: o.programme_id,
      programmeVersion: o.programme_version,
      recordedBy: input.actor,
      detail: { reverses: o.purpose },
    };
  });
  return entries;
}
