/**
 * The reconciliation report for people who run clusters: the operator sees every cluster, a provider-admin its own
 * provider's. It asks each cluster's engine as it is requested, so it takes as long as the slowest cluster.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requirePermission } from '../auth.ts';
import type { AppContext } from '../context.ts';
import { ProblemSchema } from '../problems.ts';
import { RECONCILE_DAYS, RECONCILIATION_KINDS, reconcile } from '../reconcile.ts';
import { principalOf } from './principal.ts';

const NullableString = (description?: string) =>
  Type.Union([Type.String(), Type.Null()], description ? { description } : {});

const ReportSchema = Type.Object({
  checkedAt: Type.String({ format: 'date-time' }),
  clusters: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      reachable: Type.Boolean({ description: 'Whether the engine answered; if not, only suanli’s records are used' }),
      error: Type.Optional(Type.String({ description: 'Why the engine did not answer' })),
    }),
  ),
  items: Type.Array(
    Type.Object({
      kind: Type.Union(
        RECONCILIATION_KINDS.map((k) => Type.Literal(k)),
        {
          description:
            'unknown-to-suanli: an engine job tagged for a job suanli has no record of; ' +
            'stray-copy: an engine job of a known job, still queued or running, that is not its live dispatch; ' +
            'lost: a job suanli marked lost; withdrawn: a withdrawn dispatch not cleanly cancelled (or not yet ' +
            'settled); untracked-active: a job suanli has dispatched or running that the engine does not list',
        },
      ),
      clusterId: Type.String(),
      jobId: NullableString(),
      engineJobId: NullableString(),
      engineState: NullableString('The engine’s state for its job, when it lists it'),
      detail: Type.String(),
    }),
  ),
});

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
          response: { 200: ReportSchema, 401: ProblemSchema, 403: ProblemSchema },
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
