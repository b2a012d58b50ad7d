/**
 * A named lease in PostgreSQL: whoever holds an unexpired lease acts; the others wait. Expiry is judged by the
 * database's clock, so processes on machines with skewed clocks agree. The epoch rises on every change of holder.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

export class LeaseRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** Takes or renews the lease for `ttlMs`. Returns the epoch held, or null if someone else holds it. */
  async acquire(name: string, holder: string, ttlMs: number): Promise<number | null> {
    const expires = sql<Date>`now() + ${`${Math.max(1, Math.round(ttlMs))} milliseconds`}::interval`;
    const row = await this.db
      .insertInto('leases')
      .values({ name, holder, epoch: 1, expires_at: expires })
      .onConflict((oc) =>
        oc
          .column('name')
          .doUpdateSet({
            holder,
            expires_at: expires,
            epoch: sql`case when leases.holder = ${holder} then leases.epoch else leases.epoch + 1 end`,
          })
          .where((eb) => eb.or([eb('leases.holder', '=', holder), eb('leases.expires_at', '<', sql<Date>`now()`)])),
      )
      .returning('epoch')
      .executeTakeFirst();
    return row ? Number(row.epoch) : null;
  }

  async release(name: string, holder: string): Promise<void> {
    await this.db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute();
  }

  async holder(name: string): Promise<{ holder: string; epoch: number; expiresAt: Date } | null> {
    const row = await this.db
      .selectFrom('leases')
      .selectAll()
      .where('name', '=', name)
      .where('expires_at', '>', sql<Date>`now()`)
      .executeTakeFirst();
    return row ? { holder: row.holder, epoch: Number(row.epoch), expiresAt: row.expires_at } : null;
  }
}
