/**
 * Claims on pro-rata-at-close budgets, recorded as charges are posted. The evaluator makes a claim (an award with
 * `settlement: 'claim'`) in the same evaluation that decides a charge's immediate awards, and non-stacking between
 * programmes is resolved within that evaluation; so the claim is taken from that very evaluation, never recomputed
 * later from a ledger that has moved on. The posting batch is given an evaluator that notes each claim it returns,
 * and the claims are written in the batch's database transaction, keyed like the subsidy they stand for. A sale of a
 * model service or corpus is charged the same way (sales.ts), and its claims are written in the transaction that
 * records it.
 */
import { sql } from 'kysely';
import { chinaYear } from '../../core/money/programmes/calendar.ts';
import type { ProgrammeLedgerView, SpendEvent, SubsidyAward } from '../../core/money/programmes/types.ts';
import { uuidv7 } from '../ids.ts';
import type { Db } from './entries.ts';
import { tenantYearKey } from './pending.ts';
import type { SubsidySource } from './posting.ts';

export interface NotedClaim {
  award: SubsidyAward;
  event: SpendEvent;
}

/**
 * The subsidy source a batch posts with, and the claims its evaluator returned. Without a pro-rata programme the
 * source is returned as it is: nothing is noted and the batch pays nothing for it.
 *
 * The evaluator's caps (per tenant per year, programme total) count what was awarded; for a pro-rata programme that
 * is what closes paid (the ledger's view) plus the claims no close has settled yet, read here, plus those the batch
 * makes as it goes. So a tenant cannot claim past its cap while a period is open.
 */
export async function noteClaims(
  tx: Db,
  source: SubsidySource | undefined,
): Promise<{ source: SubsidySource | undefined; noted: NotedClaim[] }> {
  const noted: NotedClaim[] = [];
  const proRata = (source?.programmes ?? [])
    .filter((p) => p.budget?.exhaustion === 'pro-rata-at-close')
    .map((p) => p.metadata.id);
  if (source === undefined || proRata.length === 0) return { source, noted };
  const open = await openClaimTotals(tx, proRata);
  const add = (map: Map<string, bigint>, key: string, fen: bigint) => map.set(key, (map.get(key) ?? 0n) + fen);
  return {
    noted,
    source: {
      ...source,
      evaluate: (programmes, event, view, options) => {
        const withClaims: ProgrammeLedgerView = {
          poolRemaining: (programmeId, funder) => view.poolRemaining(programmeId, funder),
          awardedInProgramme: (programmeId) =>
            view.awardedInProgramme(programmeId) + (open.byProgramme.get(programmeId) ?? 0n),
          awardedToTenantInYear: (programmeId, tenantId, year) =>
            view.awardedToTenantInYear(programmeId, tenantId, year) +
            (open.byTenantYear.get(tenantYearKey(programmeId, tenantId, year)) ?? 0n),
        };
        const evaluation = source.evaluate(programmes, event, withClaims, options);
        for (const award of evaluation.awards) {
          if (award.settlement !== 'claim') continue;
          noted.push({ award, event });
          // A replayed record's claim is stored already and counted among the open claims.
          if (open.recorded.has(JSON.stringify([event.id, award.programmeId, award.ruleId]))) continue;
          add(open.byProgramme, award.programmeId, award.amountFen);
          add(
            open.byTenantYear,
            tenantYearKey(award.programmeId, award.tenantId, chinaYear(event.at)),
            award.amountFen,
          );
        }
        return evaluation;
      },
    },
  };
}

/**
 * Claims no close has settled, on charges that stand, per programme and per programme, tenant and year (summed by
 * the database), and which of the records waiting to be posted have claims already (a replay of one is not counted
 * again).
 */
async function openClaimTotals(tx: Db, programmeIds: string[]) {
  const totals = await sql<{ programme_id: string; tenant_id: string; year: number; fen: string }>`
    select c.programme_id, c.tenant_id, extract(year from c.at at time zone 'Asia/Shanghai')::integer as year,
      sum(c.amount_fen)::text as fen
    from programme_claims c
    where c.programme_id = any(${programmeIds}::text[])
      and not exists (select 1 from programme_claim_settlements s where s.claim_id = c.id)
      and not exists (select 1 from ledger_transactions r where r.reverses = c.charge_transaction_id)
    group by 1, 2, 3`.execute(tx);
  const queued = await sql<{ usage_record_id: string; programme_id: string; rule_id: string }>`
    select c.usage_record_id, c.programme_id, c.rule_id
    from programme_claims c join posting_queue q on q.usage_record_id = c.usage_record_id
    where c.programme_id = any(${programmeIds}::text[])
      and not exists (select 1 from ledger_transactions r where r.reverses = c.charge_transaction_id)`.execute(tx);
  const byProgramme = new Map<string, bigint>();
  const byTenantYear = new Map<string, bigint>();
  for (const r of totals.rows) {
    const fen = BigInt(r.fen);
    byProgramme.set(r.programme_id, (byProgramme.get(r.programme_id) ?? 0n) + fen);
    byTenantYear.set(tenantYearKey(r.programme_id, r.tenant_id, r.year), fen);
  }
  const recorded = new Set(queued.rows.map((r) => JSON.stringify([r.usage_record_id, r.programme_id, r.rule_id])));
  return { byProgramme, byTenantYear, recorded };
}

const GENERATION = /#(\d+):charge$/;

/** What a batch of noted claims was made on: metered usage records (postPending) or one sale (recordSale). */
export type ClaimCause = 'usage' | 'sale';

/**
 * Writes the noted claims, each on the charge that stands for its usage record (the latest generation not reversed)
 * or its sale: a replayed record finds its claim's key and writes nothing, and a reversed charge takes no new claim.
 * A sale's claim is keyed `sale:<sale>:claim:<programme>:<rule>` and dated the sale's time, as its subsidies are.
 * Returns how many were written.
 */
export async function recordClaims(
  tx: Db,
  noted: readonly NotedClaim[],
  now: Date,
  cause: ClaimCause = 'usage',
): Promise<number> {
  if (noted.length === 0) return 0;
  const causeIds = [...new Set(noted.map((n) => n.event.id))];
  const column = cause === 'usage' ? sql.ref('t.usage_record_id') : sql.ref('t.sale_id');
  const charges = await sql<{ id: string; cause_id: string; idempotency_key: string }>`
    select t.id, ${column} as cause_id, t.idempotency_key from ledger_transactions t
    where ${column} = any(${causeIds}::text[]) and t.purpose = 'charge'
      and not exists (select 1 from ledger_transactions r where r.reverses = t.id)`.execute(tx);
  const standing = new Map<string, { id: string; prefix: string; generation: number }>();
  for (const c of charges.rows) {
    // A sale is charged once: it has no generations.
    const generation = cause === 'usage' ? Number(GENERATION.exec(c.idempotency_key)?.[1] ?? -1) : 0;
    const prefix = cause === 'usage' ? `usage:${c.cause_id}#${generation}` : `sale:${c.cause_id}`;
    const before = standing.get(c.cause_id);
    if (before === undefined || generation > before.generation)
      standing.set(c.cause_id, { id: c.id, prefix, generation });
  }
  const rows = noted.flatMap(({ award, event }) => {
    const charge = standing.get(event.id);
    if (charge === undefined) return [];
    return [
      {
        id: uuidv7(now.getTime()),
        key: `${charge.prefix}:claim:${award.programmeId}:${award.ruleId}`,
        programme_id: award.programmeId,
        programme_version: award.programmeVersion,
        rule_id: award.ruleId,
        usage_record_id: cause === 'usage' ? event.id : null,
        sale_id: cause === 'sale' ? event.id : null,
        charge_transaction_id: charge.id,
        tenant_id: event.tenant.id,
        provider_id: event.provider.id,
        payee: award.payee,
        at: event.at.toISOString(),
        amount_fen: award.amountFen.toString(),
        detail: {
          baseFen: award.baseFen.toString(),
          rate: `${award.rate.numerator}/${award.rate.denominator}`,
          byFunder: award.byFunder.map((f) => ({ funder: f.funder, fen: f.amountFen.toString() })),
          ...(award.cappedBy ? { cappedBy: award.cappedBy } : {}),
          explanation: award.explanation,
        },
        recorded_at: now.toISOString(),
      },
    ];
  });
  if (rows.length === 0) return 0;
  const written = await sql`insert into programme_claims (id, idempotency_key, programme_id, programme_version,
      rule_id, usage_record_id, sale_id, charge_transaction_id, tenant_id, provider_id, payee, at, amount_fen, detail,
      recorded_at)
    select * from json_to_recordset(${JSON.stringify(rows)}::json) as x(id text, key text, programme_id text,
      programme_version text, rule_id text, usage_record_id text, sale_id text, charge_transaction_id text,
      tenant_id text, provider_id text, payee text, at timestamptz, amount_fen bigint, detail jsonb,
      recorded_at timestamptz)
    on conflict (idempotency_key) do nothing`.execute(tx);
  return Number(written.numAffectedRows ?? 0n);
}
