/** Providers, clusters, pools, prices, tenants, projects and users. */
import type { Kysely } from 'kysely';
import type {
  Cluster,
  EngineKind,
  NodeState,
  Pool,
  PoolNode,
  Project,
  Provider,
  Role,
  Tenant,
  TenantCategory,
  User,
} from '../core/domain.ts';
import { recordAudit } from './audit.ts';
import type { ClustersTable, Database } from './schema.ts';
import type { Selectable } from 'kysely';

export type WriteMode = 'insert' | 'upsert';

export interface ClusterRecord extends Cluster {
  config: Record<string, unknown>;
  healthReason: string | null;
  failedPolls: number;
  inventoryAt: Date | null;
}

function toCluster(row: Selectable<ClustersTable>): ClusterRecord {
  return {
    id: row.id,
    providerId: row.provider_id,
    name: row.name,
    engine: row.engine as EngineKind,
    healthy: row.healthy,
    config: row.config,
    healthReason: row.health_reason,
    failedPolls: row.failed_polls,
    inventoryAt: row.inventory_at,
  };
}

/**
 * How long a token's user is remembered (`userByTokenHash`): a client sending a burst of requests costs one lookup,
 * not one per request. A token revoked in another server process is refused there within this time; in this
 * process at once.
 */
export const TOKEN_CACHE_MS = 2000;
const TOKEN_CACHE_ENTRIES = 10_000;

export class FederationRepo {
  /** Users of live tokens by token hash, with the monotonic time each entry expires. */
  private readonly tokenUsers = new Map<string, { user: User; until: number }>();

  constructor(private readonly db: Kysely<Database>) {}

  /** `insert` refuses an existing id (a unique violation the caller turns into 409); `upsert` replaces. */
  async upsertProvider(p: Provider, mode: WriteMode = 'upsert'): Promise<void> {
    const row = {
      id: p.id,
      name: p.name,
      city: p.city,
      regions: p.regions,
      owner_organisation: p.ownerOrganisation,
      green_power_bp: p.greenPowerBasisPoints,
    };
    const insert = this.db.insertInto('providers').values(row);
    await (mode === 'insert' ? insert : insert.onConflict((oc) => oc.column('id').doUpdateSet(row))).execute();
  }

  async listProviders(): Promise<Provider[]> {
    const rows = await this.db.selectFrom('providers').selectAll().orderBy('name').execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      city: r.city,
      regions: r.regions,
      ownerOrganisation: r.owner_organisation,
      greenPowerBasisPoints: r.green_power_bp,
    }));
  }

  async upsertCluster(
    c: Omit<Cluster, 'healthy'> & { config: Record<string, unknown> },
    mode: WriteMode = 'upsert',
  ): Promise<void> {
    const row = {
      id: c.id,
      provider_id: c.providerId,
      name: c.name,
      engine: c.engine,
      config: JSON.stringify(c.config),
    };
    const insert = this.db.insertInto('clusters').values(row);
    await (mode === 'insert' ? insert : insert.onConflict((oc) => oc.column('id').doUpdateSet(row))).execute();
  }

  async listClusters(): Promise<ClusterRecord[]> {
    const rows = await this.db.selectFrom('clusters').selectAll().orderBy('name').execute();
    return rows.map(toCluster);
  }

  async getCluster(id: string): Promise<ClusterRecord | null> {
    const row = await this.db.selectFrom('clusters').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toCluster(row) : null;
  }

  async setClusterHealth(id: string, healthy: boolean, reason: string | null, failedPolls: number): Promise<void> {
    await this.db
      .updateTable('clusters')
      .set({ healthy, health_reason: reason, failed_polls: failedPolls })
      .where('id', '=', id)
      .execute();
  }

  /** Replaces a cluster's pools with what the engine reported; pools the engine no longer has keep their rows. */
  async recordInventory(
    clusterId: string,
    pools: Array<{ id: string; name: string; acceleratorModel: string; nodes: PoolNode[] }>,
    at: Date,
  ): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      for (const pool of pools) {
        const row = {
          id: pool.id,
          cluster_id: clusterId,
          name: pool.name,
          accelerator_model: pool.acceleratorModel,
          nodes: JSON.stringify(pool.nodes),
        };
        await tx
          .insertInto('pools')
          .values(row)
          .onConflict((oc) =>
            oc
              .columns(['cluster_id', 'name'])
              .doUpdateSet({ accelerator_model: row.accelerator_model, nodes: row.nodes }),
          )
          .execute();
      }
      await tx.updateTable('clusters').set({ inventory_at: at }).where('id', '=', clusterId).execute();
    });
  }

  async listPools(): Promise<Pool[]> {
    const rows = await this.db.selectFrom('pools').selectAll().orderBy('cluster_id').orderBy('name').execute();
    return rows.map((r) => ({
      id: r.id,
      clusterId: r.cluster_id,
      name: r.name,
      acceleratorModel: r.accelerator_model,
      nodes: r.nodes.map((n) => ({ name: n.name, accelerators: n.accelerators, state: n.state as NodeState })),
    }));
  }

  async addPrice(
    poolId: string,
    fenPerAcceleratorHour: number,
    validFrom: Date,
    validTo: Date | null = null,
    createdBy = 'seed',
    at: Date = new Date(),
  ) {
    // Prices are money: each version is recorded in the audit log in the same transaction.
    await this.db.transaction().execute(async (tx) => {
      const row = await tx
        .insertInto('pool_prices')
        .values({
          pool_id: poolId,
          fen_per_accelerator_hour: fenPerAcceleratorHour,
          valid_from: validFrom,
          valid_to: validTo,
          created_by: createdBy,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await recordAudit(tx, {
        at,
        actor: createdBy,
        action: 'price.add',
        objectType: 'pool',
        objectId: poolId,
        after: { priceId: row.id, fenPerAcceleratorHour, validFrom, validTo },
      });
    });
  }

  async listPrices(
    poolId: string,
  ): Promise<Array<{ fenPerAcceleratorHour: number; validFrom: Date; validTo: Date | null; createdBy: string }>> {
    const rows = await this.db
      .selectFrom('pool_prices')
      .select(['fen_per_accelerator_hour', 'valid_from', 'valid_to', 'created_by'])
      .where('pool_id', '=', poolId)
      .orderBy('valid_from')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      fenPerAcceleratorHour: Number(r.fen_per_accelerator_hour),
      validFrom: r.valid_from,
      validTo: r.valid_to,
      createdBy: r.created_by,
    }));
  }

  /** The price in force at `at` for each pool that has one: the latest-starting version whose window contains `at`. */
  async pricesAt(at: Date): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('pool_prices')
      .select(['pool_id', 'fen_per_accelerator_hour', 'valid_from'])
      .where('valid_from', '<=', at)
      .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>', at)]))
      .orderBy('valid_from')
      .orderBy('id')
      .execute();
    const prices = new Map<string, number>();
    for (const r of rows) prices.set(r.pool_id, Number(r.fen_per_accelerator_hour));
    return prices;
  }

  async upsertTenant(t: Tenant, mode: WriteMode = 'upsert'): Promise<void> {
    const row = {
      id: t.id,
      name: t.name,
      category: t.category,
      regions: t.regions,
      verified: t.verified,
      organisation: t.organisation,
    };
    const insert = this.db.insertInto('tenants').values(row);
    await (mode === 'insert' ? insert : insert.onConflict((oc) => oc.column('id').doUpdateSet(row))).execute();
  }

  async listTenants(): Promise<Tenant[]> {
    const rows = await this.db.selectFrom('tenants').selectAll().orderBy('name').execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      category: r.category as TenantCategory,
      regions: r.regions,
      verified: r.verified,
      organisation: r.organisation,
    }));
  }

  async upsertProject(p: Project, mode: WriteMode = 'upsert'): Promise<void> {
    const insert = this.db
      .insertInto('projects')
      .values({ id: p.id, tenant_id: p.tenantId, name: p.name, regions: p.regions ?? [] });
    await (mode === 'insert' ? insert : insert.onConflict((oc) => oc.column('id').doNothing())).execute();
  }

  async findProject(tenantId: string, name: string): Promise<Project | null> {
    const row = await this.db
      .selectFrom('projects')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? { id: row.id, tenantId: row.tenant_id, name: row.name, regions: row.regions } : null;
  }

  async listProjects(tenantId: string): Promise<Project[]> {
    const rows = await this.db
      .selectFrom('projects')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('name')
      .execute();
    return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, name: r.name, regions: r.regions }));
  }

  async upsertUser(u: User, mode: WriteMode = 'upsert'): Promise<void> {
    const row = { id: u.id, name: u.name, role: u.role, tenant_id: u.tenantId, provider_id: u.providerId };
    const insert = this.db.insertInto('users').values(row);
    await (mode === 'insert' ? insert : insert.onConflict((oc) => oc.column('id').doUpdateSet(row))).execute();
  }

  async getUser(id: string): Promise<User | null> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row
      ? { id: row.id, name: row.name, role: row.role as Role, tenantId: row.tenant_id, providerId: row.provider_id }
      : null;
  }

  async listUsers(tenantId?: string): Promise<User[]> {
    let query = this.db.selectFrom('users').selectAll();
    if (tenantId) query = query.where('tenant_id', '=', tenantId);
    const rows = await query.orderBy('name').execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      role: r.role as Role,
      tenantId: r.tenant_id,
      providerId: r.provider_id,
    }));
  }

  async countOperators(): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('role', '=', 'operator')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Revokes every live token of a user; returns how many. */
  async revokeTokens(userId: string, at: Date): Promise<number> {
    for (const [hash, entry] of this.tokenUsers) if (entry.user.id === userId) this.tokenUsers.delete(hash);
    const result = await this.db
      .updateTable('api_tokens')
      .set({ revoked_at: at })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async addTokenHash(userId: string, tokenHash: string, label: string): Promise<void> {
    await this.db.insertInto('api_tokens').values({ token_hash: tokenHash, user_id: userId, label }).execute();
  }

  async userByTokenHash(tokenHash: string): Promise<User | null> {
    const now = performance.now();
    const cached = this.tokenUsers.get(tokenHash);
    if (cached && cached.until > now) return cached.user;
    const row = await this.db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .select(['users.id', 'users.name', 'users.role', 'users.tenant_id', 'users.provider_id'])
      .where('api_tokens.token_hash', '=', tokenHash)
      .where('api_tokens.revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row) return null; // unknown tokens are not remembered: guessing cannot fill the cache
    const user = {
      id: row.id,
      name: row.name,
      role: row.role as Role,
      tenantId: row.tenant_id,
      providerId: row.provider_id,
    };
    this.tokenUsers.delete(tokenHash);
    // A Map iterates in insertion order: the first entry is the oldest.
    if (this.tokenUsers.size >= TOKEN_CACHE_ENTRIES) this.tokenUsers.delete(this.tokenUsers.keys().next().value!);
    this.tokenUsers.set(tokenHash, { user, until: now + TOKEN_CACHE_MS });
    return user;
  }
}
