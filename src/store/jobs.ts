/**
 * Jobs and their event history. Every state change goes through `transition`, which updates the row only if it is
 * still in an expected state and writes the event in the same transaction: two control loops racing on one job
 * cannot both move it, and no change goes unrecorded.
 */
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { assertTransition } from '../core/job-lifecycle.ts';
import type { Job, JobEvent, JobSpec, JobState, RunOutcome } from '../core/domain.ts';
import type { Database, JobsTable } from './schema.ts';
import { inScope, type Scope } from './scope.ts';
import { uuidv7 } from './ids.ts';

/** NOTIFY channel on which every new job is announced (store.listen): submissions wake the control loop. */
export const JOBS_SUBMITTED_CHANNEL = 'suanli_jobs_submitted';

export interface StoredJob extends Job {
  projectName: string;
  dispatchStartedAt: Date | null;
  /** Set while a preemption is being carried out; the reason says why. */
  preemptRequestedAt: Date | null;
  preemptReason: string | null;
  /** The pending job this preemption makes room for. */
  preemptFor: string | null;
  /**
   * Seconds from `preemptRequestedAt` to the kill that the preemption gave the run to checkpoint; null for one
   * requested before it was stored (migration 015), which gets the policy's default.
   */
  preemptGraceSeconds: number | null;
  updatedAt: Date;
  idempotencyKey: string | null;
}

type JobRow = Selectable<JobsTable> & { project_name: string };

function toJob(row: JobRow): StoredJob {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    projectId: row.project_id,
    projectName: row.project_name,
    submittedBy: row.submitted_by,
    spec: row.spec as JobSpec,
    state: row.state as JobState,
    submittedAt: row.submitted_at,
    reason: row.reason,
    clusterId: row.cluster_id,
    poolId: row.pool_id,
    nodeNames: row.node_names,
    dispatchTag: row.dispatch_tag,
    engineJobId: row.engine_job_id,
    attempt: row.attempt,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    exitCode: row.exit_code,
    cancelRequested: row.cancel_requested_at !== null,
    dispatchStartedAt: row.dispatch_started_at,
    preemptRequestedAt: row.preempt_requested_at,
    preemptReason: row.preempt_reason,
    preemptFor: row.preempt_for,
    preemptGraceSeconds: row.preempt_grace_seconds,
    updatedAt: row.updated_at,
    idempotencyKey: row.idempotency_key,
  };
}

export interface NewJob {
  tenantId: string;
  projectId: string;
  submittedBy: string;
  spec: JobSpec;
  idempotencyKey: string | null;
  now: Date;
}

/** A submission naming its project as the tenant knows it (`JobRepo.create` looks it up in the same statement). */
export type JobSubmission = Omit<NewJob, 'projectId'> & { projectName: string };

/** Column changes that may accompany a transition. */
export interface JobPatch {
  reason?: string | null;
  clusterId?: string | null;
  poolId?: string | null;
  nodeNames?: string[];
  dispatchTag?: string | null;
  engineJobId?: string | null;
  attempt?: number;
  startedAt?: Date | null;
  endedAt?: Date | null;
  exitCode?: number | null;
  dispatchStartedAt?: Date | null;
  preemptRequestedAt?: Date | null;
  preemptReason?: string | null;
  preemptFor?: string | null;
  preemptGraceSeconds?: number | null;
}

function patchColumns(patch: JobPatch) {
  const set: Record<string, unknown> = {};
  if (patch.reason !== undefined) set.reason = patch.reason;
  if (patch.clusterId !== undefined) set.cluster_id = patch.clusterId;
  if (patch.poolId !== undefined) set.pool_id = patch.poolId;
  if (patch.nodeNames !== undefined) set.node_names = patch.nodeNames;
  if (patch.dispatchTag !== undefined) set.dispatch_tag = patch.dispatchTag;
  if (patch.engineJobId !== undefined) set.engine_job_id = patch.engineJobId;
  if (patch.attempt !== undefined) set.attempt = patch.attempt;
  if (patch.startedAt !== undefined) set.started_at = patch.startedAt;
  if (patch.endedAt !== undefined) set.ended_at = patch.endedAt;
  if (patch.exitCode !== undefined) set.exit_code = patch.exitCode;
  if (patch.dispatchStartedAt !== undefined) set.dispatch_started_at = patch.dispatchStartedAt;
  if (patch.preemptRequestedAt !== undefined) set.preempt_requested_at = patch.preemptRequestedAt;
  if (patch.preemptReason !== undefined) set.preempt_reason = patch.preemptReason;
  if (patch.preemptFor !== undefined) set.preempt_for = patch.preemptFor;
  if (patch.preemptGraceSeconds !== undefined) set.preempt_grace_seconds = patch.preemptGraceSeconds;
  return set;
}

/** A replayed submission must be the one first stored under its idempotency key. */
function assertSameSubmission(job: StoredJob, input: NewJob | JobSubmission): void {
  const sameProject = 'projectId' in input ? job.projectId === input.projectId : job.projectName === input.projectName;
  if (canonicalJson(job.spec) !== canonicalJson(input.spec) || !sameProject) {
    throw new IdempotencyConflict(
      `idempotency key ${JSON.stringify(input.idempotencyKey)} was already used for job ${job.id} with a different spec`,
    );
  }
}

/** A transition among many made in one statement (`JobRepo.transitionMany`). */
/** A run that ended, to be metered: where it ran, when it ended and how (the chip race reads the outcome). */
export interface RunEnd {
  clusterId: string;
  engineJobId: string;
  poolId: string | null;
  endedAt: Date;
  outcome: RunOutcome;
}

export interface ManyTransition {
  id: string;
  from: JobState;
  to: JobState;
  reason: string;
  patch?: JobPatch;
  /** A run that ended with this transition, queued for metering in the same statement. */
  meter?: RunEnd;
}

/** A patch's columns as JSON for jsonb_to_recordset: dates as ISO text, absent keys absent (left unchanged). */
function patchJson(patch: JobPatch): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(patchColumns(patch))) {
    json[column] = value instanceof Date ? value.toISOString() : value;
  }
  return json;
}

/** `column = patched value, or the old one when the patch has no such key`, for each column a patch may set. */
const PATCHED_COLUMNS = sql.raw(
  (
    [
      ['cluster_id', 'text'],
      ['pool_id', 'text'],
      ['dispatch_tag', 'text'],
      ['engine_job_id', 'text'],
      ['attempt', 'integer'],
      ['started_at', 'timestamptz'],
      ['ended_at', 'timestamptz'],
      ['exit_code', 'integer'],
      ['dispatch_started_at', 'timestamptz'],
      ['preempt_requested_at', 'timestamptz'],
      ['preempt_reason', 'text'],
      ['preempt_for', 'text'],
      ['preempt_grace_seconds', 'integer'],
    ] as const
  )
    .map(([c, type]) => `${c} = case when t.patch ? '${c}' then (t.patch->>'${c}')::${type} else jobs.${c} end`)
    .concat(
      `node_names = case when t.patch ? 'node_names' then ` +
        `array(select jsonb_array_elements_text(t.patch->'node_names')) else jobs.node_names end`,
    )
    .join(',\n        '),
);

/** JSON with object keys sorted: jsonb does not keep key order, so compare specs in this form. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** A dispatch taken back from a cluster that stopped answering (see withdraw), and what became of it there. */
export interface WithdrawnDispatch {
  clusterId: string;
  engineJobId: string;
  jobId: string;
  withdrawnAt: Date;
  settledAt: Date | null;
  /** cancelled | ran-while-withdrawn | gone; null until settled. */
  outcome: string | null;
  detail: string | null;
}

export class IdempotencyConflict extends Error {
  override readonly name = 'IdempotencyConflict';
}

/** A submission named a project its tenant does not have. */
export class UnknownProject extends Error {
  override readonly name = 'UnknownProject';
}

export class JobRepo {
  constructor(private readonly db: Kysely<Database>) {}

  private selectJobs(db: Kysely<Database> | Transaction<Database>) {
    return db
      .selectFrom('jobs')
      .innerJoin('projects', 'projects.id', 'jobs.project_id')
      .selectAll('jobs')
      .select('projects.name as project_name');
  }

  /**
   * Stores a new pending job and its first event, or returns the job already stored under the same idempotency
   * key (created: false). The same key with a different spec is a conflict, not a silent replay. A submission may
   * name its project as the tenant knows it: the lookup is part of the same statement, so a submission costs one
   * round trip; a project the tenant does not have is an UnknownProject.
   */
  async create(input: NewJob | JobSubmission): Promise<{ job: StoredJob; created: boolean }> {
    const id = uuidv7(input.now.getTime());
    const project =
      'projectId' in input ? sql`projects.id = ${input.projectId}` : sql`projects.name = ${input.projectName}`;
    // One statement (atomic by itself): the project, the job, its first event, the stored row back and the nudge.
    const { rows } = await sql<JobRow>`
      with inserted as (
        insert into jobs (id, tenant_id, project_id, submitted_by, name, priority_class, spec, state, reason,
          submitted_at, idempotency_key, updated_at)
        select ${id}, projects.tenant_id, projects.id, ${input.submittedBy}, ${input.spec.name},
          ${input.spec.priorityClass}, ${JSON.stringify(input.spec)}::jsonb, 'pending',
          'waiting for the next scheduling cycle', ${input.now}::timestamptz, ${input.idempotencyKey}::text,
          ${input.now}::timestamptz
        from projects where projects.tenant_id = ${input.tenantId} and ${project}
        on conflict (tenant_id, idempotency_key) do nothing
        returning *
      ), first_event as (
        insert into job_events (job_id, at, from_state, to_state, reason, actor)
        select id, submitted_at, null, state, 'submitted', submitted_by from inserted
      )
      -- Delivered at commit to every process LISTENing (the control loop's leader may be another server process).
      select inserted.*, projects.name as project_name, pg_notify(${JOBS_SUBMITTED_CHANNEL}, '') as notified
      from inserted join projects on projects.id = inserted.project_id
    `.execute(this.db);
    if (rows[0]) return { job: toJob(rows[0]), created: true };
    if (input.idempotencyKey !== null) {
      const existing = await this.selectJobs(this.db)
        .where('jobs.tenant_id', '=', input.tenantId)
        .where('jobs.idempotency_key', '=', input.idempotencyKey)
        .executeTakeFirst();
      if (existing) {
        const job = toJob(existing);
        assertSameSubmission(job, input);
        return { job, created: false };
      }
    }
    const named = 'projectId' in input ? `id ${input.projectId}` : `name ${JSON.stringify(input.projectName)}`;
    throw new UnknownProject(`tenant ${input.tenantId} has no project with ${named}`);
  }

  /**
   * Submits many jobs of one tenant at once, as `create` does each: one statement stores the new ones with their
   * first events; a job whose idempotency key was used before comes back as first stored (or, with another spec,
   * fails the whole call with IdempotencyConflict — nothing is stored then). Results are in the order given, and so
   * are the new jobs' ids, so the scheduler sees a batch in the order it was written.
   */
  async createMany(inputs: readonly NewJob[]): Promise<Array<{ job: StoredJob; created: boolean }>> {
    if (inputs.length === 0) return [];
    const tenants = new Set(inputs.map((i) => i.tenantId));
    if (tenants.size !== 1) throw new Error('createMany takes the jobs of one tenant');
    const tenantId = inputs[0]!.tenantId;
    const now = inputs[0]!.now;
    const ids = inputs.map(() => uuidv7(now.getTime())).sort();
    const rows = JSON.stringify(
      inputs.map((input, i) => ({
        ord: i,
        id: ids[i],
        project_id: input.projectId,
        submitted_by: input.submittedBy,
        name: input.spec.name,
        priority_class: input.spec.priorityClass,
        spec: input.spec,
        idempotency_key: input.idempotencyKey,
      })),
    );
    return this.db.transaction().execute(async (tx) => {
      const inserted = await sql<JobRow & { ord: number }>`
        with input as (
          select * from jsonb_to_recordset(${rows}::jsonb) as t(ord integer, id text, project_id text,
            submitted_by text, name text, priority_class text, spec jsonb, idempotency_key text)
        ), inserted as (
          insert into jobs (id, tenant_id, project_id, submitted_by, name, priority_class, spec, state, reason,
            submitted_at, idempotency_key, updated_at)
          select id, ${tenantId}, project_id, submitted_by, name, priority_class, spec, 'pending',
            'waiting for the next scheduling cycle', ${now}, idempotency_key, ${now}
          from input order by ord
          on conflict (tenant_id, idempotency_key) do nothing
          returning *
        ), first_event as (
          insert into job_events (job_id, at, from_state, to_state, reason, actor)
          select id, submitted_at, null, state, 'submitted', submitted_by from inserted
        )
        select inserted.*, projects.name as project_name, input.ord,
          pg_notify(${JOBS_SUBMITTED_CHANNEL}, '') as notified
        from inserted join input on input.id = inserted.id join projects on projects.id = inserted.project_id
      `.execute(tx);
      const results: Array<{ job: StoredJob; created: boolean } | undefined> = new Array(inputs.length);
      for (const row of inserted.rows) results[row.ord] = { job: toJob(row), created: true };
      const replayed = inputs.flatMap((input, i) => (results[i] ? [] : [{ input, i }]));
      if (replayed.length > 0) {
        const keys = replayed.map((r) => r.input.idempotencyKey!);
        const existing = await this.selectJobs(tx)
          .where('jobs.tenant_id', '=', tenantId)
          .where('jobs.idempotency_key', 'in', keys)
          .execute();
        const byKey = new Map(existing.map((row) => [row.idempotency_key, toJob(row)]));
        for (const { input, i } of replayed) {
          const job = byKey.get(input.idempotencyKey);
          if (!job) throw new Error(`job with idempotency key ${input.idempotencyKey} neither stored nor found`);
          // A conflict rolls the transaction back: none of this call's jobs is stored.
          assertSameSubmission(job, input);
          results[i] = { job, created: false };
        }
      }
      return results as Array<{ job: StoredJob; created: boolean }>;
    });
  }

  async get(scope: Scope, id: string): Promise<StoredJob | null> {
    const row = await this.selectJobs(this.db)
      .where('jobs.id', '=', id)
      .where(inScope('jobs', scope))
      .executeTakeFirst();
    return row ? toJob(row) : null;
  }

  async list(
    scope: Scope,
    options: { states?: JobState[]; limit?: number; submittedBy?: string } = {},
  ): Promise<StoredJob[]> {
    let query = this.selectJobs(this.db).where(inScope('jobs', scope));
    if (options.states?.length) query = query.where('jobs.state', 'in', options.states);
    if (options.submittedBy) query = query.where('jobs.submitted_by', '=', options.submittedBy);
    const rows = await query
      .orderBy('jobs.submitted_at', 'desc')
      .orderBy('jobs.id', 'desc')
      .limit(options.limit ?? 100)
      .execute();
    return rows.map((r) => toJob(r));
  }

  /** For the control loop: all jobs in these states, oldest first. */
  /** Jobs in these states, oldest first; only those placed on `clusterId` when it is given. */
  async inStates(states: JobState[], clusterId?: string): Promise<StoredJob[]> {
    let query = this.selectJobs(this.db).where('jobs.state', 'in', states);
    if (clusterId !== undefined) query = query.where('jobs.cluster_id', '=', clusterId);
    const rows = await query.orderBy('jobs.submitted_at').orderBy('jobs.id').execute();
    return rows.map((r) => toJob(r));
  }

  /** For the reconciliation report: these jobs, whatever their state or tenant; ids not stored are left out. */
  async byIds(ids: string[]): Promise<StoredJob[]> {
    const jobs: StoredJob[] = [];
    // In chunks: an engine's month of jobs can pass PostgreSQL's limit on bind parameters.
    for (let i = 0; i < ids.length; i += 1000) {
      const rows = await this.selectJobs(this.db)
        .where('jobs.id', 'in', ids.slice(i, i + 1000))
        .execute();
      jobs.push(...rows.map((r) => toJob(r)));
    }
    return jobs;
  }

  /** Jobs placed on these clusters in these states, changed since `since` when given; oldest first. */
  async onClusters(clusterIds: string[], states: JobState[], since?: Date): Promise<StoredJob[]> {
    if (clusterIds.length === 0) return [];
    let query = this.selectJobs(this.db).where('jobs.cluster_id', 'in', clusterIds).where('jobs.state', 'in', states);
    if (since) query = query.where('jobs.updated_at', '>=', since);
    const rows = await query.orderBy('jobs.submitted_at').orderBy('jobs.id').execute();
    return rows.map((r) => toJob(r));
  }

  async events(jobId: string): Promise<JobEvent[]> {
    const rows = await this.db.selectFrom('job_events').selectAll().where('job_id', '=', jobId).orderBy('id').execute();
    return rows.map((r) => ({
      jobId: r.job_id,
      at: r.at,
      from: r.from_state as JobState | null,
      to: r.to_state as JobState,
      reason: r.reason,
      actor: r.actor,
    }));
  }

  /**
   * Moves a job from `from` to `to` if it is still in `from`, with its event, atomically.
   * Returns the updated job, or null when the job had already moved on (someone else acted first).
   */
  async transition(
    id: string,
    from: JobState,
    to: JobState,
    change: {
      reason: string;
      actor: string;
      now: Date;
      patch?: JobPatch;
      /** A run that ended with this transition, queued for metering in the same transaction. */
      meter?: RunEnd;
    },
  ): Promise<StoredJob | null> {
    assertTransition(from, to);
    // One statement (one round trip, atomic by itself): the conditional update, its event, the metering entry.
    const withUpdate = this.db
      .with('updated', (db) =>
        db
          .updateTable('jobs')
          .set({ state: to, updated_at: change.now, reason: change.reason, ...patchColumns(change.patch ?? {}) })
          .where('id', '=', id)
          .where('state', '=', from)
          .returningAll(),
      )
      .with('event', (db) =>
        db
          .insertInto('job_events')
          .columns(['job_id', 'at', 'from_state', 'to_state', 'reason', 'actor'])
          .expression((eb) =>
            eb
              .selectFrom('updated')
              .select([
                'updated.id',
                sql<Date>`${change.now}::timestamptz`.as('at'),
                sql<string>`${from}::text`.as('from_state'),
                'updated.state',
                'updated.reason',
                sql<string>`${change.actor}::text`.as('actor'),
              ]),
          ),
      );
    const meter = change.meter;
    // The metering CTE only adds a table the final select never reads: the type stays that of `withUpdate`.
    const query: typeof withUpdate = meter
      ? (withUpdate.with('metered', (db) =>
          db
            .insertInto('metering_queue')
            .columns(['cluster_id', 'engine_job_id', 'job_id', 'pool_id', 'ended_at', 'enqueued_at', 'outcome'])
            .expression((eb) =>
              eb
                .selectFrom('updated')
                .select([
                  sql<string>`${meter.clusterId}::text`.as('cluster_id'),
                  sql<string>`${meter.engineJobId}::text`.as('engine_job_id'),
                  'updated.id',
                  sql<string | null>`${meter.poolId}::text`.as('pool_id'),
                  sql<Date>`${meter.endedAt}::timestamptz`.as('ended_at'),
                  sql<Date>`${change.now}::timestamptz`.as('enqueued_at'),
                  sql<RunOutcome>`${meter.outcome}::text`.as('outcome'),
                ]),
            )
            .onConflict((oc) => oc.columns(['cluster_id', 'engine_job_id']).doNothing()),
        ) as unknown as typeof withUpdate)
      : withUpdate;
    const row = await query
      .selectFrom('updated')
      .innerJoin('projects', 'projects.id', 'updated.project_id')
      .selectAll('updated')
      .select('projects.name as project_name')
      .executeTakeFirst();
    return row ? toJob(row) : null;
  }

  /**
   * Admits many pending jobs at once (a scheduling cycle's placements): one statement moves each job that is
   * still pending to admitted with its placement and writes its event. Returns the ids that moved; a job that left
   * pending meanwhile (cancelled) is skipped, as a single conditional transition would.
   */
  async admitMany(
    admissions: ReadonlyArray<{
      id: string;
      clusterId: string;
      poolId: string;
      nodeNames: string[];
      attempt: number;
      dispatchTag: string;
      reason: string;
    }>,
    actor: string,
    now: Date,
  ): Promise<string[]> {
    if (admissions.length === 0) return [];
    assertTransition('pending', 'admitted');
    const rows = JSON.stringify(
      admissions.map((a) => ({
        id: a.id,
        cluster_id: a.clusterId,
        pool_id: a.poolId,
        node_names: a.nodeNames,
        attempt: a.attempt,
        dispatch_tag: a.dispatchTag,
        reason: a.reason,
      })),
    );
    const result = await sql<{ id: string }>`
      with placed as (
        select * from jsonb_to_recordset(${rows}::jsonb)
          as p(id text, cluster_id text, pool_id text, node_names text[], attempt integer, dispatch_tag text, reason text)
      ), moved as (
        update jobs set state = 'admitted', updated_at = ${now}, reason = placed.reason,
          cluster_id = placed.cluster_id, pool_id = placed.pool_id, node_names = placed.node_names,
          attempt = placed.attempt, dispatch_tag = placed.dispatch_tag, dispatch_started_at = null, engine_job_id = null
        from placed where jobs.id = placed.id and jobs.state = 'pending'
        returning jobs.id, jobs.reason
      ), logged as (
        insert into job_events (job_id, at, from_state, to_state, reason, actor)
        select moved.id, ${now}, 'pending', 'admitted', moved.reason, ${actor} from moved
      )
      select id from moved`.execute(this.db);
    return result.rows.map((r) => r.id);
  }

  /**
   * Many conditional transitions in one statement, each as `transition` makes it: the job moves only if it is still
   * in its `from` state, with its event and, for an ended run, its metering entry. A loop pass that confirms a burst
   * of dispatches or follows a burst of ends pays one round trip, not one per job. Returns the ids that moved.
   */
  async transitionMany(items: readonly ManyTransition[], actor: string, now: Date): Promise<string[]> {
    if (items.length === 0) return [];
    const ids = new Set<string>();
    for (const item of items) {
      assertTransition(item.from, item.to);
      // UPDATE … FROM would apply only one of two rows for a job, arbitrarily.
      if (ids.has(item.id)) throw new Error(`job ${item.id} appears twice in one transitionMany`);
      ids.add(item.id);
    }
    const rows = JSON.stringify(
      items.map((i) => ({
        id: i.id,
        from_state: i.from,
        to_state: i.to,
        reason: i.reason,
        patch: patchJson(i.patch ?? {}),
        meter_cluster_id: i.meter?.clusterId ?? null,
        meter_engine_job_id: i.meter?.engineJobId ?? null,
        meter_pool_id: i.meter?.poolId ?? null,
        meter_ended_at: i.meter?.endedAt.toISOString() ?? null,
        meter_outcome: i.meter?.outcome ?? null,
      })),
    );
    const result = await sql<{ id: string }>`
      with t as (
        select * from jsonb_to_recordset(${rows}::jsonb) as t(id text, from_state text, to_state text, reason text,
          patch jsonb, meter_cluster_id text, meter_engine_job_id text, meter_pool_id text, meter_ended_at timestamptz,
          meter_outcome text)
      ), moved as (
        update jobs set state = t.to_state, updated_at = ${now}, reason = t.reason,
        ${PATCHED_COLUMNS}
        from t where jobs.id = t.id and jobs.state = t.from_state
        returning jobs.id
      ), logged as (
        insert into job_events (job_id, at, from_state, to_state, reason, actor)
        select t.id, ${now}, t.from_state, t.to_state, t.reason, ${actor} from moved join t on t.id = moved.id
      ), metered as (
        insert into metering_queue (cluster_id, engine_job_id, job_id, pool_id, ended_at, enqueued_at, outcome)
        select t.meter_cluster_id, t.meter_engine_job_id, t.id, t.meter_pool_id, t.meter_ended_at, ${now}, t.meter_outcome
        from moved join t on t.id = moved.id where t.meter_engine_job_id is not null
        on conflict (cluster_id, engine_job_id) do nothing
      )
      select id from moved`.execute(this.db);
    return result.rows.map((r) => r.id);
  }

  /** Updates columns without a state change (a new pending reason, a start time seen late). */
  async annotate(id: string, state: JobState, patch: JobPatch, now: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('jobs')
      .set({ ...patchColumns(patch), updated_at: now })
      .where('id', '=', id)
      .where('state', '=', state)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * Sets the reason of pending jobs, one statement for all of them (a cycle over a long queue explains every job
   * it leaves waiting); a job no longer pending is left as it is. Returns how many were set.
   */
  async setPendingReasons(items: ReadonlyArray<{ id: string; reason: string }>, now: Date): Promise<number> {
    if (items.length === 0) return 0;
    const rows = JSON.stringify(items.map((i) => ({ id: i.id, reason: i.reason })));
    const result = await sql`
      update jobs set reason = t.reason, updated_at = ${now}
      from jsonb_to_recordset(${rows}::jsonb) as t(id text, reason text)
      where jobs.id = t.id and jobs.state = 'pending'`.execute(this.db);
    return Number(result.numAffectedRows ?? 0n);
  }

  /**
   * Claims an admitted job for its one engine submit. The claim succeeds only while the caller holds the control
   * lease (checked in the same statement) and nobody claimed it before: so at most one process ever submits it.
   */
  async claimDispatch(id: string, leaseName: string, holder: string, now: Date): Promise<boolean> {
    return (await this.claimDispatchMany([id], leaseName, holder, now)).length > 0;
  }

  /**
   * Claims many admitted jobs at once (`claimDispatch`, one statement): returns the ids claimed; the others were
   * claimed before, left admitted, or the caller no longer holds the lease (then none).
   */
  async claimDispatchMany(ids: readonly string[], leaseName: string, holder: string, now: Date): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .updateTable('jobs')
      .set({ dispatch_started_at: now })
      .where('id', 'in', ids)
      .where('state', '=', 'admitted')
      .where('dispatch_started_at', 'is', null)
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom('leases')
            .select('name')
            .where('name', '=', leaseName)
            .where('holder', '=', holder)
            .where('expires_at', '>', sql<Date>`now()`),
        ),
      )
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * Takes a dispatched job that has not started back from a cluster that stopped answering: records the engine job
   * for later cancellation there and returns the job to the queue, in one transaction.
   */
  async withdraw(job: StoredJob, reason: string, actor: string, now: Date): Promise<boolean> {
    if (!job.clusterId || !job.engineJobId) return false;
    const { clusterId, engineJobId } = job;
    assertTransition('dispatched', 'pending');
    return this.db.transaction().execute(async (tx) => {
      const updated = await tx
        .updateTable('jobs')
        .set({
          state: 'pending',
          reason,
          updated_at: now,
          cluster_id: null,
          pool_id: null,
          node_names: [],
          engine_job_id: null,
          dispatch_started_at: null,
        })
        .where('id', '=', job.id)
        .where('state', '=', 'dispatched')
        .where('engine_job_id', '=', engineJobId)
        .returning('id')
        .executeTakeFirst();
      if (!updated) return false;
      await tx
        .insertInto('job_events')
        .values({ job_id: job.id, at: now, from_state: 'dispatched', to_state: 'pending', reason, actor })
        .execute();
      await tx
        .insertInto('withdrawn_dispatches')
        .values({ cluster_id: clusterId, engine_job_id: engineJobId, job_id: job.id, withdrawn_at: now })
        .onConflict((oc) => oc.columns(['cluster_id', 'engine_job_id']).doNothing())
        .execute();
      return true;
    });
  }

  async unsettledWithdrawals(clusterId: string): Promise<Array<{ engineJobId: string; jobId: string }>> {
    const rows = await this.db
      .selectFrom('withdrawn_dispatches')
      .select(['engine_job_id', 'job_id'])
      .where('cluster_id', '=', clusterId)
      .where('settled_at', 'is', null)
      .orderBy('withdrawn_at')
      .execute();
    return rows.map((r) => ({ engineJobId: r.engine_job_id, jobId: r.job_id }));
  }

  /** Withdrawn dispatches on these clusters since `since`, settled or not, oldest first. */
  async withdrawals(clusterIds: string[], since: Date): Promise<WithdrawnDispatch[]> {
    if (clusterIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('withdrawn_dispatches')
      .selectAll()
      .where('cluster_id', 'in', clusterIds)
      .where('withdrawn_at', '>=', since)
      .orderBy('withdrawn_at')
      .orderBy('engine_job_id')
      .execute();
    return rows.map((r) => ({
      clusterId: r.cluster_id,
      engineJobId: r.engine_job_id,
      jobId: r.job_id,
      withdrawnAt: r.withdrawn_at,
      settledAt: r.settled_at,
      outcome: r.outcome,
      detail: r.detail,
    }));
  }

  async settleWithdrawal(clusterId: string, engineJobId: string, outcome: string, detail: string, now: Date) {
    await this.db
      .updateTable('withdrawn_dispatches')
      .set({ settled_at: now, outcome, detail })
      .where('cluster_id', '=', clusterId)
      .where('engine_job_id', '=', engineJobId)
      .where('settled_at', 'is', null)
      .execute();
  }

  /** Runs on a cluster waiting for their accounting, oldest first. */
  async awaitingMetering(
    clusterId: string,
    limit = 500,
  ): Promise<
    Array<{
      engineJobId: string;
      jobId: string;
      poolId: string | null;
      endedAt: Date;
      tenantId: string;
      projectId: string;
      outcome: RunOutcome | null;
    }>
  > {
    const rows = await this.db
      .selectFrom('metering_queue')
      .innerJoin('jobs', 'jobs.id', 'metering_queue.job_id')
      .select([
        'metering_queue.engine_job_id',
        'metering_queue.job_id',
        'metering_queue.pool_id',
        'metering_queue.ended_at',
        'metering_queue.outcome',
        'jobs.tenant_id',
        'jobs.project_id',
      ])
      .where('metering_queue.cluster_id', '=', clusterId)
      .orderBy('metering_queue.ended_at')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      engineJobId: r.engine_job_id,
      jobId: r.job_id,
      poolId: r.pool_id,
      endedAt: r.ended_at,
      tenantId: r.tenant_id,
      projectId: r.project_id,
      outcome: r.outcome,
    }));
  }

  /**
   * Runs marked lost in [from, to) per accelerator model of the pool they were on (the chip race). Lost is final, so
   * the job's last change is when it was lost.
   */
  async lostByModel(from: Date, to: Date): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('jobs')
      .innerJoin('pools', 'pools.id', 'jobs.pool_id')
      .select((eb) => ['pools.accelerator_model', eb.fn.countAll<string>().as('runs')])
      .where('jobs.state', '=', 'lost')
      .where('jobs.updated_at', '>=', from)
      .where('jobs.updated_at', '<', to)
      .groupBy('pools.accelerator_model')
      .execute();
    return new Map(rows.map((r) => [r.accelerator_model, Number(r.runs)]));
  }

  async metered(clusterId: string, engineJobId: string): Promise<void> {
    await this.db
      .deleteFrom('metering_queue')
      .where('cluster_id', '=', clusterId)
      .where('engine_job_id', '=', engineJobId)
      .execute();
  }

  /** Marks cancellation wanted; the control loop carries it out. Returns false if the job is out of scope. */
  async requestCancel(scope: Scope, id: string, now: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('jobs')
      .set({ cancel_requested_at: now, updated_at: now })
      .where('id', '=', id)
      .where(inScope('jobs', scope))
      .where('cancel_requested_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}
