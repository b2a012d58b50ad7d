/**
 * Posting the stream of usage records (migration 016, docs/decisions/0009-charge-lines.md): each batch locks the
 * stream position, reads the records past it in commit order, charges them and moves the position past the last one
 * read, all in one database transaction, so each record is taken exactly once without a queue row or key of its own.
 *
 * A record whose charge is all it posts becomes a line of its batch's charge transaction for its tenant, provider and
 * month (charge-lines.ts). A record that a voucher pays for, or on which a programme awards a subsidy or a claim, is
 * posted with transactions of its own exactly as a queued record is (posting.ts). A record with no price in force is
 * parked on the posting queue with the reason, and charged from there once its provider publishes one.
 */
import { sql } from 'kysely';
import { ChargeLineGroups, type StreamPosition } from './charge-lines.ts';
import { moveStream, writeEntries, type Db, type LedgerEntry } from './entries.ts';
import {
  lockVouchers,
  partiesSelect,
  requeueUnpriced,
  toPending,
  type BatchFacts,
  type PartiesRow,
  type PendingUsage,
  type UsageRow,
} from './pending.ts';
import {
  priceBooks,
  rateUsage,
  subsidyState,
  usageEntries,
  type PostingOptions,
  type PostingReport,
  type Unpriced,
} from './posting.ts';

/**
 * Records a poster takes per batch (one database transaction), as the control loop posts: per-batch costs (the
 * position's lock, one write statement, the commit, round trips) are about a tenth of the posting time at 2,000
 * records and half that at 5,000 (docs/money.md, _Benchmark_); a batch of 5,000 holds the position's lock for some
 * 40 ms.
 */
export const LEDGER_BATCH = 5000;

/**
 * Locks the stream position and reads up to `limit` records past it, oldest first, with their parties (one statement
 * each). Only records whose inserting transaction is older than every transaction still running (pg_snapshot_xmin)
 * are read: a transaction that began earlier but commits later cannot then add a record behind the position.
 */
export async function takeStream(
  tx: Db,
  limit: number,
): Promise<({ pending: PendingUsage[]; from: StreamPosition; to: StreamPosition } & BatchFacts) | null> {
  const mark = await sql<StreamPosition>`select xid::text as xid, seq::text as seq from ledger_stream_position
    for update`.execute(tx);
  const position = mark.rows[0];
  if (position === undefined) throw new Error('ledger_stream_position has no row (migration 016 writes it)');
  // The ids a batch names, for its parties: cast, so that `= any(…)` reads an array value, not a subquery's rows; a
  // hashed DISTINCT in a subquery, as array_agg(DISTINCT …) would sort the batch's thousands of ids.
  const ids = (column: string) =>
    sql`(select array_agg(d.id) from (select distinct ${sql.ref(column)} as id from batch) d)::text[]`;
  // The batch travels as one JSON document of columns (parsed natively by JSON.parse) rather than as thousands of
  // rows, each field of which the driver would slice and convert on its own: that was most of the poster's CPU time.
  // Numbers travel as JSON numbers, exact below 2^53 (accelerator-seconds, sequence numbers and epoch milliseconds
  // all are); times are cut to the millisecond a Date holds, as the queue's reader does.
  const read = await sql<{ columns: StreamColumns; first_xid: string; last_xid: string } & PartiesRow>`
    with batch as materialized (
      select u.id, u.tenant_id, u.project_id, u.pool_id, u.cluster_id, u.accelerator_model, u.accelerator_seconds,
        u.started_at, u.ended_at, u.ledger_seq, u.ledger_xid
      from usage_records u
      where (u.ledger_xid, u.ledger_seq) > (${position.xid}::xid8, ${position.seq}::bigint)
        and u.ledger_xid < pg_snapshot_xmin(pg_current_snapshot())
      order by u.ledger_xid, u.ledger_seq
      limit ${limit})
    select json_build_object('id', array_agg(u.id), 'tenant', array_agg(u.tenant_id),
        'project', array_agg(u.project_id), 'pool', array_agg(u.pool_id), 'cluster', array_agg(u.cluster_id),
        'model', array_agg(u.accelerator_model), 'seconds', array_agg(u.accelerator_seconds),
        'started', array_agg((extract(epoch from date_trunc('milliseconds', u.started_at)) * 1000)::bigint),
        'ended', array_agg((extract(epoch from date_trunc('milliseconds', u.ended_at)) * 1000)::bigint),
        'seq', array_agg(u.ledger_seq)) as columns,
      (select ledger_xid::text from batch order by ledger_xid, ledger_seq limit 1) as first_xid,
      (select ledger_xid::text from batch order by ledger_xid desc, ledger_seq desc limit 1) as last_xid,
      ${partiesSelect({
        clusters: ids('cluster_id'),
        tenants: ids('tenant_id'),
        projects: ids('project_id'),
        pools: ids('pool_id'),
      })}
    from batch u
    having count(*) > 0`.execute(tx);
  const row = read.rows[0];
  if (row === undefined) return null;
  const c = row.columns;
  const rows: UsageRow[] = c.id.map((id, i) => ({
    id,
    tenant_id: c.tenant[i]!,
    project_id: c.project[i]!,
    pool_id: c.pool[i] ?? null,
    cluster_id: c.cluster[i]!,
    accelerator_model: c.model[i]!,
    accelerator_seconds: String(c.seconds[i]!),
    started_ms: c.started[i]!,
    ended_ms: c.ended[i]!,
    seq: String(c.seq[i]!),
  }));
  const last = c.id.length - 1;
  return {
    ...toPending(rows, row),
    from: { xid: row.first_xid, seq: String(c.seq[0]!) },
    to: { xid: row.last_xid, seq: String(c.seq[last]!) },
  };
}

/** A stream batch as read: one array per column, in stream order. */
interface StreamColumns {
  id: string[];
  tenant: string[];
  project: string[];
  pool: Array<string | null>;
  cluster: string[];
  model: string[];
  seconds: number[];
  started: number[];
  ended: number[];
  seq: number[];
}

/** Usage records past the stream position, not taken by any poster yet. */
export async function streamBacklog(tx: Db): Promise<number> {
  const rows = await sql<{ n: string }>`select count(*)::text as n from usage_records u, ledger_stream_position p
    where (u.ledger_xid, u.ledger_seq) > (p.xid, p.seq)`.execute(tx);
  return Number(rows.rows[0]?.n ?? 0);
}

/** Posts one batch of the stream; call inside a database transaction. `taken` 0: nothing was past the position. */
export async function postStreamBatch(tx: Db, options: PostingOptions): Promise<PostingReport & { taken: number }> {
  const report = { posted: 0, transactions: 0, unpriced: [] as Unpriced[], taken: 0 };
  const taken = await takeStream(tx, options.limit ?? 1000);
  if (taken === null) return report;
  const { pending, from, to } = taken;
  const books = priceBooks(pending, taken.prices);
  // Vouchers are locked (and their records posted on their own) only for tenants holding any.
  const vouchers =
    taken.voucherHolders.size === 0
      ? []
      : await lockVouchers(
          tx,
          [...taken.voucherHolders],
          new Date(Math.min(...pending.map((u) => u.endedAt.getTime()))),
          new Date(Math.max(...pending.map((u) => u.endedAt.getTime()))),
        );
  const holders = new Set(vouchers.map((v) => v.tenantId));
  const subsidies = options.subsidies ? await subsidyState(tx, options.subsidies, pending) : null;
  const claims = options.notedClaims;
  // Nothing of a stream record was posted before: no key of its is in the ledger.
  const state = { ...options, done: new Set<string>(), vouchers, subsidyState: subsidies };
  const lines = new ChargeLineGroups(from);
  const entries: LedgerEntry[] = [];
  const parked: Array<{ usageRecordId: string; reason: string }> = [];
  for (const usage of pending) {
    const charge = rateUsage(usage, books);
    if (typeof charge === 'string') {
      parked.push({ usageRecordId: usage.id, reason: charge });
      continue;
    }
    report.posted++;
    // A zero charge posts nothing, as a queued one does (chargeTransaction).
    if (charge.fen === 0n) continue;
    if (subsidies === null && !holders.has(usage.tenantId)) {
      lines.add(usage, charge);
      continue;
    }
    const claimsBefore = claims?.length ?? 0;
    const own = usageEntries(usage, charge, state);
    // Only the charge, and no claim noted on it: a line like the others.
    if (own.length === 1 && (claims?.length ?? 0) === claimsBefore) lines.add(usage, charge);
    else entries.push(...own);
  }
  const grouped = lines.transactions(options.now, options.actor ?? 'ledger');
  const all = [...entries, ...grouped.entries];
  // The position moves past the batch in the statement that writes it (or alone, if nothing was to be written).
  const moveStreamTo = { ...to, at: options.now };
  const written = await writeEntries(tx, all, { newKeysOnly: true, chargeLines: grouped.lines, moveStreamTo });
  if (all.length === 0) await moveStream(moveStreamTo).execute(tx);
  report.transactions = written.size;
  await requeueUnpriced(
    tx,
    parked.map((p) => ({
      row: { usageRecordId: p.usageRecordId, generation: 0, enqueuedAt: options.now.toISOString(), attempts: 0 },
      reason: p.reason,
    })),
    options.now,
  );
  report.unpriced = parked;
  // Parked records were taken too: the caller goes on while a batch takes anything.
  report.taken = pending.length;
  return report;
}
