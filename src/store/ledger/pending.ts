/**
 * What posting a batch of usage records reads, all under the batch's database transaction: the queued records (taken
 * off the queue, skipping rows another poster holds; the stream's are read by stream.ts), their tenants, providers and
 * projects and the price versions of their pools (partiesSelect, for both), the keys already posted for them, and the
 * vouchers and programme pools they may draw on, locked in id order so that concurrent posters queue on them instead
 * of both spending the same remaining value.
 */
import { sql, type RawBuilder } from 'kysely';
import type { TenantCategory } from '../../core/domain.ts';
import type { RoundingMode } from '../../core/money/amount.ts';
import type { TransactionLinks } from '../../core/money/ledger.ts';
import type { PriceVersion } from '../../core/money/price-book.ts';
import type { SpendKind } from '../../core/money/programmes/types.ts';
import { programmePool } from './accounts.ts';
import { arrayLiteral, type Db } from './entries.ts';

/**
 * What is charged, with its parties: a metered usage record (compute) or a provider's sale of a model service or
 * corpus. Charging, vouchers and subsidies (posting.ts) read only these fields, so both are charged by one path.
 */
export interface ChargeSubject {
  /** The usage record or sale; the subsidy evaluator's event id. */
  id: string;
  /** What its entries' idempotency keys start with: `usage:<record>#<generation>` or `sale:<sale>`. */
  key: string;
  kind: SpendKind;
  /** What a voucher's usable products name: the accelerator model, or the product sold. */
  product: string;
  /** When the money moves: a usage record's end, a sale's time. Vouchers and programmes in force then apply. */
  at: Date;
  /** The usage record or sale, linked from every entry charged for it. */
  links: TransactionLinks;
  tenantId: string;
  projectId: string | null;
  providerId: string;
  provider: { city: string; regions: string[]; ownerOrganisation: string; rounding: RoundingMode; feeBp: number };
  tenant: { category: TenantCategory; regions: string[]; verified: boolean; organisation: string };
  projectRegions: string[];
}

export interface PendingUsage extends ChargeSubject {
  generation: number;
  projectId: string;
  poolId: string | null;
  acceleratorModel: string;
  startedAt: Date;
  endedAt: Date;
  acceleratorSeconds: bigint;
  /** Its ledger_seq (migration 016), by which a charge line names it. */
  ledgerSeq: string;
}

interface PendingRow {
  id: string;
  generation: number;
  enqueued_at: string;
  attempts: number;
  tenant_id: string;
  project_id: string;
  pool_id: string | null;
  /** Its provider is read once per batch (withParties). */
  cluster_id: string;
  accelerator_model: string;
  /** Milliseconds since the epoch (whole: a Date holds no finer), cheaper for the driver than parsing a timestamp. */
  started_ms: number;
  ended_ms: number;
  accelerator_seconds: string;
  /** Its ledger_seq (migration 016), by which a charge line names it. */
  seq: string;
}

/** A queue row taken off the queue, to be put back as it was (plus the attempt) if its record cannot be priced. */
export interface QueueRow {
  usageRecordId: string;
  generation: number;
  /** As PostgreSQL wrote it (microseconds, which a Date would cut to milliseconds), to put it back unchanged. */
  enqueuedAt: string;
  attempts: number;
}

/**
 * Takes up to `limit` queued usage records off the queue, oldest first, in one statement: the queue rows are deleted
 * (SKIP LOCKED: a concurrent poster takes others, and the rows stay locked by this transaction until it commits or
 * rolls back, which puts them back), returning each record with its tenant, provider and project. The rows locked are
 * deleted by their physical address (ctid, a TID scan: they are locked, and queue rows are never updated, so the
 * address cannot move) rather than joined back to the queue by key, which made PostgreSQL scan the whole queue for
 * every batch; the usage records are then found by their primary key. A record left
 * unpriced is taken again only once its last attempt is older than `retryUnpricedBefore`; one that still has no price
 * is put back by `requeueUnpriced` in the same transaction.
 */
export async function takePending(
  tx: Db,
  limit: number,
  retryUnpricedBefore: Date,
): Promise<{ pending: PendingUsage[]; queue: Map<string, QueueRow> } & BatchFacts> {
  const rows = await sql<PendingRow>`
    with taken as (
      delete from posting_queue where ctid = any(array(
        select ctid from posting_queue
        where unpriced_reason is null or last_attempt_at < ${retryUnpricedBefore}
        order by enqueued_at, usage_record_id
        limit ${limit}
        for update skip locked))
      returning usage_record_id, generation, enqueued_at, attempts
    )
    select q.usage_record_id as id, q.generation, q.enqueued_at::text as enqueued_at, q.attempts, u.tenant_id, u.project_id, u.pool_id,
      u.cluster_id, u.accelerator_model, u.accelerator_seconds, u.ledger_seq::text as seq,
      trunc(extract(epoch from u.started_at) * 1000)::float8 as started_ms,
      trunc(extract(epoch from u.ended_at) * 1000)::float8 as ended_ms
    from taken q
      join usage_records u on u.id = q.usage_record_id
    order by q.enqueued_at, q.usage_record_id`.execute(tx);
  const queue = new Map<string, QueueRow>();
  for (const r of rows.rows)
    queue.set(r.id, { usageRecordId: r.id, generation: r.generation, enqueuedAt: r.enqueued_at, attempts: r.attempts });
  return { ...(await withParties(tx, rows.rows)), queue };
}

/** A usage record as read for posting: what the queue or the stream adds to it is optional. */
export type UsageRow = Omit<PendingRow, 'enqueued_at' | 'attempts' | 'generation'> & { generation?: number };

/** What a batch's records draw on, read with their parties: their pools' price versions, who holds vouchers. */
export interface BatchFacts {
  /** Every price version of the records' pools, under the pool's accelerator model; the version label is "p<row id>". */
  prices: Map<string, PriceVersion[]>;
  /** Tenants of the batch holding a compute voucher with value left (only their records need lockVouchers). */
  voucherHolders: Set<string>;
}

/** The parties and facts of a batch, as one row of JSON read beside it (partiesSelect). */
export interface PartiesRow {
  providers: Array<{
    cluster_id: string;
    id: string;
    city: string;
    regions: string[];
    owner_organisation: string;
    price_rounding: RoundingMode;
    platform_fee_bp: number;
  }> | null;
  tenants: Array<{
    id: string;
    category: TenantCategory;
    regions: string[];
    verified: boolean;
    organisation: string;
  }> | null;
  projects: Array<{ id: string; regions: string[] }> | null;
  prices: Array<{
    id: string;
    pool_id: string;
    accelerator_model: string;
    fen: string;
    valid_from: string;
    valid_to: string | null;
  }> | null;
  voucher_holders: string[] | null;
}

/** SQL expressions, each a text[] of the ids a batch names. */
export interface BatchIds {
  clusters: RawBuilder<unknown>;
  tenants: RawBuilder<unknown>;
  projects: RawBuilder<unknown>;
  pools: RawBuilder<unknown>;
}

/**
 * The select list reading a batch's parties (each cluster's provider, tenants, projects) and facts (its pools' price
 * versions, its tenants holding a compute voucher with value left) as the columns of PartiesRow: a batch has thousands
 * of records but a handful of these, read once.
 */
export const partiesSelect = (ids: BatchIds) => sql`
      (select json_agg(json_build_object('cluster_id', c.id, 'id', p.id, 'city', p.city, 'regions', p.regions,
        'owner_organisation', p.owner_organisation, 'price_rounding', p.price_rounding,
        'platform_fee_bp', p.platform_fee_bp))
        from clusters c join providers p on p.id = c.provider_id where c.id = any(${ids.clusters})) as providers,
      (select json_agg(json_build_object('id', id, 'category', category, 'regions', regions, 'verified', verified,
        'organisation', organisation))
        from tenants where id = any(${ids.tenants})) as tenants,
      (select json_agg(json_build_object('id', id, 'regions', regions))
        from projects where id = any(${ids.projects})) as projects,
      (select json_agg(json_build_object('id', pp.id::text, 'pool_id', pp.pool_id,
        'accelerator_model', p.accelerator_model, 'fen', pp.fen_per_accelerator_hour::text,
        'valid_from', pp.valid_from, 'valid_to', pp.valid_to))
        from pool_prices pp join pools p on p.id = pp.pool_id where pp.pool_id = any(${ids.pools})) as prices,
      (select array_agg(distinct v.tenant_id) from vouchers v join ledger_accounts a on a.id = 'voucher-liability:' || v.id
        where v.tenant_id = any(${ids.tenants}) and v.kind = 'compute' and a.balance_fen < 0) as voucher_holders`;

/** The records with their tenant, provider and project, in the order given, and the batch's facts. */
export async function withParties(
  tx: Db,
  rows: readonly UsageRow[],
): Promise<{ pending: PendingUsage[] } & BatchFacts> {
  if (rows.length === 0) return toPending(rows, null);
  const distinct = (f: (r: UsageRow) => string) => sql`${[...new Set(rows.map(f))]}::text[]`;
  const parties = await sql<PartiesRow>`select ${partiesSelect({
    clusters: distinct((r) => r.cluster_id),
    tenants: distinct((r) => r.tenant_id),
    projects: distinct((r) => r.project_id),
    pools: distinct((r) => r.pool_id ?? ''),
  })}`.execute(tx);
  return toPending(rows, parties.rows[0]!);
}

/** The records as posting reads them, with their parties, and the batch's facts. */
export function toPending(rows: readonly UsageRow[], row: PartiesRow | null): { pending: PendingUsage[] } & BatchFacts {
  if (row === null) return { pending: [], prices: new Map(), voucherHolders: new Set() };
  // By cluster: a record names the cluster it ran on, and the cluster its provider.
  const providers = new Map(
    (row.providers ?? []).map((p) => [
      p.cluster_id,
      {
        id: p.id,
        provider: {
          city: p.city,
          regions: p.regions,
          ownerOrganisation: p.owner_organisation,
          rounding: p.price_rounding,
          feeBp: p.platform_fee_bp,
        },
      },
    ]),
  );
  const tenants = new Map(
    (row.tenants ?? []).map((t) => [
      t.id,
      { category: t.category, regions: t.regions, verified: t.verified, organisation: t.organisation },
    ]),
  );
  const projects = new Map((row.projects ?? []).map((p) => [p.id, p.regions]));
  const prices = new Map<string, PriceVersion[]>();
  for (const r of row.prices ?? []) {
    const list = prices.get(r.pool_id) ?? [];
    list.push({
      version: `p${r.id}`,
      poolId: r.pool_id,
      acceleratorModel: r.accelerator_model,
      fenPerAcceleratorHour: BigInt(r.fen),
      validFrom: new Date(r.valid_from),
      validTo: r.valid_to === null ? null : new Date(r.valid_to),
    });
    prices.set(r.pool_id, list);
  }
  const pending = rows.map((r) => {
    const endedAt = new Date(r.ended_ms);
    return {
      id: r.id,
      key: `usage:${r.id}#${r.generation ?? 0}`,
      kind: 'compute' as const,
      product: r.accelerator_model,
      at: endedAt,
      links: { usageRecordId: r.id },
      generation: r.generation ?? 0,
      tenantId: r.tenant_id,
      projectId: r.project_id,
      poolId: r.pool_id,
      providerId: providers.get(r.cluster_id)!.id,
      acceleratorModel: r.accelerator_model,
      startedAt: new Date(r.started_ms),
      endedAt,
      acceleratorSeconds: BigInt(r.accelerator_seconds),
      ledgerSeq: r.seq,
      provider: providers.get(r.cluster_id)!.provider,
      tenant: tenants.get(r.tenant_id)!,
      projectRegions: projects.get(r.project_id)!,
    };
  });
  return { pending, prices, voucherHolders: new Set(row.voucher_holders ?? []) };
}

/** Puts records that could not be priced back on the queue, as they were, with the reason and one more attempt. */
export async function requeueUnpriced(
  tx: Db,
  unpriced: Array<{ row: QueueRow; reason: string }>,
  now: Date,
): Promise<void> {
  if (unpriced.length === 0) return;
  await sql`insert into posting_queue (usage_record_id, enqueued_at, generation, attempts, unpriced_reason,
      last_attempt_at)
    select u.id, u.enqueued_at, u.generation, u.attempts, u.reason, ${now}::timestamptz
    from unnest(${unpriced.map((u) => u.row.usageRecordId)}::text[],
      ${unpriced.map((u) => u.row.enqueuedAt)}::timestamptz[],
      ${unpriced.map((u) => u.row.generation)}::integer[], ${unpriced.map((u) => u.row.attempts + 1)}::integer[],
      ${unpriced.map((u) => u.reason)}::text[]) as u(id, enqueued_at, generation, attempts, reason)`.execute(tx);
}

/** The idempotency keys already posted for these usage records. */
export async function postedKeys(tx: Db, usageRecordIds: string[]): Promise<Set<string>> {
  // One array parameter rather than one parameter per id: a batch has thousands.
  const rows = await sql<{ idempotency_key: string }>`select idempotency_key from ledger_transactions
    where usage_record_id = any(${arrayLiteral(usageRecordIds)}::text[])`.execute(tx);
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
 * The tenants' vouchers of one kind (compute for usage, model or corpus for a sale) whose window meets [from, to] and
 * that have value left and have not expired, their liability accounts locked in id order. Soonest-expiring first:
 * that is the order they are spent in.
 */
export async function lockVouchers(
  tx: Db,
  tenantIds: string[],
  from: Date,
  to: Date,
  kind: SpendKind = 'compute',
): Promise<UsableVoucher[]> {
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
     where v.tenant_id = any(${tenantIds}::text[]) and v.kind = ${kind}
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
