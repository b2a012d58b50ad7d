/** Who am I, member clusters and their capacity, and usage. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requirePermission } from '../auth.ts';
import type { AppContext } from '../context.ts';
import { ACTIVE_STATES } from '../../core/job-lifecycle.ts';
import { poolsWithFree } from '../control/snapshot.ts';
import { ProblemError, ProblemSchema } from '../problems.ts';
import { ClusterViewSchema, UsageReportSchema, UserSchema } from '../schemas.ts';
import { clusterView, poolView, usageTotalView, usageView } from '../views.ts';
import { principalOf } from './principal.ts';

const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema };

function parseTime(field: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  const invalid = (message: string) =>
    new ProblemError(400, 'invalid-request', `${field}: ${message}`, [{ field, message }]);
  if (Number.isNaN(date.getTime())) throw invalid(`not an ISO-8601 time: ${JSON.stringify(value)}`);
  // PostgreSQL's timestamptz cannot hold every JS date (a 500 otherwise); no usage lies outside these years.
  const year = date.getUTCFullYear();
  if (year < 1 || year > 9999) throw invalid(`${JSON.stringify(value)} is outside the years 1 to 9999`);
  return date;
}

export function federationRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const { store } = context;
  return async (app) => {
    app.get(
      '/whoami',
      {
        schema: {
          tags: ['auth'],
          summary: 'The caller',
          response: { 200: UserSchema, 401: ProblemSchema },
        },
      },
      async (request) => principalOf(request).user,
    );

    app.get(
      '/clusters',
      {
        schema: {
          tags: ['clusters'],
          summary: 'Member clusters with their pools, capacity in P, free accelerators and current prices',
          response: { 200: Type.Object({ items: Type.Array(ClusterViewSchema) }), ...problems },
        },
      },
      async (request) => {
        requirePermission(principalOf(request), 'clusters:read');
        const now = context.clock();
        const [clusters, providers, active] = await Promise.all([
          store.federation.listClusters(),
          store.federation.listProviders(),
          store.jobs.inStates([...ACTIVE_STATES]),
        ]);
        const pools = await poolsWithFree(store, now, active);
        const providerById = new Map(providers.map((p) => [p.id, p]));
        return {
          items: clusters.map((c) =>
            clusterView(
              c,
              providerById.get(c.providerId),
              pools
                .filter((p) => p.clusterId === c.id)
                .map((p) =>
                  poolView(
                    { id: p.poolId, name: p.poolName, acceleratorModel: p.acceleratorModel, nodes: p.nodes },
                    p.fenPerAcceleratorHour,
                  ),
                ),
            ),
          ),
        };
      },
    );

    app.get(
      '/usage',
      {
        schema: {
          tags: ['usage'],
          summary: 'Usage records (accelerator-seconds and P·h from the engines’ accounting) with totals',
          querystring: Type.Object({
            from: Type.Optional(Type.String({ description: 'ISO-8601; records that ended at or after' })),
            to: Type.Optional(Type.String({ description: 'ISO-8601; records that ended before' })),
            jobId: Type.Optional(Type.String()),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 500 })),
          }),
          response: { 200: UsageReportSchema, ...problems },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requirePermission(principal, 'usage:read');
        const from = parseTime('from', request.query.from);
        const to = parseTime('to', request.query.to);
        const window = { ...(from ? { from } : {}), ...(to ? { to } : {}) };
        const [items, totals] = await Promise.all([
          store.usage.list(principal.scope, {
            ...window,
            ...(request.query.jobId ? { jobId: request.query.jobId } : {}),
            limit: request.query.limit ?? 500,
          }),
          store.usage.totals(principal.scope, {
            ...window,
            ...(request.query.jobId ? { jobId: request.query.jobId } : {}),
          }),
        ]);
        return { items: items.map(usageView), totals: totals.map(usageTotalView) };
      },
    );
  };
}
