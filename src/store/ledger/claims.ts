/**
 * Claims on pro-rata-at-close budgets, recorded as charges are posted. The evaluator makes a claim (an award with
 * `settlement: 'claim'`) in the same evaluation that decides a charge's immediate awards, and non-stacking between
 * programmes is resolved within that evaluation; so the claim is taken from that very evaluation, never recomputed
 * later from a ledger that has moved on. The posting batch is given an evaluator that notes each claim it returns,
 * and the claims are written in the batch's database transaction, keyed like the subsidy they stand for.
 */
import { sql } from 'kysely';
import type { SpendEvent, SubsidyAward } from '../../core/money/programmes/types.ts';
import { uuidv7 } from '../ids.ts';
import type { Db } from './entries.ts';
import type { SubsidySource } from './posting.ts';

export interface NotedClaim {
  award: SubsidyAward;
  event: SpendEvent;
}

/**
 * The subsidy source a batch posts with, and the claims its evaluator returned. Without a pro-rata programme the
 * source is returned as it is: nothing is noted and the batch pays nothing for it.
 */
export function noteClaims(source: SubsidySource | undefined): {
  source: SubsidySource | undefined;
  noted: NotedClaim[];
} {
  const noted: NotedClaim[] = [];
  if (!source?.programmes.some((p) => p.budget?.exhaustion === 'pro-rata-at-close')) return { source, noted };
  return {
    noted,
    source: {
      ...source,
      evaluate: (programmes, event, view, options) => {
        const evaluation = source.evaluate(programmes, event, view, options);
        for (const award of evaluation.awards) if (award.settlement === 'claim') noted.push({ award, event });
        return evaluation;
      },
    },
  };
}

const GENERATION = /#(\d+):charge$/;

/**
 * Writes the noted claims, each on the usage record's charge that stands (the latest generation not reversed):
 * a replayed record finds its claim's key and writes nothing, and a reversed charge takes no new claim. Returns how
 * many were written.
 */
export async function recordClaims(tx: Db, noted: readonly NotedClaim[], now: Date): Promise<number> {
  if (noted.length === 0) return 0;
  const usageIds = [...new Set(noted.map((n) => n.event.id))];
  const charges = await sql<{ id: string; usage_record_id: string; idempotency_key: string }>`
    select t.id, t.usage_record_id, t.idempotency_key from ledger_transactions t
    where t.usage_record_id = any(${usageIds}::text[]) and t.purpose = 'charge'
      and not exists (select 1 from ledger_transactions r where r.reverses = t.id)`.execute(tx);
  const standing = new Map<string, { id: string; generation: number }>();
  for (const c of charges.rows) {
    const generation = Number(GENERATION.exec(c.idempotency_key)?.[1] ?? -1);
    const before = standing.get(c.usage_record_id);
    if (before === undefined || generation > before.generation)
      standing.set(c.usage_record_id, { id: c.id, generation });
  }
  const rows = noted.flatMap(({ award, event }) => {
    const charge = standing.get(event.id);
    if (charge === undefined) return [];
    return [
      {
        id: uuidv7(now.getTime()),
        key: `usage:${event.id}#${charge.generation}:claim:${award.programmeId}:${award.ruleId}`,
        programme_id: award.programmeId,
        programme_version: award.programmeVersion,
        rule_id: award.ruleId,
        usage_record_id: event.id,
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
      rule_id, usage_record_id, charge_transaction_id, tenant_id, provider_id, payee, at, amount_fen, detail,
      recorded_at)
    select * from json_to_recordset(${JSON.stringify(rows)}::json) as x(id text, key text, programme_id text,
      programme_version text, rule_id text, usage_record_id text, charge_transaction_id text, tenant_id text,
      provider_id text, payee text, at timestamptz, amount_fen bigint, detail jsonb, recorded_at timestamptz)
    on conflict (idempotency_key) do nothing`.execute(tx);
  return Number(written.numAffectedRows ?? 0n);
}
