/** The HTTP API: Fastify with TypeBox schemas, which both validate requests and generate /openapi.json. */
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { bearerToken, hashToken, principalFor } from './auth.ts';
import { registerConsole } from './console.ts';
import type { AppContext } from './context.ts';
import { ProblemError, errorHandler, sendProblem } from './problems.ts';
import { adminRoutes } from './routes/admin.ts';
import { clusterRoutes } from './routes/clusters.ts';
import { federationRoutes } from './routes/federation.ts';
import { jobRoutes } from './routes/jobs.ts';
import { metaRoutes } from './routes/meta.ts';
import { provinceRoutes } from './routes/province.ts';
import { moneyRoutes } from './routes/money.ts';
import { reportRoutes } from './routes/reports.ts';
import { programmeCloseRoutes } from './routes/money-programmes.ts';
import { reconciliationRoutes } from './routes/reconciliation.ts';
import { salesRoutes } from './routes/sales.ts';

export async function buildApp(
  context: AppContext,
  options: {
    logger?: FastifyServerOptions['logger'];
    /** Serve the web console's built files from here at / (the server does; API-only tests leave it out). */
    consoleDir?: string;
  } = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 1024 * 1024,
    // Per-request lines drown the operator's log; latency and status go to /metrics instead.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { removeAdditional: false, allErrors: true, coerceTypes: true, useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, new ProblemError(404, 'not-found', `no route ${request.method} ${request.url}`)),
  );
  // YAML job specs arrive as text; the job route parses them with the core's parser.
  app.addContentTypeParser(
    ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'],
    { parseAs: 'string' },
    (_request, body, done) => done(null, body),
  );

  // A NUL in a path or query parameter would reach PostgreSQL, which cannot hold it in text (a 500 otherwise).
  app.addHook('onRequest', async (request) => {
    if (request.url.includes('%00')) {
      throw new ProblemError(400, 'invalid-request', 'the URL must not contain NUL (%00) characters');
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    context.metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  await app.register(swagger, {
    transformObject: (documents) =>
      'openapiObject' in documents ? problemMediaType(documents.openapiObject) : documents.swaggerObject,
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'suanli API',
        version: context.version,
        description:
          'The provincial AI-compute coordination and scheduling platform: submit jobs, follow them, read usage. ' +
          'Errors are RFC 9457 problem details (application/problem+json).',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
      tags: [
        { name: 'jobs', description: 'Submit and follow jobs' },
        { name: 'clusters', description: 'Member clusters and capacity' },
        { name: 'usage', description: 'Metered accelerator time' },
        { name: 'auth', description: 'Users, tokens and the caller' },
        { name: 'federation', description: 'Providers, tenants and projects' },
        { name: 'money', description: 'Wallets, vouchers, statements, the monthly report, the audit log' },
        { name: 'meta', description: 'Health, readiness, metrics' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(metaRoutes(context));

  await app.register(
    async (api) => {
      api.decorateRequest('principal', null);
      api.addHook('onRequest', async (request) => {
        const user = await context.store.federation.userByTokenHash(hashToken(bearerToken(request)));
        if (!user) throw new ProblemError(401, 'unauthenticated', 'unknown or revoked token');
        request.principal = principalFor(user);
      });
      await api.register(jobRoutes(context));
      await api.register(federationRoutes(context));
      await api.register(adminRoutes(context));
      await api.register(clusterRoutes(context));
      await api.register(reconciliationRoutes(context));
      await api.register(provinceRoutes(context));
      await api.register(moneyRoutes(context));
      await api.register(reportRoutes(context));
      await api.register(programmeCloseRoutes(context));
      await api.register(salesRoutes(context));
    },
    { prefix: '/api/v1' },
  );
  if (options.consoleDir) registerConsole(app, options.consoleDir);
  return app;
}

type OpenApiDocument = { paths?: Record<string, Record<string, { responses?: Record<string, { content?: object }> }>> };

/**
 * Route schemas name only a body schema, which the generator files under the route's media type; error responses
 * are sent as application/problem+json (problems.ts), so the document says so for every 4xx and 5xx.
 */
function problemMediaType<T>(document: T): T {
  const doc = document as OpenApiDocument;
  for (const operations of Object.values(doc.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const media = Object.values((response.content ?? {}) as Record<string, unknown>);
        // Every error goes through sendProblem, whatever the route's success type (text/plain for logs, say).
        if (Number(status) >= 400 && media.length > 0) response.content = { 'application/problem+json': media[0] };
      }
    }
  }
  return document;
}
