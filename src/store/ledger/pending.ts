/**
 * What posting a batch of usage records reads, all under the batch's database transaction: the queued records with
 * their tenant, provider and project (the queue rows locked, skipping those another poster holds), the price
 * versions of their pools, the keys already posted for them, and the vouchers and programme pools they may draw on,
 * locked in id order so that concurrent posters queue on them instead of both spending the same remaining value.
 */
import { sql } from 'kysely';
import type { TenantCategory } from '../../core/domain.ts';
import type { RoundingMode } from '../../core/money/amount.ts';
import type { PriceVersion } from '../../core/money/price-book.ts';
import { programmePool } from './accounts.ts';
import type { Db } from './entries.ts';

export interface PendingUsage {
  id: string;
  generation: number;
  tenantId: string;
  projectId: string;
  poolId: string | null;
  providerId: string;
  acceleratorModel: string;
  startedAt: Date;
  endedAt: Date;
  acceleratorSeconds: bigint;
  provider: { city: string; regions: string[]; ownerOrganisation: string; rounding: RoundingMode; feeBp: number };
  tenant: { category: TenantCategory; regions: string[]; verified: boolean; organisation: string };
  projectRegions: string[];
}

interface PendingRow {
  id: string;
  generation: number;
  tenant_id: string;
  project_id: string;
  pool_id: string | null;
  provider_id: string;
  accelerator_model: string;
  started_at: Date;
  ended_at: Date;
  accelerator_seconds: string;
  city: string;
  provider_regions: string[];
  owner_organisation: string;
  price_rounding: RoundingMode;
  platform_fee_bp: number;
  category: TenantCategory;
  tenant_regions: string[];
  verified: boolean;
  organisation: string;
  project_regions: string[];
}

/**
 * Up to `limit` queued usage records, oldest first, locked for this transaction (SKIP LOCKED: a concurrent poster
 * takes others). A record left unpriced is tried again only once its last attempt is older than `retryUnpricedBefore`.
 */
export async function lockPending(tx: Db, limit: number, retryUnpricedBefore: Date): Promise<PendingUsage[]> {
  const rows = await sql<PendingRow>`
    select q.usage_record_id as id, q.generation, u.tenant_id, u.project_id, u.pool_id, c.provider_id,
      u.accelerator_model, u.started_at, u.ended_at, u.accelerator_seconds, pr.city, pr.regions as provider_regions,
      pr.owner_organisation, pr.price_rounding, pr.platform_fee_bp, t.category, t.regions as tenant_regions,
      t.verified, t.organisation, pj.regions as project_regions
    from posting_queue q
      join usage_records u on u.id = q.usage_record_id
      join clusters c on c.id = u.cluster_id
      join providers pr on pr.id = c.provider_id
      join tenants t on t.id = u.tenant_id
      join projects pj on pj.id = u.project_id
    where q.unpriced_reason is null or q.last_attempt_at < ${retryUnpricedBefore}
    order by q.enqueued_at, q.usage_record_id
    limit ${limit}
    for update of q skip locked`.execute(tx);
  return rows.rows.map((r) => ({
    id: r.id,
    generation: r.generation,
    tenantId: r.tenant_id,
    projectId: r.project_id,
    poolId: r.pool_id,
    providerId: r.provider_id,
    acceleratorModel: r.accelerator_model,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    acceleratorSeconds: BigInt(r.accelerator_seconds),
    provider: {
      city: r.city,
      regions: r.provider_regions,
      ownerOrganisation: r.owner_organisation,
      rounding: r.price_rounding,
      feeBp: r.platform_fee_bp,
    },
    tenant: { category: r.category, regions: r.tenant_regions, verified: r.verified, organisation: r.organisation },
    projectRegions: r.project_regions,
  }));
}

/** Every price version of the given pools, under the pool's accelerator model; the version label is "p<row id>". */
export async function pricesOfPools(tx: Db, poolIds: string[]): Promise<Map<string, PriceVersion[]>> {
  const byPool = new Map<string, PriceVersion[]>();
  if (poolIds.length === 0) return byPool;
  const rows = await sql<{
    id: string;
    pool_id: string;
    accelerator_model: string;
    fen_per_accelerator_hour: string;
    valid_from: Date;
    valid_to: Date | null;
  }>`select pp.id, pp.pool_id, p.accelerator_model, pp.fen_per_accelerator_hour, pp.valid_from, pp.valid_to
     from pool_prices pp join pools p on p.id = pp.pool_id where pp.pool_id = any(${poolIds}::text[])`.execute(tx);
  for (const r of rows.rows) {
    const list = byPool.get(r.pool_id) ?? [];
    list.push({
      version: `p${r.id}`,
      poolId: r.pool_id,
      acceleratorModel: r.accelerator_model,
      fenPerAcceleratorHour: BigInt(r.fen_per_accelerator_hour),
      validFrom: r.valid_from,
      validTo: r.valid_to,
    });
    byPool.set(r.pool_id, list);
  }
  return byPool;
}

/** The idempotency keys already posted for these usage records. */
export async function postedKeys(tx: Db, usageRecordIds: string[]): Promise<Set<string>> {
  // One array parameter rather than one parameter per id: a batch has thousands.
  const rows = await sql<{ idempotency_key: string }>`select idempotency_key from ledger_transactions
    where usage_record_id = any(${usageRecordIds}::text[])`.execute(tx);
  return new Set(rows.rows.map((r) => r.idempotency_key));
}

export interface UsableVoucher {
  id: string;
  tenantId: string;
  programmeId: string;
  issuedAt: Date;
  validFrom: Date;
  validTo: Date;
  providers: string[];
  products: string[];
  maxShareBp: bigint;
  /** Unspent value, fen (the liability account's credit balance). */
  remainingFen: bigint;
}

/**
 * The tenants' compute vouchers whose window meets [from, to] and that have value left and have not expired, their
 * liability accounts locked in id order. Soonest-expiring first: that is the order they are spent in.
 */
export async function lockVouchers(tx: Db, tenantIds: string[], from: Date, to: Date): Promise<UsableVoucher[]> {
  if (tenantIds.length === 0) return [];
  const rows = await sql<{
    id: string;
    tenant_id: string;
    programme_id: string;
    issued_at: Date;
    valid_from: Date;
    valid_to: Date;
    providers: string[];
    products: string[];
    max_share_bp: number;
    balance_fen: string;
  }>`select v.id, v.tenant_id, v.programme_id, v.issued_at, v.valid_from, v.valid_to, v.providers, v.products, v.max_share_bp, a.balance_fen
     from vouchers v join ledger_accounts a on a.id = 'voucher-liability:' || v.id
     where v.tenant_id = any(${tenantIds}::text[]) and v.kind = 'compute'
       and v.valid_from <= ${to} and v.valid_to > ${from} and a.balance_fen < 0
     order by a.id for update of a`.execute(tx);
  return rows.rows
    .map((r) => ({
      id: r.id,
      tenantId: r.tenant_id,
      programmeId: r.programme_id,
      issuedAt: r.issued_at,
      validFrom: r.valid_from,
      validTo: r.valid_to,
      providers: r.providers,
      products: r.products,
      maxShareBp: BigInt(r.max_share_bp),
      remainingFen: -BigInt(r.balance_fen),
    }))
    .sort((a, b) => a.validTo.getTime() - b.validTo.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Credit balances of the given pool accounts (fen left), locked in id order; a pool never funded holds 0. */
export async function lockPools(
  tx: Db,
  pools: Array<{ programmeId: string; funder: string }>,
): Promise<Map<string, bigint>> {
  const ids = [...new Set(pools.map((p) => programmePool(p.programmeId, p.funder)))].sort();
  const remaining = new Map<string, bigint>(ids.map((id) => [id, 0n]));
  if (ids.length === 0) return remaining;
  const rows = await sql<{ id: string; balance_fen: string }>`select id, balance_fen from ledger_accounts
    where id = any(${ids}::text[]) order by id for update`.execute(tx);
  for (const r of rows.rows) remaining.set(r.id, -BigInt(r.balance_fen));
  return remaining;
}

/** Net subsidy fen awarded per programme, and per programme, tenant and year (China Standard Time), reversals netted. */
export async function awardedSoFar(
  tx: Db,
  programmeIds: string[],
  tenantIds: string[],
): Promise<{ byProgramme: Map<string, bigint>; byTenantYear: Map<string, bigint> }> {
  const byProgramme = new Map<string, bigint>();
  const byTenantYear = new Map<string, bigint>();
  if (programmeIds.length === 0) return { byProgramme, byTenantYear };
  const signed = sql`case when purpose = 'reversal' then -amount_fen else amount_fen end`;
  const totals = await sql<{ programme_id: string; fen: string }>`select programme_id, sum(${signed})::text as fen
    from ledger_transactions where programme_id = any(${programmeIds}::text[])
      and purpose in ('subsidy', 'reversal') group by programme_id`.execute(tx);
  for (const r of totals.rows) byProgramme.set(r.programme_id, BigInt(r.fen));
  const perTenant = await sql<{ programme_id: string; tenant_id: string; year: number; fen: string }>`
    select programme_id, tenant_id, extract(year from at at time zone 'Asia/Shanghai')::integer as year,
      sum(${signed})::text as fen
    from ledger_transactions where programme_id = any(${programmeIds}::text[])
      and tenant_id = any(${tenantIds}::text[]) and purpose in ('subsidy', 'reversal')
    group by 1, 2, 3`.execute(tx);
  for (const r of perTenant.rows) byTenantYear.set(tenantYearKey(r.programme_id, r.tenant_id, r.year), BigInt(r.fen));
  return { byProgramme, byTenantYear };
}

export const tenantYearKey = (programmeId: string, tenantId: string, year: number) =>
  JSON.stringify([programmeId, tenantId, year]);
