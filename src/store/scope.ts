/**
 * Whose rows a caller may see. Every query over tenant-owned rows (jobs, usage, later money) takes a Scope and
 * filters by it here, so tenant isolation is enforced in one place and cannot be forgotten in a route.
 */
import type { ExpressionBuilder } from 'kysely';
import type { Database } from './schema.ts';

export type Scope = { readonly kind: 'all' } | { readonly kind: 'tenant'; readonly tenantId: string };

export const ALL: Scope = { kind: 'all' };
export const tenantScope = (tenantId: string): Scope => ({ kind: 'tenant', tenantId });

type TenantOwned = 'jobs' | 'usage_records';

/** A where-clause that admits only rows of `table` the scope may see. */
export function inScope<T extends TenantOwned>(table: T, scope: Scope) {
  return (eb: ExpressionBuilder<Database, T>) =>
    scope.kind === 'all' ? eb.lit(true) : eb(eb.ref(`${table}.tenant_id` as never), '=', scope.tenantId as never);
}
