/** Job routes: submit (idempotent), list, get with history, cancel, logs. Every read goes through the caller's scope. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { JOB_STATES, type JobState } from '../../core/domain.ts';
import { JobSpecWire, parseJobSpec, parseJobSpecText } from '../../core/job-spec.ts';
import { isTerminal } from '../../core/job-lifecycle.ts';
import { IdempotencyConflict, UnknownProject } from '../../store/index.ts';
import { can, requirePermission } from '../auth.ts';
import type { AppContext } from '../context.ts';
import { ProblemError, ProblemSchema, forbidden, notFound } from '../problems.ts';
import { JobSchema } from '../schemas.ts';
import { jobView } from '../views.ts';
import { principalOf } from './principal.ts';

const MAX_IDEMPOTENCY_KEY = 200;
/** Jobs per batch submission: a sweep of a thousand runs is one request; more is several. */
export const MAX_BATCH_JOBS = 1000;
/** A batch's key names its jobs `<key>#<index>`: room for the longest index within the column's limit. */
const MAX_BATCH_IDEMPOTENCY_KEY = MAX_IDEMPOTENCY_KEY - `#${MAX_BATCH_JOBS}`.length;
const JobId = Type.Object({ id: Type.String({ description: 'Job id' }) });
const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema };

const NO_NAMES = { clusters: new Map<string, string>(), pools: new Map<string, string>() };

export function jobRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const { store } = context;

  async function names() {
    const [clusters, pools] = await Promise.all([store.federation.listClusters(), store.federation.listPools()]);
    return {
      clusters: new Map(clusters.map((c) => [c.id, c.name])),
      pools: new Map(pools.map((p) => [p.id, p.name])),
    };
  }

  return async (app) => {
    app.post(
      '/jobs',
      {
        schema: {
          tags: ['jobs'],
          summary: 'Submit a job',
          description:
            'The body is a job spec (apiVersion suanli.io/v1, kind Job) as JSON or YAML. With an Idempotency-Key, ' +
            'a repeated submission returns the job first created under that key (200) instead of a new one.',
          consumes: ['application/json', 'application/yaml'],
          headers: Type.Object({
            'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: MAX_IDEMPOTENCY_KEY })),
          }),
          body: JobSpecWire,
          response: { 200: JobSchema, 201: JobSchema, 409: ProblemSchema, ...problems },
        },
        // The core's parser validates the body (one set of rules for API, CLI and simulator); the schema above
        // only documents it. Fastify's own validator would coerce types and answer in another format.
        validatorCompiler: () => () => true,
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requirePermission(principal, 'jobs:submit');
        // The no-op validatorCompiler below skips the headers schema too, so its limits are checked here: an
        // unchecked key of a few thousand characters overflowed the unique index and answered 500.
        const key = request.headers['idempotency-key'];
        if (key !== undefined && (typeof key !== 'string' || key.length < 1 || key.length > MAX_IDEMPOTENCY_KEY)) {
          const message = `must be 1 to ${MAX_IDEMPOTENCY_KEY} characters`;
          throw new ProblemError(400, 'invalid-request', `idempotency-key: ${message}`, [
            { field: 'idempotency-key', message },
          ]);
        }
        const body: unknown = request.body;
        const parsed = typeof body === 'string' ? parseJobSpecText(body) : parseJobSpec(body);
        if (!parsed.ok) {
          const detail = parsed.errors.map((e) => `${e.field || '(body)'}: ${e.message}`).join('; ');
          throw new ProblemError(400, 'invalid-job-spec', detail, parsed.errors);
        }
        const tenantId = principal.user.tenantId!;
        try {
          // The project is looked up by name in the statement that stores the job: one round trip per submission.
          const { job, created } = await store.jobs.create({
            tenantId,
            projectName: parsed.spec.project,
            submittedBy: principal.user.id,
            spec: parsed.spec,
            idempotencyKey: typeof key === 'string' ? key : null,
            now: context.clock(),
          });
          reply.code(created ? 201 : 200).header('location', `/api/v1/jobs/${job.id}`);
          // A new job is on no cluster yet: no names to look up (a replayed submit may be).
          return jobView(job, created ? NO_NAMES : await names());
        } catch (error) {
          if (error instanceof UnknownProject) {
            const known = (await store.federation.listProjects(tenantId)).map((p) => p.name);
            const message = `no project named ${JSON.stringify(parsed.spec.project)} (your projects: ${known.join(', ') || 'none'})`;
            throw new ProblemError(400, 'invalid-job-spec', `metadata.project: ${message}`, [
              { field: 'metadata.project', message },
            ]);
          }
          if (error instanceof IdempotencyConflict) throw new ProblemError(409, 'idempotency-conflict', error.message);
          throw error;
        }
      },
    );

    app.post(
      '/jobs/batch',
      {
        schema: {
          tags: ['jobs'],
          summary: 'Submit many jobs at once',
          description:
            `Up to ${MAX_BATCH_JOBS} job specs in one request (a parameter sweep, an evaluation suite): all are ` +
            'validated first, and either all are stored or none (the error names the item, e.g. ' +
            '`jobs[3].spec.timeLimit`). Stored in the order given, so they queue in that order. With an ' +
            'Idempotency-Key, the jobs are keyed `<key>#<index>`: repeating the request returns the jobs first ' +
            'created (200) instead of new ones.',
          headers: Type.Object({
            'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: MAX_BATCH_IDEMPOTENCY_KEY })),
          }),
          body: Type.Object({ jobs: Type.Array(JobSpecWire, { minItems: 1, maxItems: MAX_BATCH_JOBS }) }),
          response: {
            200: Type.Object({ items: Type.Array(JobSchema) }),
            201: Type.Object({ items: Type.Array(JobSchema) }),
            409: ProblemSchema,
            ...problems,
          },
        },
        // As for one job: the core's parser checks each spec, with its own messages.
        validatorCompiler: () => () => true,
        // A thousand specs with their scripts outgrow the 1 MiB that is plenty for one.
        bodyLimit: 16 * 1024 * 1024,
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requirePermission(principal, 'jobs:submit');
        const key = request.headers['idempotency-key'];
        if (
          key !== undefined &&
          (typeof key !== 'string' || key.length < 1 || key.length > MAX_BATCH_IDEMPOTENCY_KEY)
        ) {
          const message = `must be 1 to ${MAX_BATCH_IDEMPOTENCY_KEY} characters for a batch`;
          throw new ProblemError(400, 'invalid-request', `idempotency-key: ${message}`, [
            { field: 'idempotency-key', message },
          ]);
        }
        const body = request.body as { jobs?: unknown } | null;
        const items = body && typeof body === 'object' ? body.jobs : undefined;
        if (!Array.isArray(items) || items.length < 1 || items.length > MAX_BATCH_JOBS) {
          const message = `must be a list of 1 to ${MAX_BATCH_JOBS} job specs`;
          throw new ProblemError(400, 'invalid-request', `jobs: ${message}`, [{ field: 'jobs', message }]);
        }
        const tenantId = principal.user.tenantId!;
        const specs = [];
        const errors: Array<{ field: string; message: string }> = [];
        for (const [i, item] of items.entries()) {
          const parsed = parseJobSpec(item);
          if (parsed.ok) specs.push(parsed.spec);
          else
            errors.push(
              ...parsed.errors.map((e) => ({
                field: e.field ? `jobs[${i}].${e.field}` : `jobs[${i}]`,
                message: e.message,
              })),
            );
        }
        const projects = new Map<string, string>();
        for (const name of new Set(specs.map((s) => s.project))) {
          const project = await store.federation.findProject(tenantId, name);
          if (project) projects.set(name, project.id);
        }
        for (const [i, spec] of specs.entries()) {
          if (errors.length > 0 || projects.has(spec.project)) continue;
          const known = (await store.federation.listProjects(tenantId)).map((p) => p.name);
          const message = `no project named ${JSON.stringify(spec.project)} (your projects: ${known.join(', ') || 'none'})`;
          errors.push({ field: `jobs[${i}].metadata.project`, message });
        }
        if (errors.length > 0) {
          const detail = errors
            .slice(0, 10)
            .map((e) => `${e.field}: ${e.message}`)
            .join('; ');
          const more = errors.length > 10 ? ` (and ${errors.length - 10} more)` : '';
          throw new ProblemError(400, 'invalid-job-spec', `${detail}${more}; no job was stored`, errors);
        }
        const now = context.clock();
        try {
          const results = await store.jobs.createMany(
            specs.map((spec, i) => ({
              tenantId,
              projectId: projects.get(spec.project)!,
              submittedBy: principal.user.id,
              spec,
              idempotencyKey: typeof key === 'string' ? `${key}#${i}` : null,
              now,
            })),
          );
          const created = results.some((r) => r.created);
          reply.code(created ? 201 : 200);
          const n = results.every((r) => r.created) ? NO_NAMES : await names();
          return { items: results.map((r) => jobView(r.job, n)) };
        } catch (error) {
          if (error instanceof IdempotencyConflict) throw new ProblemError(409, 'idempotency-conflict', error.message);
          throw error;
        }
      },
    );

    app.get(
      '/jobs',
      {
        schema: {
          tags: ['jobs'],
          summary: 'List jobs visible to the caller, newest first',
          querystring: Type.Object({
            state: Type.Optional(Type.String({ description: 'Comma-separated job states' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          }),
          response: { 200: Type.Object({ items: Type.Array(JobSchema) }), ...problems },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requirePermission(principal, 'jobs:read');
        const states =
          request.query.state
            ?.split(',')
            .map((s) => s.trim())
            .filter(Boolean) ?? [];
        const unknown = states.filter((s) => !(JOB_STATES as readonly string[]).includes(s));
        if (unknown.length) {
          const message = `unknown state ${unknown.join(', ')} (known: ${JOB_STATES.join(', ')})`;
          throw new ProblemError(400, 'invalid-request', `state: ${message}`, [{ field: 'state', message }]);
        }
        const jobs = await store.jobs.list(principal.scope, {
          states: states as JobState[],
          limit: request.query.limit ?? 100,
        });
        const n = await names();
        return { items: jobs.map((j) => jobView(j, n)) };
      },
    );

    app.get(
      '/jobs/:id',
      {
        schema: {
          tags: ['jobs'],
          summary: 'A job with its event history',
          params: JobId,
          response: { 200: JobSchema, ...problems },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requirePermission(principal, 'jobs:read');
        const job = await store.jobs.get(principal.scope, request.params.id);
        if (!job) throw notFound(`job ${request.params.id}`);
        return jobView(job, await names(), await store.jobs.events(job.id));
      },
    );

    app.post(
      '/jobs/:id/cancel',
      {
        schema: {
          tags: ['jobs'],
          summary: 'Ask for a job to be cancelled; the control loop carries it out',
          params: JobId,
          response: { 202: JobSchema, 409: ProblemSchema, ...problems },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const job = await store.jobs.get(principal.scope, request.params.id);
        if (!job) throw notFound(`job ${request.params.id}`);
        const own = job.submittedBy === principal.user.id;
        if (!can(principal, 'jobs:cancel-any') && !(own && can(principal, 'jobs:cancel-own'))) {
          throw forbidden(`role ${principal.user.role} may cancel only jobs it submitted`);
        }
        if (isTerminal(job.state)) {
          throw new ProblemError(409, 'job-finished', `job ${job.id} has already ended (${job.state})`);
        }
        await store.jobs.requestCancel(principal.scope, job.id, context.clock());
        const updated = (await store.jobs.get(principal.scope, job.id))!;
        reply.code(202);
        return jobView(updated, await names());
      },
    );

    app.get(
      '/jobs/:id/logs',
      {
        schema: {
          tags: ['jobs'],
          summary: "The job's output (stdout and stderr), as the cluster keeps it",
          params: JobId,
          querystring: Type.Object({ tailBytes: Type.Optional(Type.Integer({ minimum: 1 })) }),
          produces: ['text/plain'],
          response: { 200: Type.String(), ...problems },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requirePermission(principal, 'jobs:read');
        const job = await store.jobs.get(principal.scope, request.params.id);
        if (!job) throw notFound(`job ${request.params.id}`);
        reply.type('text/plain; charset=utf-8');
        if (!job.engineJobId || !job.clusterId) return '';
        const cluster = await store.federation.getCluster(job.clusterId);
        if (!cluster) return '';
        const tail = request.query.tailBytes;
        return context.engines.for(cluster).logs(job.engineJobId, tail ? { tailBytes: tail } : {});
      },
    );
  };
}
