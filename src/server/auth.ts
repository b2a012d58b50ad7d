/**
 * Who is calling and what they may do. Tokens are random and stored only as SHA-256 hashes. Permissions are
 * one table of role → allowed actions; the tenant scope of every read and write comes from the principal here,
 * never from the request, so a route cannot widen it.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Role, User } from '../core/domain.ts';
import { ALL, tenantScope, type Scope } from '../store/index.ts';
import { ProblemError, forbidden } from './problems.ts';

export const PERMISSIONS = [
  'jobs:submit',
  'jobs:read',
  'jobs:cancel-own',
  'jobs:cancel-any',
  'usage:read',
  'clusters:read',
  /** Create providers and tenants (the programme office). */
  'federation:manage',
  /** Create users, tokens and projects in the caller's own tenant. */
  'tenant:manage',
  /** Register clusters and set prices for the caller's own provider (the operator: any provider). */
  'clusters:manage',
  /** The province-wide overview: every provider's capacity and every tenant's queue (the programme office). */
  'province:read',
  /** Read the caller's own tenant's wallet, vouchers and statements (the operator: any tenant's). */
  'money:read',
  /** Read the caller's own provider's payout statements (the operator: any provider's). */
  'payouts:read',
  /** Top up wallets, fund programme pools, issue vouchers, reverse charges, read the office's report and audit log. */
  'money:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const GRANTS: Record<Role, readonly Permission[]> = {
  operator: [
    'jobs:read',
    'jobs:cancel-any',
    'usage:read',
    'clusters:read',
    'federation:manage',
    'tenant:manage',
    'clusters:manage',
    'province:read',
    'money:read',
    'payouts:read',
    'money:manage',
  ],
  'provider-admin': ['clusters:read', 'clusters:manage', 'payouts:read'],
  'tenant-admin': [
    'jobs:submit',
    'jobs:read',
    'jobs:cancel-own',
    'jobs:cancel-any',
    'usage:read',
    'clusters:read',
    'tenant:manage',
    'money:read',
  ],
  'tenant-member': ['jobs:submit', 'jobs:read', 'jobs:cancel-own', 'clusters:read'],
};

export interface Principal {
  user: User;
  /** The rows of tenant-owned data this caller may see. */
  scope: Scope;
}

export function newToken(): string {
  return `sl_${randomBytes(24).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function principalFor(user: User): Principal {
  if (user.role === 'operator') return { user, scope: ALL };
  if (user.tenantId) return { user, scope: tenantScope(user.tenantId) };
  // A provider-admin owns no tenant data: give it a scope that matches nothing.
  return { user, scope: tenantScope(`provider:${user.providerId ?? 'none'}`) };
}

export function can(principal: Principal, permission: Permission): boolean {
  return GRANTS[principal.user.role].includes(permission);
}

export function requirePermission(principal: Principal, permission: Permission): void {
  if (!can(principal, permission)) {
    throw forbidden(`role ${principal.user.role} may not ${permission.replace(':', ' ')}`);
  }
}

export function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match?.[1])
    throw new ProblemError(401, 'unauthenticated', 'missing bearer token: send Authorization: Bearer <token>');
  return match[1];
}
