/** Usage records: accelerator time from the engine's own accounting, stored once per run and model. */
import { sql, type Kysely } from 'kysely';
import type { ChipRunGroup } from '../core/chip-race.ts';
import type { RunOutcome, UsageRecord } from '../core/domain.ts';
import type { Database } from './schema.ts';
import { inScope, type Scope } from './scope.ts';

export type NewUsageRecord = Omit<UsageRecord, 'id' | 'outcome'> & { id: string; outcome?: RunOutcome | null };

export interface UsageTotal {
  tenantId: string;
  acceleratorModel: string;
  jobs: number;
  acceleratorSeconds: number;
  gflop: bigint;
}

export class UsageRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** Stores the record unless the same run (cluster, engine job id, model) was recorded before. */
  async record(r: NewUsageRecord): Promise<boolean> {
    const inserted = await this.db
      .insertInto('usage_records')
      .values({
        id: r.id,
        job_id: r.jobId,
        tenant_id: r.tenantId,
        project_id: r.projectId,
        cluster_id: r.clusterId,
        pool_id: r.poolId,
        engine_job_id: r.engineJobId,
        accelerator_model: r.acceleratorModel,
        accelerator_count: r.acceleratorCount,
        started_at: r.startedAt,
        ended_at: r.endedAt,
        elapsed_seconds: r.elapsedSeconds,
        accelerator_seconds: r.acceleratorSeconds,
        gflop: r.gflop.toString(),
        outcome: r.outcome ?? null,
      })
      .onConflict((oc) => oc.columns(['cluster_id', 'engine_job_id', 'accelerator_model']).doNothing())
      .returning('id')
      .executeTakeFirst();
    return inserted !== undefined;
  }

  async list(
    scope: Scope,
    options: { jobId?: string; from?: Date; to?: Date; limit?: number } = {},
  ): Promise<UsageRecord[]> {
    let query = this.db.selectFrom('usage_records').selectAll().where(inScope('usage_records', scope));
    if (options.jobId) query = query.where('job_id', '=', options.jobId);
    if (options.from) query = query.where('ended_at', '>=', options.from);
    if (options.to) query = query.where('ended_at', '<', options.to);
    const rows = await query
      .orderBy('ended_at', 'desc')
      .orderBy('id')
      .limit(options.limit ?? 500)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      jobId: r.job_id,
      tenantId: r.tenant_id,
      projectId: r.project_id,
      clusterId: r.cluster_id,
      poolId: r.pool_id ?? '',
      engineJobId: r.engine_job_id,
      acceleratorModel: r.accelerator_model,
      acceleratorCount: r.accelerator_count,
      startedAt: r.started_at,
      endedAt: r.ended_at,
      elapsedSeconds: Number(r.elapsed_seconds),
      acceleratorSeconds: Number(r.accelerator_seconds),
      gflop: BigInt(r.gflop),
      outcome: r.outcome,
    }));
  }

  /**
   * Per tenant: normalised usage in P·h with exponential decay (for fair share; a float is fine for ordering) and
   * the exact-enough P·h since `monthStart` (for monthly quotas).
   */
  async decayedByTenant(
    now: Date,
    halfLifeHours: number,
    monthStart: Date,
  ): Promise<Array<{ tenantId: string; decayedPh: number; monthPh: number }>> {
    const ageHours = sql<number>`extract(epoch from (${now}::timestamptz - ended_at)) / 3600.0`;
    const rows = await this.db
      .selectFrom('usage_records')
      .select([
        'tenant_id',
        sql<string>`sum(gflop::float8 / 3.6e9 * power(0.5, greatest(${ageHours}, 0) / ${halfLifeHours}::float8))`.as(
          'decayed',
        ),
        sql<string>`coalesce(sum(gflop) filter (where ended_at >= ${monthStart}), 0)`.as('month_gflop'),
      ])
      .groupBy('tenant_id')
      .orderBy('tenant_id')
      .execute();
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      decayedPh: Number(r.decayed),
      monthPh: Number(BigInt(r.month_gflop)) / 3.6e9,
    }));
  }

  /** Normalised usage per project since `monthStart`, in P·h, for monthly project quotas. */
  async monthByProject(monthStart: Date): Promise<Array<{ projectId: string; monthPh: number }>> {
    const rows = await this.db
      .selectFrom('usage_records')
      .select((eb) => ['project_id', eb.fn.sum<string>('gflop').as('gflop')])
      .where('ended_at', '>=', monthStart)
      .groupBy('project_id')
      .orderBy('project_id')
      .execute();
    return rows.map((r) => ({ projectId: r.project_id, monthPh: Number(BigInt(r.gflop)) / 3.6e9 }));
  }

  /** Sums per tenant and accelerator model, exact (sums run in PostgreSQL's numeric). */
  async totals(scope: Scope, options: { from?: Date; to?: Date; jobId?: string } = {}): Promise<UsageTotal[]> {
    let query = this.db
      .selectFrom('usage_records')
      .select((eb) => [
        'tenant_id',
        'accelerator_model',
        eb.fn.countAll<string>().as('jobs'),
        eb.fn.sum<string>('accelerator_seconds').as('accelerator_seconds'),
        eb.fn.sum<string>('gflop').as('gflop'),
      ])
      .where(inScope('usage_records', scope));
    if (options.from) query = query.where('ended_at', '>=', options.from);
    if (options.to) query = query.where('ended_at', '<', options.to);
    if (options.jobId) query = query.where('job_id', '=', options.jobId);
    const rows = await query
      .groupBy(['tenant_id', 'accelerator_model'])
      .orderBy('tenant_id')
      .orderBy('accelerator_model')
      .execute();
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      acceleratorModel: r.accelerator_model,
      jobs: Number(r.jobs),
      acceleratorSeconds: Number(r.accelerator_seconds),
      gflop: BigInt(r.gflop),
    }));
  }

  /**
   * For the chip race (src/core/chip-race.ts): the runs that ended in [from, to) per accelerator model and outcome,
   * and per model the accelerator-seconds spent inside [from, to) by every run that overlapped it, exact.
   */
  async chipRuns(from: Date, to: Date): Promise<{ runs: ChipRunGroup[]; busy: Map<string, bigint> }> {
    const runs = await this.db
      .selectFrom('usage_records')
      .select((eb) => [
        'accelerator_model',
        'outcome',
        eb.fn.countAll<string>().as('runs'),
        eb.fn.sum<string>('accelerator_seconds').as('accelerator_seconds'),
      ])
      .where('ended_at', '>=', from)
      .where('ended_at', '<', to)
      .groupBy(['accelerator_model', 'outcome'])
      .orderBy('accelerator_model')
      .orderBy('outcome')
      .execute();
    // A run's accelerators are held evenly over its wall-clock time, so its part inside the window is its
    // accelerator-seconds × overlap ÷ duration (whole seconds, rounded down per run; a zero-length run counts whole).
    const busy = await sql<{ accelerator_model: string; seconds: string }>`
      select accelerator_model, sum(case
          when ended_at <= started_at then accelerator_seconds
          else floor(accelerator_seconds * extract(epoch from least(ended_at, ${to}::timestamptz)
                  - greatest(started_at, ${from}::timestamptz))::numeric
                / extract(epoch from ended_at - started_at)::numeric)::bigint
        end)::text as seconds
      from usage_records
      where ended_at > ${from}::timestamptz and started_at < ${to}::timestamptz
      group by accelerator_model`.execute(this.db);
    return {
      runs: runs.map((r) => ({
        acceleratorModel: r.accelerator_model,
        outcome: r.outcome,
        runs: Number(r.runs),
        acceleratorSeconds: BigInt(r.accelerator_seconds),
      })),
      busy: new Map(busy.rows.map((r) => [r.accelerator_model, BigInt(r.seconds)])),
    };
  }
}
