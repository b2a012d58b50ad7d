/**
 * Connecting member clusters and pricing their pools. Registering probes the cluster first (build its engine, read
 * its inventory) and shows what was found; `dryRun` stops there. A provider-admin acts only for its own provider.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ENGINE_KINDS, type EngineKind } from '../../core/domain.ts';
import type { EngineInventory } from '../../engines/engine.ts';
import { isUniqueViolation } from '../../store/errors.ts';
import { requirePermission, type Principal } from '../auth.ts';
import type { AppContext } from '../context.ts';
import { ProblemError, ProblemSchema, forbidden, notFound } from '../problems.ts';
import { ClusterProbeSchema, PriceSchema } from '../schemas.ts';
import { principalOf } from './principal.ts';

const problems = {
  400: ProblemSchema,
  401: ProblemSchema,
  403: ProblemSchema,
  404: ProblemSchema,
  409: ProblemSchema,
  502: ProblemSchema,
};

const NewClusterSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$', description: 'Cluster id (lowercase slug)' }),
    providerId: Type.String(),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    engine: Type.Union(ENGINE_KINDS.map((k) => Type.Literal(k))),
    config: Type.Record(Type.String(), Type.Unknown(), {
      description:
        'Engine settings. local: {pools:[{name, acceleratorModel, nodes:[{name, accelerators}]}]}; ' +
        'slurm: {restUrl, user, tokenFile, partitions?}; kubernetes: {apiUrl, namespace, tokenFile, caFile?, ' +
        'pools:[{name, acceleratorModel, resourceName, nodeSelector}], image?}. Secrets by reference (tokenFile), never inline.',
    }),
    dryRun: Type.Optional(Type.Boolean({ description: 'Probe and show the inventory without registering' })),
  },
  { additionalProperties: false },
);

/** The operator may act for any provider; a provider-admin only for its own. */
export function requireProvider(principal: Principal, providerId: string): void {
  requirePermission(principal, 'clusters:manage');
  if (principal.user.role !== 'operator' && principal.user.providerId !== providerId) {
    throw forbidden(`you may manage only provider ${principal.user.providerId}`);
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function clusterRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const { store, engines } = context;
  return async (app) => {
    app.post(
      '/clusters',
      {
        schema: {
          tags: ['clusters'],
          summary: 'Connect a member cluster: probe it, show its inventory, and register it unless dryRun',
          body: NewClusterSchema,
          response: {
            200: ClusterProbeSchema,
            201: ClusterProbeSchema,
            ...problems,
          },
        },
      },
      async (request, reply) => {
        const body = request.body;
        requireProvider(principalOf(request), body.providerId);
        if (!(await store.federation.listProviders()).some((p) => p.id === body.providerId)) {
          throw new ProblemError(400, 'invalid-request', `providerId: no provider ${body.providerId}`, [
            { field: 'providerId', message: `no provider ${body.providerId}` },
          ]);
        }
        if (await store.federation.getCluster(body.id))
          throw new ProblemError(409, 'already-exists', `cluster ${body.id} already exists`);
        const record = {
          id: body.id,
          name: body.name ?? body.id,
          engine: body.engine as EngineKind,
          config: body.config,
        };
        let engine;
        try {
          engine = engines.create(record);
        } catch (error) {
          throw new ProblemError(400, 'invalid-request', `config: ${messageOf(error)}`, [
            { field: 'config', message: messageOf(error) },
          ]);
        }
        let inventory: EngineInventory;
        try {
          inventory = await engine.inventory();
        } catch (error) {
          throw new ProblemError(
            502,
            'cluster-unreachable',
            `could not read ${record.name}'s inventory: ${messageOf(error)}`,
          );
        } finally {
          await engine.close();
        }
        const pools = inventory.pools.map((p) => ({
          name: p.name,
          acceleratorModel: p.acceleratorModel,
          nodes: p.nodes.length,
          accelerators: p.nodes.reduce((n, node) => n + node.accelerators, 0),
        }));
        if (body.dryRun) return { registered: false, pools };
        try {
          await store.federation.upsertCluster({ ...record, providerId: body.providerId }, 'insert');
        } catch (error) {
          if (isUniqueViolation(error))
            throw new ProblemError(409, 'already-exists', `cluster ${body.id} (or its name) already exists`);
          throw error;
        }
        await store.federation.recordInventory(
          body.id,
          inventory.pools.map((p) => ({ id: `${body.id}:${p.name}`, ...p })),
          context.clock(),
        );
        reply.code(201);
        return { registered: true, pools };
      },
    );

    const PoolParams = Type.Object({ poolId: Type.String({ description: 'cluster:pool' }) });

    async function poolProvider(poolId: string): Promise<string> {
      const pool = (await store.federation.listPools()).find((p) => p.id === poolId);
      const cluster = pool ? await store.federation.getCluster(pool.clusterId) : null;
      if (!cluster) throw notFound(`pool ${poolId}`);
      return cluster.providerId;
    }

    app.get(
      '/pools/:poolId/prices',
      {
        schema: {
          tags: ['clusters'],
          summary: "A pool's price versions, oldest first",
          params: PoolParams,
          response: { 200: Type.Object({ items: Type.Array(PriceSchema) }), ...problems },
        },
      },
      async (request) => {
        requirePermission(principalOf(request), 'clusters:read');
        await poolProvider(request.params.poolId);
        const prices = await store.federation.listPrices(request.params.poolId);
        return {
          items: prices.map((p) => ({
            fenPerAcceleratorHour: p.fenPerAcceleratorHour,
            validFrom: p.validFrom.toISOString(),
            validTo: p.validTo?.toISOString() ?? null,
            createdBy: p.createdBy,
          })),
        };
      },
    );

    app.post(
      '/pools/:poolId/prices',
      {
        schema: {
          tags: ['clusters'],
          summary:
            'Add a price version for a pool (fen per accelerator-hour, from validFrom); earlier versions are kept',
          params: PoolParams,
          body: Type.Object(
            {
              fenPerAcceleratorHour: Type.Integer({ minimum: 0 }),
              validFrom: Type.String({ format: 'date-time' }),
              validTo: Type.Optional(Type.String({ format: 'date-time' })),
            },
            { additionalProperties: false },
          ),
          response: { 201: PriceSchema, ...problems },
        },
      },
      async (request, reply) => {
        const providerId = await poolProvider(request.params.poolId);
        requireProvider(principalOf(request), providerId);
        const validFrom = new Date(request.body.validFrom);
        const validTo = request.body.validTo ? new Date(request.body.validTo) : null;
        if (validTo && validTo <= validFrom) {
          throw new ProblemError(400, 'invalid-request', 'validTo: must be after validFrom', [
            { field: 'validTo', message: 'must be after validFrom' },
          ]);
        }
        const principal = principalOf(request);
        await store.federation.addPrice(
          request.params.poolId,
          request.body.fenPerAcceleratorHour,
          validFrom,
          validTo,
          principal.user.id,
          context.clock(),
        );
        reply.code(201);
        return {
          fenPerAcceleratorHour: request.body.fenPerAcceleratorHour,
          validFrom: validFrom.toISOString(),
          validTo: validTo?.toISOString() ?? null,
          createdBy: principal.user.id,
        };
      },
    );
  };
}
