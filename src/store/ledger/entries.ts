/**
 * Writing ledger transactions: many per statement (a batch travels as one JSON document per table, so one round trip
 * carries it however large), each checked by the core's rules first so a bad one is refused with a clear message
 * before anything is stored. The database checks the same rules again (migration 007), and refuses overdrawn pools
 * and vouchers.
 */
import { sql, type Kysely, type Transaction as DbTransaction } from 'kysely';
import type { Fen } from '../../core/money/amount.ts';
import { validateTransaction, type Transaction } from '../../core/money/ledger.ts';
import type { Database } from '../schema.ts';
import { parseAccountId } from './accounts.ts';

export const PURPOSES = [
  'charge',
  'voucher-issue',
  'voucher-apply',
  'voucher-expiry',
  'subsidy',
  'top-up',
  'pool-funding',
  'payout',
  'reversal',
] as const;
export type Purpose = (typeof PURPOSES)[number];

/** A core transaction plus what the store keeps about it. */
export interface LedgerEntry extends Transaction {
  purpose: Purpose;
  /** Unique per cause: writing an entry whose key exists already writes nothing. */
  idempotencyKey: string;
  tenantId?: string | null;
  providerId?: string | null;
  programmeId?: string | null;
  programmeVersion?: string | null;
  funder?: string | null;
  detail?: Record<string, unknown>;
  recordedBy: string;
}

export type Db = Kysely<Database> | DbTransaction<Database>;

/** Σ of the debits: what a balanced transaction moves. */
export const amountOf = (entry: Transaction): Fen => entry.postings.reduce((s, p) => (p.fen > 0n ? s + p.fen : s), 0n);

/**
 * Writes the entries whose idempotency keys are new and returns the ids of those written; an entry whose key exists
 * already is skipped, so replaying a batch changes nothing. Call it inside `inTransaction`, which runs the work again
 * if a concurrent writer took a key first (the postings' foreign key to their transaction is checked at its commit).
 * Throws LedgerError (core) for an entry that breaks the ledger's rules, before writing anything.
 */
export async function writeEntries(tx: Db, entries: readonly LedgerEntry[]): Promise<Set<string>> {
  if (entries.length === 0) return new Set();
  const accounts = new Map<string, { kind: string; owner: string }>();
  for (const entry of entries) {
    validateTransaction(entry);
    for (const p of entry.postings) {
      const parsed = parseAccountId(p.accountId);
      accounts.set(p.accountId, { kind: parsed.kind, owner: parsed.ownerId });
    }
  }
  const ids = [...accounts.keys()];
  await sql`insert into ledger_accounts (id, kind, owner_id)
    select * from unnest(${ids}::text[], ${ids.map((id) => accounts.get(id)!.kind)}::text[],
      ${ids.map((id) => accounts.get(id)!.owner)}::text[])
    on conflict (id) do nothing`.execute(tx);
  // Entries whose key exists already are left out (a replay). A concurrent writer may still store one of the same
  // keys before this commits: the insert then fails on the key, and the batch is run again (isRetryable).
  const existing = await sql<{ idempotency_key: string }>`select idempotency_key from ledger_transactions
    where idempotency_key = any(${entries.map((e) => e.idempotencyKey)}::text[])`.execute(tx);
  const seen = new Set(existing.rows.map((r) => r.idempotency_key));
  const fresh = entries.filter((e) => !seen.has(e.idempotencyKey));
  if (new Set(fresh.map((e) => e.idempotencyKey)).size !== fresh.length) {
    throw new RangeError('two entries of one batch have the same idempotency key');
  }
  if (fresh.length === 0) return new Set();
  // Each batch travels as one JSON document per table (a single parameter, serialised natively by JSON.stringify and
  // parsed once by PostgreSQL): one round trip per statement however many entries, and no per-element escaping.
  // Postings go first: the transactions' trigger checks that each transaction's postings are there (migration 007).
  const postings = fresh.flatMap((e) =>
    e.postings.map((p, seq) => ({ t: e.id, s: seq, c: e.postings.length, a: p.accountId, f: p.fen.toString() })),
  );
  await sql`insert into ledger_postings (transaction_id, seq, posting_count, account_id, fen)
    select * from json_to_recordset(${JSON.stringify(postings)}::json)
      as x(t text, s smallint, c integer, a text, f bigint)`.execute(tx);
  const transactions = fresh.map((e) => ({
    id: e.id,
    at: e.at.toISOString(),
    purpose: e.purpose,
    reason: e.reason,
    idempotency_key: e.idempotencyKey,
    amount_fen: amountOf(e).toString(),
    posting_count: e.postings.length,
    usage_record_id: e.links.usageRecordId ?? null,
    voucher_id: e.links.voucherId ?? null,
    programme_id: e.programmeId ?? null,
    programme_version: e.programmeVersion ?? null,
    programme_rule: e.links.programmeRule ?? null,
    funder: e.funder ?? null,
    reverses: e.links.reverses ?? null,
    tenant_id: e.tenantId ?? null,
    provider_id: e.providerId ?? null,
    detail: e.detail ?? {},
    recorded_by: e.recordedBy,
  }));
  await sql`insert into ledger_transactions (id, at, purpose, reason, idempotency_key,
      amount_fen, posting_count, usage_record_id, voucher_id, programme_id, programme_version, programme_rule, funder,
      reverses, tenant_id, provider_id, detail, recorded_by)
    select * from json_to_recordset(${JSON.stringify(transactions)}::json) as x(id text, at timestamptz, purpose text,
      reason text, idempotency_key text, amount_fen bigint, posting_count integer, usage_record_id text,
      voucher_id text, programme_id text, programme_version text, programme_rule text, funder text, reverses text,
      tenant_id text, provider_id text, detail jsonb, recorded_by text)`.execute(tx);
  const written = new Set(fresh.map((e) => e.id));
  return written;
}

/** PostgreSQL errors after which the whole database transaction may simply be tried again. */
export function isRetryable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  // A concurrent writer stored an entry with one of our keys first: run again, and that entry is then skipped.
  if (code === '23505' && constraint === 'ledger_transactions_idempotency_key_key') return true;
  return code === '40001' || code === '40P01';
}

/** Runs `work` in a database transaction, again (up to `attempts` times) after a deadlock or serialisation failure. */
export async function inTransaction<T>(
  db: Kysely<Database>,
  work: (tx: DbTransaction<Database>) => Promise<T>,
  attempts = 5,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(work);
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error)) throw error;
    }
  }
}
