/** The audit log: who changed what and when (prices, programmes, vouchers, top-ups, reversals). Append-only. */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';

export interface AuditEvent {
  at: Date;
  /** The user id, or "seed"/"system" for configuration and the control loop. */
  actor: string;
  /** What was done, e.g. "price.add", "voucher.issue", "wallet.top-up". */
  action: string;
  objectType: string;
  objectId: string;
  before?: unknown;
  after?: unknown;
}

export interface StoredAuditEvent extends AuditEvent {
  id: string;
}

// bigint amounts are written as strings: JSON has no integer type wide enough to hold every fen amount exactly.
const toJson = (value: unknown): string | null =>
  value === undefined ? null : JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

/** Appends one event; pass the caller's transaction so the event commits (or not) with the change it describes. */
export async function recordAudit(db: Kysely<Database> | Transaction<Database>, event: AuditEvent): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      at: event.at,
      actor: event.actor,
      action: event.action,
      object_type: event.objectType,
      object_id: event.objectId,
      before: toJson(event.before),
      after: toJson(event.after),
    })
    .execute();
}

export class AuditRepo {
  constructor(private readonly db: Kysely<Database>) {}

  record(event: AuditEvent): Promise<void> {
    return recordAudit(this.db, event);
  }

  /** Newest first. */
  async list(options: { objectType?: string; objectId?: string; limit?: number } = {}): Promise<StoredAuditEvent[]> {
    let query = this.db.selectFrom('audit_log').selectAll();
    if (options.objectType) query = query.where('object_type', '=', options.objectType);
    if (options.objectId) query = query.where('object_id', '=', options.objectId);
    const rows = await query
      .orderBy('id', 'desc')
      .limit(options.limit ?? 100)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      actor: r.actor,
      action: r.action,
      objectType: r.object_type,
      objectId: r.object_id,
      before: r.before ?? undefined,
      after: r.after ?? undefined,
    }));
  }
}
