/** Liveness, readiness, metrics and who-am-I. */
import { sql } from 'kysely';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../context.ts';
import { ProblemSchema } from '../problems.ts';

export function metaRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/healthz',
      {
        schema: {
          tags: ['meta'],
          security: [],
          summary: 'Liveness: the process answers',
          response: { 200: Type.Object({ status: Type.Literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/readyz',
      {
        schema: {
          tags: ['meta'],
          security: [],
          summary: 'Readiness: the database answers',
          response: {
            200: Type.Object({ status: Type.Literal('ready'), database: Type.String() }),
            503: ProblemSchema,
          },
        },
      },
      async (_request, reply) => {
        try {
          await sql`select 1`.execute(context.store.db);
        } catch (error) {
          return reply
            .code(503)
            .type('application/problem+json')
            .send({
              type: '/problems/not-ready',
              title: 'Service unavailable',
              status: 503,
              detail: `database unreachable: ${error instanceof Error ? error.message : String(error)}`,
            });
        }
        return { status: 'ready' as const, database: context.store.kind };
      },
    );

    app.get(
      '/metrics',
      { schema: { tags: ['meta'], security: [], summary: 'Prometheus metrics', produces: ['text/plain'] } },
      async (_r, reply) => {
        reply.type(context.metrics.registry.contentType);
        return context.metrics.registry.metrics();
      },
    );
  };
}
