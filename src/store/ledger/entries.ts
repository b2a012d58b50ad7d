/**
 * Writing ledger transactions: many per statement (a batch travels as one array per column, so one round trip
 * carries it however large), each checked by the core's rules first so a bad one is refused with a clear message
 * before anything is stored. The database checks the same rules again (migration 007), and refuses overdrawn pools
 * and vouchers.
 */
import { sql, type Kysely, type Transaction as DbTransaction } from 'kysely';
import type { Fen } from '../../core/money/amount.ts';
import { validateTransaction, type Transaction } from '../../core/money/ledger.ts';
import type { Database } from '../schema.ts';
import { parseAccountId } from './accounts.ts';
import type { ChargeLineSet, StreamPosition } from './charge-lines.ts';

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

/**
 * A PostgreSQL array literal of texts (NULL for null), for a parameter cast to an array type. node-postgres builds
 * the same from a JS array, but element by element through its generic value conversion, which was a third of the
 * node CPU time of posting a batch; ids, keys and numbers need no escaping, so most elements are copied as they are.
 */
export function arrayLiteral(values: ReadonlyArray<string | number | bigint | null>): string {
  // Numbers need no quoting: joined at once (a batch's fen travel this way).
  if (values.length > 0 && typeof values[0] === 'bigint' && values.every((v) => typeof v === 'bigint'))
    return `{${values.join(',')}}`;
  // Elements are collected and joined once: joining writes one flat string, where appending piece by piece builds a
  // rope of thousands of small objects that stay alive (and are copied by every young-generation collection) until
  // the driver flattens it to send it.
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) parts[i] = 'NULL';
    else if (typeof v !== 'string') parts[i] = String(v);
    else parts[i] = SAFE_ELEMENT.test(v) ? v : `"${v.replace(ESCAPED, '\\$&')}"`;
  }
  // The braces go on the first and last elements, so that join's result is the whole literal, flat.
  if (parts.length === 0) return '{}';
  parts[0] = `{${parts[0]}`;
  parts[parts.length - 1] += '}';
  return parts.join(',');
}
// Elements that PostgreSQL reads back unchanged without quotes: not empty, not NULL, no separator, brace, quote,
// backslash or white space.
const SAFE_ELEMENT = /^(?!null$)[A-Za-z0-9_.:#@+-]+$/i;
const ESCAPED = /["\\]/g;

/** Σ of the debits: what a balanced transaction moves. */
export const amountOf = (entry: Transaction): Fen => entry.postings.reduce((s, p) => (p.fen > 0n ? s + p.fen : s), 0n);

export interface WriteOptions {
  /**
   * The caller has left out every entry whose key it found posted (postedKeys, in the same database transaction), so
   * the transactions are inserted plainly, without ON CONFLICT's speculative insertion, which costs PostgreSQL about
   * a quarter more per row. Idempotency is unchanged, as it is the unique key itself: a key that a concurrent writer
   * stored meanwhile is refused by the unique index (nothing of the batch is written) instead of skipped, and
   * `inTransaction` runs the batch again, which then finds the key posted and leaves the entry out.
   */
  newKeysOnly?: boolean;
  /** Lines of charge transactions among the entries (charge-lines.ts), written in the same statement. */
  chargeLines?: readonly ChargeLineSet[];
  /** Moves the ledger's stream position here in the same statement (stream.ts). */
  moveStreamTo?: StreamPosition & { at: Date };
}

/**
 * Writes the entries whose idempotency keys are new and returns the ids of those written; an entry whose key exists
 * already is skipped, so replaying a batch changes nothing (and a concurrent writer of the same key is waited for,
 * then skipped; with `newKeysOnly`, see there). Call it inside `inTransaction`, which runs the work again after a
 * deadlock or serialisation failure. Throws LedgerError (core) for an entry that breaks the ledger's rules, before
 * writing anything.
 */
export async function writeEntries(
  tx: Db,
  entries: readonly LedgerEntry[],
  options: WriteOptions = {},
): Promise<Set<string>> {
  if (entries.length === 0) return new Set();
  const accounts = new Map<string, { kind: string; owner: string }>();
  const keys = new Set<string>();
  // The columns of the transactions and of their postings, filled in one pass over the entries.
  const t = {
    id: [] as string[],
    at: [] as string[],
    purpose: [] as string[],
    reason: [] as string[],
    key: [] as string[],
    amount: [] as bigint[],
    count: [] as number[],
    usage: [] as Array<string | null>,
    sale: [] as Array<string | null>,
    voucher: [] as Array<string | null>,
    programme: [] as Array<string | null>,
    version: [] as Array<string | null>,
    rule: [] as Array<string | null>,
    funder: [] as Array<string | null>,
    reverses: [] as Array<string | null>,
    tenant: [] as Array<string | null>,
    provider: [] as Array<string | null>,
    detail: [] as Array<Record<string, unknown>>,
    by: [] as string[],
  };
  const postings = { t: [] as string[], s: [] as number[], c: [] as number[], a: [] as string[], f: [] as bigint[] };
  for (const e of entries) {
    validateTransaction(e);
    if (keys.has(e.idempotencyKey)) throw new RangeError('two entries of one batch have the same idempotency key');
    keys.add(e.idempotencyKey);
    let amount = 0n;
    for (let seq = 0; seq < e.postings.length; seq++) {
      const p = e.postings[seq]!;
      if (!accounts.has(p.accountId)) {
        const parsed = parseAccountId(p.accountId);
        accounts.set(p.accountId, { kind: parsed.kind, owner: parsed.ownerId });
      }
      if (p.fen > 0n) amount += p.fen;
      postings.t.push(e.id);
      postings.s.push(seq);
      postings.c.push(e.postings.length);
      postings.a.push(p.accountId);
      postings.f.push(p.fen);
    }
    t.id.push(e.id);
    t.at.push(e.at.toISOString());
    t.purpose.push(e.purpose);
    t.reason.push(e.reason);
    t.key.push(e.idempotencyKey);
    t.amount.push(amount);
    t.count.push(e.postings.length);
    t.usage.push(e.links.usageRecordId ?? null);
    t.sale.push(e.links.saleId ?? null);
    t.voucher.push(e.links.voucherId ?? null);
    t.programme.push(e.programmeId ?? null);
    t.version.push(e.programmeVersion ?? null);
    t.rule.push(e.links.programmeRule ?? null);
    t.funder.push(e.funder ?? null);
    t.reverses.push(e.links.reverses ?? null);
    t.tenant.push(e.tenantId ?? null);
    t.provider.push(e.providerId ?? null);
    t.detail.push(e.detail ?? {});
    t.by.push(e.recordedBy);
  }
  const ids = [...accounts.keys()];
  // One statement, one round trip, however many entries: missing accounts, then the transactions whose keys are new
  // (ON CONFLICT DO NOTHING: a replay, or a concurrent writer that stored the same key first, writes nothing and
  // waits for nothing to fail), then the postings of exactly those transactions. Both tables' statement-level
  // triggers run at the end of the statement and see all of it (migrations 007 and 008). Columns travel as arrays
  // (unnest), one parameter each, except the details: they travel as one JSON array, zipped with the columns by
  // ROWS FROM and each element converted to jsonb. As an array of jsonb literals they cost PostgreSQL about twice as
  // much to read (quoting every element, then unquoting it), and they are half of the batch's bytes.
  const written = await sql<{ id: string }>`with new_accounts as (
      insert into ledger_accounts (id, kind, owner_id)
      select * from unnest(${arrayLiteral(ids)}::text[], ${arrayLiteral(ids.map((id) => accounts.get(id)!.kind))}::text[],
        ${arrayLiteral(ids.map((id) => accounts.get(id)!.owner))}::text[])
      on conflict (id) do nothing
    ), inserted as (
      insert into ledger_transactions (id, at, purpose, reason, idempotency_key, amount_fen, posting_count,
        usage_record_id, sale_id, voucher_id, programme_id, programme_version, programme_rule, funder, reverses,
        tenant_id, provider_id, detail, recorded_by)
      select x.id, x.at, x.purpose, x.reason, x.key, x.amount, x.count, x.usage, x.sale, x.voucher, x.programme,
        x.version, x.rule, x.funder, x.reverses, x.tenant, x.provider, x.detail::jsonb, x.by
      from rows from (unnest(${arrayLiteral(t.id)}::text[]), unnest(${arrayLiteral(t.at)}::timestamptz[]),
        unnest(${arrayLiteral(t.purpose)}::text[]), unnest(${arrayLiteral(t.reason)}::text[]),
        unnest(${arrayLiteral(t.key)}::text[]), unnest(${arrayLiteral(t.amount)}::bigint[]),
        unnest(${arrayLiteral(t.count)}::integer[]), unnest(${arrayLiteral(t.usage)}::text[]),
        unnest(${arrayLiteral(t.sale)}::text[]),
        unnest(${arrayLiteral(t.voucher)}::text[]), unnest(${arrayLiteral(t.programme)}::text[]),
        unnest(${arrayLiteral(t.version)}::text[]), unnest(${arrayLiteral(t.rule)}::text[]),
        unnest(${arrayLiteral(t.funder)}::text[]), unnest(${arrayLiteral(t.reverses)}::text[]),
        unnest(${arrayLiteral(t.tenant)}::text[]), unnest(${arrayLiteral(t.provider)}::text[]),
        json_array_elements(${JSON.stringify(t.detail)}::json), unnest(${arrayLiteral(t.by)}::text[]))
        as x(id, at, purpose, reason, key, amount, count, usage, sale, voucher, programme, version, rule, funder,
          reverses, tenant, provider, detail, by)
      ${options.newKeysOnly ? sql`` : sql`on conflict (idempotency_key) do nothing`}
      returning id
    ), new_postings as (
      insert into ledger_postings (transaction_id, seq, posting_count, account_id, fen)
      select x.t, x.s, x.c, x.a, x.f
      from unnest(${arrayLiteral(postings.t)}::text[], ${arrayLiteral(postings.s)}::smallint[],
        ${arrayLiteral(postings.c)}::integer[], ${arrayLiteral(postings.a)}::text[],
        ${arrayLiteral(postings.f)}::bigint[]) as x(t, s, c, a, f)
      where x.t in (select id from inserted)
    )${chargeLinesInsert(options.chargeLines ?? [])}${options.moveStreamTo ? sql`, moved as (${moveStream(options.moveStreamTo)})` : sql``}
    select id from inserted`.execute(tx);
  return new Set(written.rows.map((r) => r.id));
}

/** The statement moving the ledger's stream position past a batch (forward only: a trigger refuses moving back). */
export const moveStream = (to: StreamPosition & { at: Date }) =>
  sql`update ledger_stream_position set xid = ${to.xid}::xid8, seq = ${to.seq}::bigint, moved_at = ${to.at}`;

/** The CTE writing charge lines, of the transactions the statement inserted; nothing without lines. */
function chargeLinesInsert(sets: readonly ChargeLineSet[]) {
  if (sets.length === 0) return sql``;
  const rows = sets.map(
    (l) => sql`(${l.transactionId}, ${l.stream.xid}::xid8, ${l.stream.seq}::bigint,
      ${arrayLiteral(l.usageSeqs)}::bigint[], ${arrayLiteral(l.fen)}::bigint[], ${arrayLiteral(l.feeFen)}::bigint[],
      ${arrayLiteral(l.priceVersions)}::text[])`,
  );
  return sql`, new_lines as (
      insert into ledger_charge_lines (transaction_id, stream_xid, stream_seq, usage_seqs, fen, fee_fen,
        price_versions)
      select * from (values ${sql.join(rows)}) as v(t, x, s, u, f, c, p) where v.t in (select id from inserted)
    )`;
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
