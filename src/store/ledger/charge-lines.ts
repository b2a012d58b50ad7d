/**
 * Charge lines (migration 016, docs/decisions/0009-charge-lines.md): a usage record whose charge is all it posts is
 * one line of a charge transaction that charges many records of one tenant, provider and month (China Standard
 * Time). The transaction's postings are the lines' sums, so balances, statements' opening figures and the reports'
 * sums read it as any other charge; its lines say which record owes which fen. This module groups a batch's lines into
 * those transactions and finds a record's line again, for a replay (nothing to do) or a reversal (that line only).
 */
import { sql } from 'kysely';
import type { Charge } from '../../core/money/rating.ts';
import { uuidv7 } from '../ids.ts';
import { PLATFORM_FEE_ACCOUNT, providerPayable, tenantWallet } from './accounts.ts';
import type { Db, LedgerEntry } from './entries.ts';
import type { PendingUsage } from './pending.ts';

/** A place in the stream of usage records: the inserting transaction (xid8, as text) and the order within it. */
export interface StreamPosition {
  xid: string;
  seq: string;
}

/** One charge transaction's lines, as written to ledger_charge_lines beside it. */
export interface ChargeLineSet {
  transactionId: string;
  stream: StreamPosition;
  /** The records' ledger_seq. */
  usageSeqs: string[];
  fen: bigint[];
  feeFen: bigint[];
  priceVersions: string[];
}

interface Group {
  tenantId: string;
  providerId: string;
  month: string;
  feeBp: bigint;
  lastEndMs: number;
  fen: bigint;
  fee: bigint;
  lines: Omit<ChargeLineSet, 'transactionId' | 'stream'>;
}

const HOUR_MS = 3_600_000;

/** The lines of one stream batch, grouped by tenant, provider and month as they are added. */
export class ChargeLineGroups {
  private readonly groups: Group[] = [];
  // Thousands of records, a handful of groups: found by nested maps (tenant, provider, month), with no key built per
  // record, and the month of the last record kept, as most of a batch's records end in the same month.
  private readonly index = new Map<string, Map<string, Map<string, Group>>>();
  private month = { from: 0, to: 0, label: '' };

  constructor(private readonly stream: StreamPosition) {}

  /** The month (China Standard Time) an instant falls in, e.g. "2026-11". */
  private monthOf(ms: number): string {
    if (ms >= this.month.from && ms < this.month.to) return this.month.label;
    const china = new Date(ms + 8 * HOUR_MS);
    const year = china.getUTCFullYear();
    const month = china.getUTCMonth();
    this.month = {
      from: Date.UTC(year, month, 1) - 8 * HOUR_MS,
      to: Date.UTC(year, month + 1, 1) - 8 * HOUR_MS,
      label: `${year}-${String(month + 1).padStart(2, '0')}`,
    };
    return this.month.label;
  }

  /** Adds a record's (positive) charge; the platform fee's share is the provider's, rounded down as for any charge. */
  add(usage: PendingUsage, charge: Charge): void {
    const endMs = usage.endedAt.getTime();
    const month = this.monthOf(endMs);
    let byProvider = this.index.get(usage.tenantId);
    if (byProvider === undefined) this.index.set(usage.tenantId, (byProvider = new Map()));
    let byMonth = byProvider.get(usage.providerId);
    if (byMonth === undefined) byProvider.set(usage.providerId, (byMonth = new Map()));
    let group = byMonth.get(month);
    if (group === undefined) {
      group = {
        tenantId: usage.tenantId,
        providerId: usage.providerId,
        month,
        feeBp: BigInt(usage.provider.feeBp),
        lastEndMs: endMs,
        fen: 0n,
        fee: 0n,
        lines: { usageSeqs: [], fen: [], feeFen: [], priceVersions: [] },
      };
      byMonth.set(month, group);
      this.groups.push(group);
    }
    // chargeTransaction's split (core/money/ledger.ts): the fee is floored, the provider is owed the rest.
    const fee = group.feeBp === 0n ? 0n : (charge.fen * group.feeBp) / 10_000n;
    group.fen += charge.fen;
    group.fee += fee;
    if (endMs > group.lastEndMs) group.lastEndMs = endMs;
    group.lines.usageSeqs.push(usage.ledgerSeq);
    group.lines.fen.push(charge.fen);
    group.lines.feeFen.push(fee);
    group.lines.priceVersions.push(charge.priceVersion);
  }

  /** One charge transaction per group (tenant wallet debited, fee and payable credited), each with its lines. */
  transactions(now: Date, actor: string): { entries: LedgerEntry[]; lines: ChargeLineSet[] } {
    const entries: LedgerEntry[] = [];
    const lines: ChargeLineSet[] = [];
    for (const g of this.groups) {
      const id = uuidv7(now.getTime());
      const postings = [{ accountId: tenantWallet(g.tenantId), fen: g.fen }];
      if (g.fen > g.fee) postings.push({ accountId: providerPayable(g.providerId), fen: g.fee - g.fen });
      if (g.fee > 0n) postings.push({ accountId: PLATFORM_FEE_ACCOUNT, fen: -g.fee });
      const count = g.lines.usageSeqs.length;
      entries.push({
        id,
        at: new Date(g.lastEndMs),
        purpose: 'charge',
        reason: `usage charges: ${count} record${count === 1 ? '' : 's'} at ${g.providerId}`,
        idempotencyKey: `stream:${this.stream.xid}:${this.stream.seq}:${g.tenantId}:${g.providerId}:${g.month}`,
        links: {},
        postings,
        tenantId: g.tenantId,
        providerId: g.providerId,
        recordedBy: actor,
        detail: { lines: count, feeBasisPoints: Number(g.feeBp), stream: this.stream },
      });
      lines.push({ transactionId: id, stream: this.stream, ...g.lines });
    }
    return { entries, lines };
  }
}

/**
 * Where a record's line is looked for: the line sets of the last batch that began at or before the record's place in
 * the stream (batches take consecutive stretches of it, so no other batch can hold the record).
 */
const LINE_OF_RECORD = sql`usage_records r
  cross join lateral (select b.stream_xid, b.stream_seq from ledger_charge_lines b
    where (b.stream_xid, b.stream_seq) <= (r.ledger_xid, r.ledger_seq)
    order by b.stream_xid desc, b.stream_seq desc limit 1) b
  join ledger_charge_lines l on l.stream_xid = b.stream_xid and l.stream_seq = b.stream_seq
  cross join lateral unnest(l.usage_seqs, l.fen, l.fee_fen) with ordinality as x(seq, fen, fee, n)`;

/** Of the given usage records, those charged as a line (reversed since or not). */
export async function linedRecords(tx: Db, usageRecordIds: string[]): Promise<Set<string>> {
  if (usageRecordIds.length === 0) return new Set();
  const rows = await sql<{ id: string }>`select r.id from ${LINE_OF_RECORD}
    where r.id = any(${usageRecordIds}::text[]) and x.seq = r.ledger_seq`.execute(tx);
  return new Set(rows.rows.map((r) => r.id));
}

/** A record's line not reversed yet, with its charge transaction. */
async function standingLine(
  tx: Db,
  usageRecordId: string,
): Promise<{ transactionId: string; tenantId: string; providerId: string; fen: bigint; feeFen: bigint } | undefined> {
  const rows = await sql<{ transaction_id: string; tenant_id: string; provider_id: string; fen: string; fee: string }>`
    select l.transaction_id, t.tenant_id, t.provider_id, x.fen::text as fen, x.fee::text as fee
    from ${LINE_OF_RECORD} join ledger_transactions t on t.id = l.transaction_id
    where r.id = ${usageRecordId} and x.seq = r.ledger_seq
      and not exists (select 1 from ledger_transactions v where v.reverses = l.transaction_id and v.usage_record_id = r.id)`.execute(
    tx,
  );
  const row = rows.rows[0];
  if (row === undefined) return undefined;
  return {
    transactionId: row.transaction_id,
    tenantId: row.tenant_id,
    providerId: row.provider_id,
    fen: BigInt(row.fen),
    feeFen: BigInt(row.fee),
  };
}

/**
 * The reversal of a record's line: its share of the charge transaction, every posting negated (wallet credited, fee
 * and payable debited), naming the transaction it reverses and the record. Its key names generation 0, the only one a
 * line can be, so a record charged again after it is charged under generation 1.
 */
export async function lineReversal(
  tx: Db,
  usageRecordId: string,
  input: { actor: string; at: Date; reason: string },
): Promise<LedgerEntry | null> {
  const line = await standingLine(tx, usageRecordId);
  if (line === undefined) return null;
  const postings = [{ accountId: tenantWallet(line.tenantId), fen: -line.fen }];
  if (line.fen > line.feeFen)
    postings.push({ accountId: providerPayable(line.providerId), fen: line.fen - line.feeFen });
  if (line.feeFen > 0n) postings.push({ accountId: PLATFORM_FEE_ACCOUNT, fen: line.feeFen });
  return {
    id: uuidv7(input.at.getTime()),
    at: input.at,
    purpose: 'reversal',
    reason: `reversal of the charge line of usage ${usageRecordId} in ${line.transactionId}: ${input.reason}`,
    idempotencyKey: `reverse:${line.transactionId}:usage:${usageRecordId}#0:charge`,
    links: { usageRecordId, reverses: line.transactionId },
    postings,
    tenantId: line.tenantId,
    providerId: line.providerId,
    recordedBy: input.actor,
    detail: { reverses: 'charge' },
  };
}
