/**
 * Sales of model services (模型: API usage, fine-tuning, a licensed model) and corpora (语料: datasets) by providers to
 * tenants through the platform. The seller reports a sale as a centre reports metered usage, and it is charged by the
 * same functions as usage (posting.ts), in the same database transaction that stores it: the tenant's wallet pays,
 * the provider's payable receives (less the platform fee), the tenant's vouchers of the sale's kind pay up to their
 * remaining value, and the subsidy programmes whose base includes that kind of spend award on it. The seller's own
 * reference makes a repeat harmless; a correction is a reversal of the sale's entries, never a change to the sale.
 */
import { sql, type Kysely } from 'kysely';
import type { TenantCategory } from '../../core/domain.ts';
import type { Fen, RoundingMode } from '../../core/money/amount.ts';
import type { VoucherProgramme } from '../../core/money/programmes/types.ts';
import { recordAudit } from '../audit.ts';
import { uuidv7 } from '../ids.ts';
import type { Database } from '../schema.ts';
import { noteClaims, recordClaims } from './claims.ts';
import { inTransaction, writeEntries } from './entries.ts';
import { LedgerRefusal, reversalEntries, type Actor } from './operations.ts';
import { lockVouchers, type ChargeSubject } from './pending.ts';
import { claimClawbacks } from './period-close.ts';
import { chargeEntry, spendEntries, subsidyState, type SubsidySource } from './posting.ts';

export const SALE_KINDS = ['model', 'corpus'] as const;
export type SaleKind = (typeof SALE_KINDS)[number];

export interface NewSale {
  /** The seller. */
  providerId: string;
  /** The seller's order number: recording the same reference again charges nothing more. */
  reference: string;
  /** The buyer. */
  tenantId: string;
  projectId?: string | null;
  kind: SaleKind;
  /** What was sold; a voucher's usable products name these. */
  product: string;
  description?: string;
  /** The seller's price: the charge, whole fen. */
  amountFen: Fen;
  occurredAt: Date;
}

export interface StoredSale extends Required<NewSale> {
  id: string;
  recordedBy: string;
  recordedAt: Date;
  /** What the tenant's vouchers paid of it, and the subsidies awarded on it (reversals netted). */
  voucherFen: Fen;
  subsidyFen: Fen;
  /** Its charge has been reversed. */
  reversed: boolean;
}

export interface SaleChargeOptions {
  subsidies?: SubsidySource | undefined;
  voucherProgrammes?: readonly VoucherProgramme[] | undefined;
}

export interface SaleFilter {
  tenantId?: string;
  providerId?: string;
  kind?: SaleKind;
  from?: Date;
  to?: Date;
  limit?: number;
}

const FUTURE_SKEW_MS = 5 * 60_000;

const invalid = (field: string, message: string) => new LedgerRefusal('invalid', `${field}: ${message}`);

/**
 * Records a sale and charges it, in one database transaction. Returns the sale, whether it was new, and the ledger
 * transactions written. A reference recorded before with the same terms returns that sale (nothing is charged); with
 * other terms it is refused (`conflict`). A provider, tenant or project that does not exist is refused (`invalid`,
 * naming the field), as is a project of another tenant.
 */
export async function recordSale(
  db: Kysely<Database>,
  input: Actor & NewSale,
  options: SaleChargeOptions = {},
): Promise<{ sale: StoredSale; created: boolean; transactions: string[] }> {
  if (typeof input.amountFen !== 'bigint' || input.amountFen <= 0n)
    throw invalid('amountFen', 'must be a positive whole number of fen');
  if (!(SALE_KINDS as readonly string[]).includes(input.kind)) throw invalid('kind', 'must be model or corpus');
  if (input.product.trim() === '') throw invalid('product', 'must not be empty');
  if (input.reference.trim() === '') throw invalid('reference', 'must not be empty');
  if (Number.isNaN(input.occurredAt.getTime())) throw invalid('occurredAt', 'must be a date-time');
  // A sale is reported after it is made, as usage is metered after it ran (a few minutes of clock skew allowed): a
  // sale dated ahead could spend vouchers, and claim programmes, of a time that has not come.
  if (input.occurredAt.getTime() > input.at.getTime() + FUTURE_SKEW_MS)
    throw invalid('occurredAt', `${input.occurredAt.toISOString()} is in the future`);
  return inTransaction(db, async (tx) => {
    const parties = await partiesOf(tx, input);
    const id = uuidv7(input.at.getTime());
    const inserted = await tx
      .insertInto('sales')
      .values({
        id,
        provider_id: input.providerId,
        reference: input.reference,
        tenant_id: input.tenantId,
        project_id: input.projectId ?? null,
        kind: input.kind,
        product: input.product,
        description: input.description ?? '',
        amount_fen: input.amountFen.toString(),
        occurred_at: input.occurredAt,
        recorded_by: input.actor,
        recorded_at: input.at,
      })
      .onConflict((oc) => oc.columns(['provider_id', 'reference']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) {
      const [existing] = await readSales(tx, { providerId: input.providerId, reference: input.reference });
      if (!existing || !sameTerms(existing, input))
        throw new LedgerRefusal(
          'conflict',
          `reference ${input.reference} of provider ${input.providerId} was recorded before with other terms`,
        );
      return { sale: existing, created: false, transactions: [] };
    }
    const subject: ChargeSubject = {
      id,
      key: `sale:${id}`,
      kind: input.kind,
      product: input.product,
      at: input.occurredAt,
      links: { saleId: id },
      tenantId: input.tenantId,
      projectId: input.projectId ?? null,
      providerId: input.providerId,
      ...parties,
    };
    const vouchers = await lockVouchers(tx, [input.tenantId], input.occurredAt, input.occurredAt, input.kind);
    // A pro-rata-at-close programme's award is a claim, noted as the evaluator returns it and stored with the
    // charge (claims.ts), as posting usage does.
    const claims = await noteClaims(tx, options.subsidies);
    const subsidies = claims.source ? await subsidyState(tx, claims.source, [subject]) : null;
    const context = { subject, fen: input.amountFen, done: new Set<string>(), actor: input.actor };
    const charge = chargeEntry(context, input.at, `${input.kind} sale ${input.product} (${input.reference})`, () => ({
      kind: input.kind,
      product: input.product,
      reference: input.reference,
      description: input.description ?? '',
      feeBasisPoints: parties.provider.feeBp,
    }));
    const entries = spendEntries(context, charge, input.at, vouchers, options.voucherProgrammes ?? [], subsidies);
    const written = await writeEntries(tx, entries);
    const claimed = await recordClaims(tx, claims.noted, input.at, 'sale');
    await recordAudit(tx, {
      actor: input.actor,
      at: input.at,
      action: 'sale.record',
      objectType: 'sale',
      objectId: id,
      after: { ...input, actor: undefined, at: undefined, transactions: [...written], claims: claimed },
    });
    const [sale] = await readSales(tx, { id });
    return { sale: sale!, created: true, transactions: [...written] };
  });
}

/**
 * Reverses every entry of a sale not reversed yet (charge, vouchers, subsidies), restoring every balance, and claws
 * back what a period close paid for its claims.
 */
export async function reverseSale(
  db: Kysely<Database>,
  input: Actor & { saleId: string; reason: string },
): Promise<string[]> {
  if (input.reason.trim() === '') throw new LedgerRefusal('invalid', 'a reversal needs a reason');
  return inTransaction(db, async (tx) => {
    if (!(await tx.selectFrom('sales').select('id').where('id', '=', input.saleId).executeTakeFirst()))
      throw new LedgerRefusal('not-found', `no sale ${input.saleId}`);
    const entries = await reversalEntries(tx, { saleId: input.saleId }, input);
    // Its charge reversed, a claim no close has settled is withdrawn (closes leave out claims on reversed charges);
    // one a close has paid is clawed back from the payee, as for usage.
    entries.push(...(await claimClawbacks(tx, { ...input, saleId: input.saleId })));
    const written = await writeEntries(tx, entries);
    await recordAudit(tx, {
      ...input,
      action: 'sale.reverse',
      objectType: 'sale',
      objectId: input.saleId,
      after: { reversals: [...written], reason: input.reason },
    });
    return [...written];
  });
}

/** Sales, newest first, with what vouchers paid of them and the subsidies awarded on them. */
export function listSales(db: Kysely<Database>, filter: SaleFilter): Promise<StoredSale[]> {
  return readSales(db, filter);
}

type Db = Parameters<typeof recordAudit>[0];

async function partiesOf(
  tx: Db,
  input: NewSale,
): Promise<Pick<ChargeSubject, 'provider' | 'tenant' | 'projectRegions'>> {
  const provider = await sql<{
    city: string;
    regions: string[];
    owner_organisation: string;
    price_rounding: RoundingMode;
    platform_fee_bp: number;
  }>`select city, regions, owner_organisation, price_rounding, platform_fee_bp from providers
    where id = ${input.providerId}`.execute(tx);
  const p = provider.rows[0];
  if (!p) throw invalid('providerId', `no provider ${input.providerId}`);
  const tenant = await sql<{ category: TenantCategory; regions: string[]; verified: boolean; organisation: string }>`
    select category, regions, verified, organisation from tenants where id = ${input.tenantId}`.execute(tx);
  const t = tenant.rows[0];
  if (!t) throw invalid('tenantId', `no tenant ${input.tenantId}`);
  let projectRegions: string[] = [];
  if (input.projectId) {
    const project = await sql<{ regions: string[] }>`select regions from projects
      where id = ${input.projectId} and tenant_id = ${input.tenantId}`.execute(tx);
    if (!project.rows[0]) throw invalid('projectId', `no project ${input.projectId} of tenant ${input.tenantId}`);
    projectRegions = project.rows[0].regions;
  }
  return {
    provider: {
      city: p.city,
      regions: p.regions,
      ownerOrganisation: p.owner_organisation,
      rounding: p.price_rounding,
      feeBp: p.platform_fee_bp,
    },
    tenant: { category: t.category, regions: t.regions, verified: t.verified, organisation: t.organisation },
    projectRegions,
  };
}

function sameTerms(sale: StoredSale, input: NewSale): boolean {
  return (
    sale.tenantId === input.tenantId &&
    sale.kind === input.kind &&
    sale.product === input.product &&
    sale.amountFen === input.amountFen &&
    sale.occurredAt.getTime() === input.occurredAt.getTime() &&
    sale.projectId === (input.projectId ?? null)
  );
}

async function readSales(db: Db, filter: SaleFilter & { id?: string; reference?: string }): Promise<StoredSale[]> {
  const where = [sql`true`];
  if (filter.id !== undefined) where.push(sql`s.id = ${filter.id}`);
  if (filter.reference !== undefined) where.push(sql`s.reference = ${filter.reference}`);
  if (filter.tenantId !== undefined) where.push(sql`s.tenant_id = ${filter.tenantId}`);
  if (filter.providerId !== undefined) where.push(sql`s.provider_id = ${filter.providerId}`);
  if (filter.kind !== undefined) where.push(sql`s.kind = ${filter.kind}`);
  if (filter.from !== undefined) where.push(sql`s.occurred_at >= ${filter.from}`);
  if (filter.to !== undefined) where.push(sql`s.occurred_at < ${filter.to}`);
  // A reversal counts against the purpose it reverses.
  const net = (purpose: string) => sql`coalesce(sum(case when t.purpose = ${purpose} then t.amount_fen
    when t.purpose = 'reversal' and t.detail->>'reverses' = ${purpose} then -t.amount_fen end), 0)::text`;
  const rows = await sql<{
    id: string;
    provider_id: string;
    reference: string;
    tenant_id: string;
    project_id: string | null;
    kind: SaleKind;
    product: string;
    description: string;
    amount_fen: string;
    occurred_at: Date;
    recorded_by: string;
    recorded_at: Date;
    voucher_fen: string;
    subsidy_fen: string;
    reversed: boolean | null;
  }>`select s.*, ${net('voucher-apply')} as voucher_fen, ${net('subsidy')} as subsidy_fen,
      bool_or(t.purpose = 'reversal' and t.detail->>'reverses' = 'charge') as reversed
    from sales s left join ledger_transactions t on t.sale_id = s.id
    where ${sql.join(where, sql` and `)}
    group by s.id order by s.occurred_at desc, s.id desc limit ${filter.limit ?? 100}`.execute(db);
  return rows.rows.map((r) => ({
    id: r.id,
    providerId: r.provider_id,
    reference: r.reference,
    tenantId: r.tenant_id,
    projectId: r.project_id,
    kind: r.kind,
    product: r.product,
    description: r.description,
    amountFen: BigInt(r.amount_fen),
    occurredAt: r.occurred_at,
    recordedBy: r.recorded_by,
    recordedAt: r.recorded_at,
    voucherFen: BigInt(r.voucher_fen),
    subsidyFen: BigInt(r.subsidy_fen),
    reversed: r.reversed ?? false,
  }));
}
