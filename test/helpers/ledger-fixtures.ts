/**
 * A small federation for ledger tests and the ledger benchmark: two providers (one in northern Anhui), three priced
 * pools and one without a price, three tenants of different categories, and usage records written in bulk.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.ts';
import type { FunderShare, SpendKind } from '../../src/core/money/programmes/types.ts';
import type { SubsidyProgramme, SubsidySource } from '../../src/store/ledger/index.ts';

export const TENANTS = ['acme', 'rival', 'campus'] as const;
export const POOLS = [
  { id: 'hefei-1:h100', cluster: 'hefei-1', model: 'H100-SXM' },
  { id: 'suzhou-1:910b', cluster: 'suzhou-1', model: 'Ascend-910B' },
  { id: 'suzhou-1:k100', cluster: 'suzhou-1', model: 'K100' },
] as const;
/** A pool that exists but has no price: its usage must never be charged. */
export const UNPRICED_POOL = { id: 'hefei-1:spare', cluster: 'hefei-1', model: 'A100-80GB' } as const;

export async function seedLedgerFederation(db: Kysely<Database>): Promise<void> {
  await sql`insert into providers (id, name, city, regions, owner_organisation, platform_fee_bp, price_rounding) values
    ('hefei-aicc', 'Hefei AICC', 'Hefei', '{anhui,hefei}', 'Hefei Municipal Investment', 500, 'half-up'),
    ('suzhou-wanbei', 'Suzhou Wanbei', 'Suzhou', '{anhui,wanbei,suzhou}', 'Suzhou Digital', 0, 'half-even')`.execute(
    db,
  );
  await sql`insert into clusters (id, provider_id, name, engine) values
    ('hefei-1', 'hefei-aicc', 'hefei-1', 'local'), ('suzhou-1', 'suzhou-wanbei', 'suzhou-1', 'local')`.execute(db);
  for (const pool of [...POOLS, UNPRICED_POOL]) {
    await sql`insert into pools (id, cluster_id, name, accelerator_model)
      values (${pool.id}, ${pool.cluster}, ${pool.id.split(':')[1]}, ${pool.model})`.execute(db);
  }
  // The H100 price drops mid-November, so some runs are split between two prices.
  await sql`insert into pool_prices (pool_id, fen_per_accelerator_hour, valid_from) values
    ('hefei-1:h100', 1800, '2026-01-01T00:00:00+08:00'), ('hefei-1:h100', 1650, '2026-11-15T00:00:00+08:00'),
    ('suzhou-1:910b', 905, '2026-01-01T00:00:00+08:00'), ('suzhou-1:k100', 1, '2026-01-01T00:00:00+08:00')`.execute(db);
  const categories = ['enterprise', 'startup', 'university'];
  for (const [i, tenant] of TENANTS.entries()) {
    await sql`insert into tenants (id, name, category, regions, verified, organisation)
      values (${tenant}, ${tenant}, ${categories[i]}, '{anhui}', true, ${tenant})`.execute(db);
    await sql`insert into projects (id, tenant_id, name, regions)
      values (${`${tenant}-p`}, ${tenant}, 'p', ${i === 0 ? ['wanbei'] : []})`.execute(db);
    await sql`insert into users (id, name, role, tenant_id) values (${`${tenant}-admin`}, ${`${tenant}-admin`},
      'tenant-admin', ${tenant})`.execute(db);
    await sql`insert into jobs (id, tenant_id, project_id, submitted_by, name, priority_class, spec, state,
        submitted_at, updated_at)
      values (${`${tenant}-job`}, ${tenant}, ${`${tenant}-p`}, ${`${tenant}-admin`}, 'j', 'normal', '{}', 'succeeded',
        now(), now())`.execute(db);
  }
}

/** Two H100s for two hours on 2 November 2026 at ¥18.00/h: a ¥72.00 charge. */
export const h100Run = (id: string, tenant: string): UsageInput => ({
  id,
  tenant,
  poolId: POOLS[0].id,
  model: POOLS[0].model,
  cluster: POOLS[0].cluster,
  startedAt: new Date('2026-11-02T08:00:00+08:00'),
  endedAt: new Date('2026-11-02T10:00:00+08:00'),
  acceleratorSeconds: 14_400n,
});

export interface UsageInput {
  id: string;
  tenant: string;
  poolId: string;
  model: string;
  cluster: string;
  startedAt: Date;
  endedAt: Date;
  acceleratorSeconds: bigint;
}

/** Writes usage records in one statement (in that order in the ledger's stream, which posters read them from). */
export async function insertUsage(db: Kysely<Database>, records: readonly UsageInput[]): Promise<void> {
  if (records.length === 0) return;
  const col = <T>(f: (r: UsageInput) => T) => records.map(f);
  await sql`insert into usage_records (id, job_id, tenant_id, project_id, cluster_id, pool_id, engine_job_id,
      accelerator_model, accelerator_count, started_at, ended_at, elapsed_seconds, accelerator_seconds, gflop)
    select u.id, u.tenant || '-job', u.tenant, u.tenant || '-p', u.cluster, u.pool, u.id, u.model, 1, u.started,
      u.ended, u.seconds, u.seconds, 0
    from unnest(${col((r) => r.id)}::text[], ${col((r) => r.tenant)}::text[], ${col((r) => r.cluster)}::text[],
      ${col((r) => r.poolId)}::text[], ${col((r) => r.model)}::text[],
      ${col((r) => r.startedAt.toISOString())}::timestamptz[], ${col((r) => r.endedAt.toISOString())}::timestamptz[],
      ${col((r) => r.acceleratorSeconds.toString())}::bigint[])
      as u(id, tenant, cluster, pool, model, started, ended, seconds)`.execute(db);
}

/**
 * A subsidy programme for the real evaluator: `basisPoints` of what the tenant paid (after vouchers, rounded down) on
 * spend of the given kinds, to the tenant, from the funders' pools (first come, first served), no caps.
 */
export function paidShareProgramme(
  id: string,
  kinds: SpendKind[],
  basisPoints: bigint,
  funders: FunderShare[] = [{ funder: 'province', shareBasisPoints: 10_000n }],
): SubsidyProgramme {
  return {
    kind: 'SubsidyProgramme',
    metadata: { id, version: '1', series: id, title: id, sources: [] },
    validFrom: '2026-01-01',
    validTo: null,
    supersedes: null,
    payee: 'tenant',
    rounding: 'down',
    funders,
    budget: { exhaustion: 'first-come-first-served' },
    stacking: null,
    eligibility: { excludeSelfBuiltSelfUsed: false, excludeAffiliated: false },
    caps: { perTransactionFen: null, perTenantPerYearFen: null, programmeTotalFen: null },
    minimumBaseFen: 0n,
    minimumAwardFen: 0n,
    rules: [{ id: 'paid', base: 'paid', appliesTo: { kinds }, rate: { type: 'fixed', basisPoints }, multipliers: [] }],
  };
}

/**
 * A hand-made subsidy programme for tests (the real ones come from programmes/*.yaml through the evaluator): 20% of
 * every metered charge to the tenant, shared 60/40 by the province and the city, from budget pools. `respectPools`
 * false makes the evaluator ask for the full award whatever the pools hold, so the ledger's own cut is tested.
 */
export function testSubsidies(options: { respectPools: boolean; programmeId?: string }): SubsidySource {
  const id = options.programmeId ?? 'test-compute';
  const funders = [
    { funder: 'province', shareBasisPoints: 6000n },
    { funder: 'hefei', shareBasisPoints: 4000n },
  ];
  // Its own evaluator below pays; the programme's terms only name it, its funders and its pools.
  const programme: SubsidyProgramme = { ...paidShareProgramme(id, ['compute'], 2000n, funders), rules: [] };
  return {
    programmes: [programme],
    evaluate: (_programmes, event, view) => {
      const byFunder = funders.map((f) => {
        const share = (event.meteredFen * 2000n * f.shareBasisPoints) / 100_000_000n;
        const left = view.poolRemaining(id, f.funder);
        return { funder: f.funder, amountFen: options.respectPools && share > left ? left : share };
      });
      const amountFen = byFunder.reduce((s, f) => s + f.amountFen, 0n);
      if (amountFen === 0n) return { awards: [], notAwarded: [] };
      return {
        awards: [
          {
            programmeId: id,
            programmeVersion: '1',
            ruleId: 'flat-20',
            eventId: event.id,
            tenantId: event.tenant.id,
            payee: 'tenant',
            baseFen: event.meteredFen,
            rate: { numerator: 1n, denominator: 5n },
            amountFen,
            byFunder,
            settlement: 'immediate',
            explanation: ['20% of the metered charge'],
          },
        ],
        notAwarded: [],
      };
    },
  };
}

/** Deterministic usage for the ledger benchmarks: a small LCG, so every run posts the same records. */
export function benchUsageRecords(n: number): UsageInput[] {
  let state = 20261123;
  const next = (bound: number) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % bound;
  };
  const monthStart = Date.parse('2026-11-01T00:00:00+08:00');
  return Array.from({ length: n }, (_, i) => {
    const pool = POOLS[next(POOLS.length)]!;
    const startedAt = new Date(monthStart + next(28 * 24 * 60) * 60_000);
    const seconds = 60 + next(36_000);
    return {
      id: `bench-${i}`,
      tenant: TENANTS[next(TENANTS.length)]!,
      poolId: pool.id,
      model: pool.model,
      cluster: pool.cluster,
      startedAt,
      endedAt: new Date(startedAt.getTime() + seconds * 1000),
      acceleratorSeconds: BigInt(seconds * (1 + next(8))),
    };
  });
}

/**
 * How many standing (not reversed) charges each usage record has: its own charge transactions (records a voucher or
 * programme drew on) and its lines in charge transactions of many records (migration 016). A record charged twice
 * shows 2.
 */
export async function standingCharges(db: Kysely<Database>): Promise<Map<string, number>> {
  const rows = await sql<{ id: string; n: string }>`select id, count(*)::text as n from (
      select t.usage_record_id as id from ledger_transactions t
      where t.purpose = 'charge' and t.usage_record_id is not null
        and not exists (select 1 from ledger_transactions v where v.reverses = t.id)
      union all
      select r.id from ledger_charge_lines l cross join lateral unnest(l.usage_seqs) as s(seq)
        join usage_records r on r.ledger_seq = s.seq
      where not exists (select 1 from ledger_transactions v where v.reverses = l.transaction_id
        and v.usage_record_id = r.id)
    ) c group by id`.execute(db);
  return new Map(rows.rows.map((r) => [r.id, Number(r.n)]));
}
