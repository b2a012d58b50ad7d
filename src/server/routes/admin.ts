/**
 * Onboarding: the programme office creates providers and tenants; operators and tenant administrators create
 * projects, users and tokens. A tenant-admin acts only inside its own tenant; tokens are shown once, stored as hashes.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ROLES, TENANT_CATEGORIES, type User } from '../../core/domain.ts';
import { isForeignKeyViolation, isUniqueViolation } from '../../store/errors.ts';
import { can, hashToken, newToken, requirePermission, type Principal } from '../auth.ts';
import type { AppContext } from '../context.ts';
import { ProblemError, ProblemSchema, forbidden, notFound } from '../problems.ts';
import {
  IssuedTokenSchema,
  ProjectSchema,
  ProviderSchema,
  RevokedTokensSchema,
  Slug,
  TenantSchema,
  UserSchema,
} from '../schemas.ts';
import { principalOf } from './principal.ts';

const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema };

const NewUserSchema = Type.Object(
  {
    name: Slug('User name'),
    role: Type.Union(ROLES.map((r) => Type.Literal(r))),
    tenantId: Type.Optional(Type.String()),
    providerId: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

const conflict = (what: string) => new ProblemError(409, 'already-exists', `${what} already exists`);

/** A tenant-admin may manage only its own tenant; the operator any. */
function requireTenantManager(principal: Principal, tenantId: string): void {
  requirePermission(principal, 'tenant:manage');
  if (principal.user.role !== 'operator' && principal.user.tenantId !== tenantId) {
    throw forbidden(`you may manage only tenant ${principal.user.tenantId}`);
  }
}

export function adminRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const { federation } = context.store;
  return async (app) => {
    app.get(
      '/providers',
      {
        schema: {
          tags: ['federation'],
          summary: 'Providers (computing centres)',
          response: { 200: Type.Object({ items: Type.Array(ProviderSchema) }), ...problems },
        },
      },
      async (request) => {
        requirePermission(principalOf(request), 'clusters:read');
        return { items: await federation.listProviders() };
      },
    );

    app.post(
      '/providers',
      {
        schema: {
          tags: ['federation'],
          summary: 'Register a provider (operator)',
          body: ProviderSchema,
          response: { 201: ProviderSchema, ...problems },
        },
      },
      async (request, reply) => {
        requirePermission(principalOf(request), 'federation:manage');
        try {
          await federation.upsertProvider(request.body, 'insert');
        } catch (error) {
          if (isUniqueViolation(error)) throw conflict(`provider ${request.body.id} (or its name)`);
          throw error;
        }
        reply.code(201);
        return request.body;
      },
    );

    app.get(
      '/tenants',
      {
        schema: {
          tags: ['federation'],
          summary: 'Tenants the caller may see (the operator: all; others: their own)',
          response: { 200: Type.Object({ items: Type.Array(TenantSchema) }), ...problems },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const tenants = await federation.listTenants();
        return {
          items: principal.user.role === 'operator' ? tenants : tenants.filter((t) => t.id === principal.user.tenantId),
        };
      },
    );

    app.post(
      '/tenants',
      {
        schema: {
          tags: ['federation'],
          summary: 'Register a tenant organisation (operator)',
          body: TenantSchema,
          response: { 201: TenantSchema, ...problems },
        },
      },
      async (request, reply) => {
        requirePermission(principalOf(request), 'federation:manage');
        const tenant = request.body as Static<typeof TenantSchema>;
        try {
          await federation.upsertTenant(tenant, 'insert');
        } catch (error) {
          if (isUniqueViolation(error)) throw conflict(`tenant ${tenant.id} (or its name)`);
          throw error;
        }
        reply.code(201);
        return tenant;
      },
    );

    app.patch(
      '/tenants/:tenantId',
      {
        schema: {
          tags: ['federation'],
          summary: 'Verify a tenant or change its category (operator); other fields stay as they are',
          params: Type.Object({ tenantId: Type.String() }),
          body: Type.Object(
            {
              verified: Type.Optional(Type.Boolean()),
              category: Type.Optional(Type.Union(TENANT_CATEGORIES.map((c) => Type.Literal(c)))),
            },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: { 200: TenantSchema, ...problems },
        },
      },
      async (request) => {
        requirePermission(principalOf(request), 'federation:manage');
        const tenant = (await federation.listTenants()).find((t) => t.id === request.params.tenantId);
        if (!tenant) throw notFound(`tenant ${request.params.tenantId}`);
        const updated = { ...tenant, ...request.body };
        await federation.upsertTenant(updated, 'upsert');
        return updated;
      },
    );

    const TenantParams = Type.Object({ tenantId: Type.String() });

    app.get(
      '/tenants/:tenantId/projects',
      {
        schema: {
          tags: ['federation'],
          summary: "A tenant's projects",
          params: TenantParams,
          response: { 200: Type.Object({ items: Type.Array(ProjectSchema) }), ...problems },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const { tenantId } = request.params;
        if (principal.user.role !== 'operator' && principal.user.tenantId !== tenantId)
          throw notFound(`tenant ${tenantId}`);
        return { items: (await federation.listProjects(tenantId)).map((p) => ({ ...p, regions: p.regions ?? [] })) };
      },
    );

    app.post(
      '/tenants/:tenantId/projects',
      {
        schema: {
          tags: ['federation'],
          summary: 'Create a project in a tenant (operator, or that tenant’s admin)',
          params: TenantParams,
          body: Type.Object(
            {
              name: Slug('Project name'),
              regions: Type.Optional(
                Type.Array(Slug('Region tag'), {
                  maxItems: 20,
                  description: 'Operator only: regional programmes (e.g. the 皖北 uplift) read these',
                }),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 201: ProjectSchema, ...problems },
        },
      },
      async (request, reply) => {
        const { tenantId } = request.params;
        const principal = principalOf(request);
        requireTenantManager(principal, tenantId);
        const regions = request.body.regions ?? [];
        // Region tags raise subsidy rates: a tenant may not tag its own projects.
        if (regions.length > 0 && principal.user.role !== 'operator')
          throw forbidden('only the operator may set a project’s regions');
        const project = { id: `${tenantId}-${request.body.name}`, tenantId, name: request.body.name, regions };
        try {
          await federation.upsertProject(project, 'insert');
        } catch (error) {
          if (isUniqueViolation(error)) throw conflict(`project ${request.body.name} in tenant ${tenantId}`);
          if (isForeignKeyViolation(error)) throw notFound(`tenant ${tenantId}`);
          throw error;
        }
        reply.code(201);
        return project;
      },
    );

    app.get(
      '/users',
      {
        schema: {
          tags: ['auth'],
          summary: 'Users the caller may manage (the operator: all; a tenant-admin: its tenant)',
          response: { 200: Type.Object({ items: Type.Array(UserSchema) }), ...problems },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requirePermission(principal, 'tenant:manage');
        const tenant = principal.user.role === 'operator' ? undefined : principal.user.tenantId!;
        return { items: await federation.listUsers(tenant) };
      },
    );

    app.post(
      '/users',
      {
        schema: {
          tags: ['auth'],
          summary: 'Create a user. Tenant roles need tenantId, provider-admin needs providerId.',
          body: NewUserSchema,
          response: { 201: UserSchema, ...problems },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const body = request.body;
        const tenantRole = body.role === 'tenant-admin' || body.role === 'tenant-member';
        const errors = [];
        if (tenantRole && !body.tenantId)
          errors.push({ field: 'tenantId', message: `is required for role ${body.role}` });
        if (!tenantRole && body.tenantId)
          errors.push({ field: 'tenantId', message: `must be absent for role ${body.role}` });
        if (body.role === 'provider-admin' && !body.providerId)
          errors.push({ field: 'providerId', message: 'is required for role provider-admin' });
        if (body.role !== 'provider-admin' && body.providerId)
          errors.push({ field: 'providerId', message: `must be absent for role ${body.role}` });
        if (errors.length) {
          throw new ProblemError(
            400,
            'invalid-request',
            errors.map((e) => `${e.field}: ${e.message}`).join('; '),
            errors,
          );
        }
        if (tenantRole) requireTenantManager(principal, body.tenantId!);
        else requirePermission(principal, 'federation:manage');
        const user: User = {
          id: body.name,
          name: body.name,
          role: body.role,
          tenantId: body.tenantId ?? null,
          providerId: body.providerId ?? null,
        };
        try {
          await federation.upsertUser(user, 'insert');
        } catch (error) {
          if (isUniqueViolation(error)) throw conflict(`user ${body.name}`);
          if (isForeignKeyViolation(error))
            throw notFound(body.tenantId ? `tenant ${body.tenantId}` : `provider ${body.providerId}`);
          throw error;
        }
        reply.code(201);
        return user;
      },
    );

    const UserParams = Type.Object({ userId: Type.String() });

    /** The caller may issue or revoke tokens for itself, for its tenant's users (tenant-admin), or anyone (operator). */
    async function manageableUser(principal: Principal, userId: string): Promise<User> {
      const user = await federation.getUser(userId);
      const visible =
        user &&
        (principal.user.id === user.id ||
          principal.user.role === 'operator' ||
          (can(principal, 'tenant:manage') && user.tenantId !== null && user.tenantId === principal.user.tenantId));
      if (!user || !visible) throw notFound(`user ${userId}`);
      return user;
    }

    app.post(
      '/users/:userId/tokens',
      {
        schema: {
          tags: ['auth'],
          summary: 'Issue a bearer token (shown once; only its hash is kept)',
          params: UserParams,
          querystring: Type.Object({ label: Type.Optional(Type.String({ maxLength: 100 })) }),
          response: {
            201: IssuedTokenSchema,
            ...problems,
          },
        },
      },
      async (request, reply) => {
        const user = await manageableUser(principalOf(request), request.params.userId);
        const token = newToken();
        const label = request.query.label ?? '';
        await federation.addTokenHash(user.id, hashToken(token), label);
        reply.code(201);
        return { userId: user.id, token, label };
      },
    );

    app.post(
      '/users/:userId/tokens/revoke',
      {
        schema: {
          tags: ['auth'],
          summary: "Revoke all of a user's tokens",
          params: UserParams,
          response: { 200: RevokedTokensSchema, ...problems },
        },
      },
      async (request) => {
        const user = await manageableUser(principalOf(request), request.params.userId);
        return { revoked: await federation.revokeTokens(user.id, context.clock()) };
      },
    );
  };
}
