/**
 * Read-only views for the console: the province overview (the programme office) and the jobs running at a
 * provider (its administrators). Computed from the store on each request (province.ts).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PRIORITY_CLASSES, TENANT_CATEGORIES } from '../../core/domain.ts';
import { ACTIVE_STATES } from '../../core/job-lifecycle.ts';
import { DEFAULT_POLICY } from '../../core/scheduler/index.ts';
import { ALL } from '../../store/index.ts';
import { requirePermission } from '../auth.ts';
import type { AppContext } from '../context.ts';
import { poolsWithFree } from '../control/snapshot.ts';
import { ProblemError, ProblemSchema, notFound } from '../problems.ts';
import {
  capacityBreakdown,
  queueRows,
  reservedShares,
  tenantCategoryOf,
  totalCapacityP,
  utilisationSeries,
} from '../province.ts';
import { ChipRaceSchema, OverviewSchema, ProviderJobSchema } from '../schemas.ts';
import { chipRaceFor } from '../chips.ts';
import { periodLabelAt } from '../../core/report-period.ts';
import { monthRange } from '../../store/ledger/index.ts';
import { requireProvider } from './clusters.ts';
import { principalOf } from './principal.ts';

const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema };
const HOUR = 3_600_000;

export function provinceRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const { store } = context;
  return async (app) => {
    app.get(
      '/overview',
      {
        schema: {
          tags: ['clusters'],
          summary: 'The province at a glance (operator): capacity, utilisation, queue, reserved shares, health',
          querystring: Type.Object({
            hours: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 31, default: 24 })),
            buckets: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 24 })),
          }),
          response: { 200: OverviewSchema, ...problems },
        },
      },
      async (request) => {
        requirePermission(principalOf(request), 'province:read');
        const now = context.clock();
        const hours = request.query.hours ?? 24;
        const buckets = request.query.buckets ?? 24;
        const from = new Date(now.getTime() - hours * HOUR);
        const [providers, clusters, tenants, active, pending] = await Promise.all([
          store.federation.listProviders(),
          store.federation.listClusters(),
          store.federation.listTenants(),
          store.jobs.inStates([...ACTIVE_STATES]),
          store.jobs.inStates(['pending']),
        ]);
        const [pools, usage, touched] = await Promise.all([
          poolsWithFree(store, now, active),
          // Every run that ended in the window; a province's day is thousands of runs, well under the cap.
          store.usage.list(ALL, { from, limit: 100_000 }),
          store.jobs.onClusters(
            clusters.map((c) => c.id),
            ['running', 'succeeded', 'failed', 'cancelled', 'preempted', 'lost'],
            from,
          ),
        ]);
        const cityOf = new Map(providers.map((p) => [p.id, p.city]));
        const modelOf = new Map(pools.map((p) => [p.poolId, p.acceleratorModel]));
        const categoryOf = tenantCategoryOf(tenants);
        const startedInWindow = touched.filter((j) => j.startedAt && j.startedAt >= from);
        const capacity = capacityBreakdown(pools, (id) => cityOf.get(id) ?? '');
        // As the scheduler counts it: reserved shares are parts of what healthy clusters offer.
        const usableP = totalCapacityP(pools.filter((p) => p.healthy));
        return {
          at: now.toISOString(),
          capacity,
          clusters: clusters.map((c) => {
            const provider = providers.find((p) => p.id === c.providerId);
            return {
              id: c.id,
              name: c.name,
              providerName: provider?.name ?? c.providerId,
              city: provider?.city ?? '',
              engine: c.engine,
              healthy: c.healthy,
              healthReason: c.healthReason,
              lastInventoryAt: c.inventoryAt?.toISOString() ?? null,
            };
          }),
          utilisation: {
            from: from.toISOString(),
            to: now.toISOString(),
            stepSeconds: Math.round((hours * 3600) / buckets),
            points: utilisationSeries(
              usage,
              active.filter((j) => j.state === 'running'),
              (id) => modelOf.get(id),
              { from, to: now, buckets },
            ),
          },
          queue: {
            byPriorityClass: queueRows(pending, startedInWindow, (j) => j.spec.priorityClass, PRIORITY_CLASSES, now),
            byTenantCategory: queueRows(
              pending,
              startedInWindow,
              (j) => categoryOf(j.tenantId) ?? 'enterprise',
              TENANT_CATEGORIES,
              now,
            ),
          },
          // The reserved shares of the policy the control loop schedules with.
          reservedShares: reservedShares(context.policy ?? DEFAULT_POLICY, usableP, active, categoryOf, (id) =>
            modelOf.get(id),
          ),
        };
      },
    );

    app.get(
      '/providers/:providerId/jobs',
      {
        schema: {
          tags: ['clusters'],
          summary: "Jobs placed on a provider's clusters now (its administrators and the operator)",
          params: Type.Object({ providerId: Type.String() }),
          response: { 200: Type.Object({ items: Type.Array(ProviderJobSchema) }), ...problems },
        },
      },
      async (request) => {
        const { providerId } = request.params;
        requireProvider(principalOf(request), providerId);
        if (!(await store.federation.listProviders()).some((p) => p.id === providerId)) {
          throw notFound(`provider ${providerId}`);
        }
        const [clusters, pools] = await Promise.all([store.federation.listClusters(), store.federation.listPools()]);
        const own = clusters.filter((c) => c.providerId === providerId).map((c) => c.id);
        const modelOf = new Map(pools.map((p) => [p.id, p.acceleratorModel]));
        const jobs = await store.jobs.onClusters(own, [...ACTIVE_STATES]);
        return {
          items: jobs.map((j) => ({
            id: j.id,
            name: j.spec.name,
            tenantId: j.tenantId,
            state: j.state,
            priorityClass: j.spec.priorityClass,
            clusterId: j.clusterId ?? '',
            poolId: j.poolId ?? '',
            acceleratorModel: (j.poolId && modelOf.get(j.poolId)) || '',
            accelerators: j.nodeNames.length * j.spec.acceleratorsPerNode,
            submittedAt: j.submittedAt.toISOString(),
            startedAt: j.startedAt?.toISOString() ?? null,
          })),
        };
      },
    );

    app.get(
      '/chips',
      {
        schema: {
          tags: ['clusters'],
          summary: 'The chip race (赛马): how each accelerator model ran in a month, best first (operator)',
          querystring: Type.Object({
            month: Type.Optional(
              Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM (China Standard Time)' }),
            ),
          }),
          response: { 200: ChipRaceSchema, ...problems },
        },
      },
      async (request) => {
        requirePermission(principalOf(request), 'province:read');
        const now = context.clock();
        const month = request.query.month ?? periodLabelAt('month', now);
        const range = monthRange(month);
        if (range.from >= now) throw new ProblemError(400, 'invalid-request', `month: ${month} has not begun`);
        // The current month runs to now: utilisation is over the time that has passed.
        const to = range.to < now ? range.to : now;
        const chips = await chipRaceFor(store, range.from, to, now);
        return { month, from: range.from.toISOString(), to: to.toISOString(), chips };
      },
    );
  };
}
