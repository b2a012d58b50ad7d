/**
 * The reconciliation report for people who run clusters: the operator sees every cluster, a provider-admin its own
 * provider's. It asks each cluster's engine as it is requested, so it takes as long as the slowest cluster.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requirePermission } from '../auth.ts';
import type { AppContext } from '../context.ts';
import { ProblemSchema } from '../problems.ts';
import { RECONCILE_DAYS, reconcile } from '../reconcile.ts';
import { ReconciliationReportSchema } from '../schemas.ts';
import { principalOf } from './principal.ts';

export function reconciliationRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const { store, engines } = context;
  return async (app) => {
    app.get(
      '/reconciliation',
      {
        schema: {
          tags: ['clusters'],
          summary:
            `What the clusters' engines hold against what suanli recorded (the last ${RECONCILE_DAYS} days): ` +
            'unknown or stray engine jobs, lost jobs, withdrawn dispatches (operator, provider admin)',
          response: { 200: ReconciliationReportSchema, 401: ProblemSchema, 403: ProblemSchema },
        },
      },
      async (request) => {
        const { user } = principalOf(request);
        requirePermission(principalOf(request), 'clusters:manage');
        const clusters = (await store.federation.listClusters()).filter(
          (c) => user.role === 'operator' || c.providerId === user.providerId,
        );
        const report = await reconcile(store, engines, clusters, context.clock());
        return { ...report, checkedAt: report.checkedAt.toISOString() };
      },
    );
  };
}
