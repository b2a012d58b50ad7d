/** The scheduler's capacity holds (migration 014), written by the control loop's lease holder. */
import { sql, type Kysely } from 'kysely';
import type { CapacityHold } from '../core/scheduler/types.ts';
import type { Database } from './schema.ts';

export class HoldRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async list(): Promise<CapacityHold[]> {
    const rows = await this.db.selectFrom('capacity_holds').selectAll().orderBy('job_id').execute();
    return rows.map((r) => ({
      jobId: r.job_id,
      poolId: r.pool_id,
      nodeNames: r.node_names,
      acceleratorsPerNode: r.accelerators_per_node,
      since: r.since,
    }));
  }

  /**
   * Makes the stored holds exactly `holds`, if `holder` still holds the lease `lease` (a loop that lost it must not
   * overwrite its successor's). Returns whether it wrote.
   */
  async replace(holds: readonly CapacityHold[], lease: string, holder: string): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const held = await tx
        .selectFrom('leases')
        .select('name')
        .where('name', '=', lease)
        .where('holder', '=', holder)
        .where('expires_at', '>', sql<Date>`now()`)
        .forUpdate()
        .executeTakeFirst();
      if (!held) return false;
      await tx.deleteFrom('capacity_holds').execute();
      if (holds.length > 0) {
        await tx
          .insertInto('capacity_holds')
          .values(
            holds.map((h) => ({
              job_id: h.jobId,
              pool_id: h.poolId,
              node_names: h.nodeNames,
              accelerators_per_node: h.acceleratorsPerNode,
              since: h.since,
            })),
          )
          .execute();
      }
      return true;
    });
  }
}
