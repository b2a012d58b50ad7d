/**
 * The shipped Anhui programmes (programmes/anhui-2023-compute.yaml = 1.0, anhui-2025-compute.yaml = 2.0), with the
 * figures of issue 5's "Done when" worked by hand. Both are ceilings of 20% ("不超过算力总支出20%"); the office
 * awards each tenant its rate (AwardedRate), here the full 20% unless a test says otherwise.
 */
import { describe, expect, it } from 'vitest';
import { formatYuan, parseYuan } from '../../../../src/core/money/amount.ts';
import { evaluateSubsidies, ProgrammeEvaluationError } from '../../../../src/core/money/programmes/evaluate.ts';
import type { AwardedRate, SubsidyProgramme } from '../../../../src/core/money/programmes/types.ts';
import { MemoryLedgerView, shippedSubsidies, spend } from './helpers.ts';

const programmes: SubsidyProgramme[] = shippedSubsidies();
const TENANT = 'hefei-zhineng';
const full: AwardedRate[] = [
  { programmeId: 'anhui-2025-compute', tenantId: TENANT, basisPoints: 2000n },
  { programmeId: 'anhui-2023-compute', tenantId: TENANT, basisPoints: 2000n },
];
const view = (): MemoryLedgerView => new MemoryLedgerView();
const yuan = (fen: bigint): string => formatYuan(fen);

describe('Anhui 2.0 (anhui-2025-compute), hand-worked', () => {
  it('a Hefei company with ¥1,000,000.00 of metered spend in 2026 gets ¥200,000.00', () => {
    // 100,000,000 fen × 2000/10000 = 20,000,000 fen = ¥200,000.00, exactly (no rounding). 1.0 was repealed on
    // 2025-08-11, so only 2.0 pays.
    const result = evaluateSubsidies(programmes, spend(), view(), { awardedRates: full });
    expect(result.awards).toHaveLength(1);
    const [award] = result.awards;
    expect(award).toMatchObject({
      programmeId: 'anhui-2025-compute',
      programmeVersion: '2.0',
      ruleId: 'compute-use',
      eventId: 'usage-1',
      tenantId: TENANT,
      payee: 'tenant',
      baseFen: parseYuan('¥1,000,000.00'),
      rate: { numerator: 1n, denominator: 5n },
      amountFen: parseYuan('¥200,000.00'),
      byFunder: [{ funder: 'anhui-province', amountFen: 20_000_000n }],
      settlement: 'immediate',
    });
    expect(award?.cappedBy).toBeUndefined();
    expect(award?.explanation).toContain('¥1,000,000.00 × 20% = ¥200,000.00 (rounded down)');
    expect(result.notAwarded).toEqual([
      {
        programmeId: 'anhui-2023-compute',
        programmeVersion: '1.0',
        eventId: 'usage-1',
        reasons: ['repealed by anhui-2025-compute from 2025-08-11'],
      },
    ]);
  });

  it('the same spend on a northern-Anhui (wanbei) project gets ¥240,000.00: the uplift multiplies the rate', () => {
    // 20% × 1.2 = 24% (2400/10000 = 6/25); 100,000,000 × 6 / 25 = 24,000,000 fen = ¥240,000.00.
    const result = evaluateSubsidies(
      programmes,
      spend({ project: { id: 'suzhou-llm', regions: ['anhui', 'wanbei'] } }),
      view(),
      {
        awardedRates: full,
      },
    );
    expect(result.awards.map((a) => [a.programmeId, yuan(a.amountFen), a.rate])).toEqual([
      ['anhui-2025-compute', '¥240,000.00', { numerator: 6n, denominator: 25n }],
    ]);
    expect(result.awards[0]?.explanation).toContain('× 1.2 (wanbei-uplift) → 24%');
  });

  it('a tenant using a computing centre its own organisation owns gets ¥0, and is told why', () => {
    const result = evaluateSubsidies(
      programmes,
      spend({ provider: { ownerOrganisation: 'hefei-zhineng-co' } }),
      view(),
      {
        awardedRates: full,
      },
    );
    expect(result.awards).toEqual([]);
    const reasons = result.notAwarded.find((n) => n.programmeId === 'anhui-2025-compute')?.reasons ?? [];
    expect(reasons).toEqual([
      'self-built, self-used compute (自建自用): tenant organisation hefei-zhineng-co owns provider wuhu-1',
    ]);
  });

  it('pays nothing before the office awards a rate, and refuses a rate above the 20% ceiling', () => {
    const none = evaluateSubsidies(programmes, spend(), view());
    expect(none.awards).toEqual([]);
    expect(none.notAwarded.find((n) => n.programmeId === 'anhui-2025-compute')?.reasons).toEqual([
      'the office has not awarded tenant hefei-zhineng a rate under anhui-2025-compute (at most 20%)',
    ]);
    const tooHigh = [{ programmeId: 'anhui-2025-compute', tenantId: TENANT, basisPoints: 2001n }];
    expect(() => evaluateSubsidies(programmes, spend(), view(), { awardedRates: tooHigh })).toThrow(
      ProgrammeEvaluationError,
    );
  });

  it('an office rate below the ceiling is used as awarded, rounded down', () => {
    // 12.5% of ¥12,345.67 = 1,234,567 × 1250 / 10000 = 154,320.875 fen → down → 154,320 fen = ¥1,543.20.
    const rates = [{ programmeId: 'anhui-2025-compute', tenantId: TENANT, basisPoints: 1250n }];
    const result = evaluateSubsidies(programmes, spend({ meteredFen: 1_234_567n }), view(), { awardedRates: rates });
    expect(result.awards.map((a) => a.amountFen)).toEqual([154_320n]);
  });

  it('covers compute only: a model-service charge earns nothing', () => {
    const result = evaluateSubsidies(programmes, spend({ kind: 'model' }), view(), { awardedRates: full });
    expect(result.awards).toEqual([]);
    expect(result.notAwarded.find((n) => n.programmeId === 'anhui-2025-compute')?.reasons).toEqual([
      'rule compute-use: the charge is for model, not compute',
    ]);
  });

  it('reads dates in Beijing time: 2025-08-10T16:30Z is 00:30 on 11 August, under 2.0; 15:59Z is still 1.0', () => {
    const after = evaluateSubsidies(programmes, spend({ at: new Date('2025-08-10T16:30:00Z') }), view(), {
      awardedRates: full,
    });
    expect(after.awards.map((a) => a.programmeId)).toEqual(['anhui-2025-compute']);
    const before = evaluateSubsidies(programmes, spend({ at: new Date('2025-08-10T15:59:00Z') }), view(), {
      awardedRates: full,
    });
    expect(before.awards.map((a) => a.programmeId)).toEqual(['anhui-2023-compute']);
  });

  it('2.0 drops 1.0\'s "在皖": a user registered outside Anhui qualifies under 2.0, not under 1.0', () => {
    const shanghai = { tenant: { regions: ['shanghai'] } };
    const in2026 = evaluateSubsidies(programmes, spend(shanghai), view(), { awardedRates: full });
    expect(in2026.awards.map((a) => [a.programmeId, yuan(a.amountFen)])).toEqual([
      ['anhui-2025-compute', '¥200,000.00'],
    ]);
    const in2024 = evaluateSubsidies(programmes, spend({ ...shanghai, at: new Date('2024-06-01T04:00:00Z') }), view(), {
      awardedRates: full,
    });
    expect(in2024.awards).toEqual([]);
    expect(in2024.notAwarded.find((n) => n.programmeId === 'anhui-2023-compute')?.reasons).toEqual([
      'tenant is registered in [shanghai], none of anhui',
    ]);
  });
});

describe('a commitment under 1.0 paid in instalments keeps 1.0 terms after 2.0 takes effect', () => {
  // The office signed application app-2025-017 under 1.0 on 2025-05-20 and awarded it 15% (under the 20% ceiling);
  // under 2.0 it awards this tenant the full 20%. "对已享受政策并分期执行的,按原政策规定实施".
  const commitment = { id: 'app-2025-017', signedAt: new Date('2025-05-20T02:00:00Z') };
  const rates: AwardedRate[] = [
    { programmeId: 'anhui-2023-compute', tenantId: TENANT, commitmentId: 'app-2025-017', basisPoints: 1500n },
    { programmeId: 'anhui-2025-compute', tenantId: TENANT, basisPoints: 2000n },
  ];

  it("an instalment in 2026 (after 1.0 was repealed and expired) is paid by 1.0: ¥150,000.00, not 2.0's ¥200,000.00", () => {
    // 1.0: 100,000,000 × 1500/10000 = 15,000,000 fen = ¥150,000.00. 2.0 would pay 20,000,000 fen = ¥200,000.00,
    // but the commitment is 1.0's, so 2.0 pays nothing for it.
    const instalment = spend({ id: 'usage-2026-02', at: new Date('2026-02-10T04:00:00Z'), commitment });
    const result = evaluateSubsidies(programmes, instalment, view(), { awardedRates: rates });
    expect(result.awards.map((a) => [a.programmeId, a.programmeVersion, yuan(a.amountFen)])).toEqual([
      ['anhui-2023-compute', '1.0', '¥150,000.00'],
    ]);
    expect(result.awards[0]?.explanation[0]).toBe(
      'commitment app-2025-017 signed 2025-05-20 under anhui-2023-compute keeps its terms ' +
        '(anhui-2025-compute repeals anhui-2023-compute from 2025-08-11)',
    );
    expect(result.notAwarded.map((n) => [n.programmeId, n.reasons])).toEqual([
      [
        'anhui-2025-compute',
        ['commitment app-2025-017 was signed 2025-05-20 under anhui-2023-compute, which keeps it on its terms'],
      ],
    ]);

    // The same spend on the same day without the commitment: 2.0, ¥200,000.00. The two versions' figures differ.
    const uncommitted = evaluateSubsidies(programmes, spend({ id: 'usage-2026-02b', at: instalment.at }), view(), {
      awardedRates: rates,
    });
    expect(uncommitted.awards.map((a) => [a.programmeId, yuan(a.amountFen)])).toEqual([
      ['anhui-2025-compute', '¥200,000.00'],
    ]);
  });

  it('1.0 keeps its own eligibility for the commitment: its 在皖 rule still applies', () => {
    // Registered outside Anhui: 1.0 pays nothing for the commitment, and 2.0 does not step in for it.
    const result = evaluateSubsidies(
      programmes,
      spend({ at: new Date('2026-02-10T04:00:00Z'), commitment, tenant: { regions: ['shanghai'] } }),
      view(),
      { awardedRates: rates },
    );
    expect(result.awards).toEqual([]);
    expect(result.notAwarded.map((n) => [n.programmeId, n.reasons])).toEqual([
      ['anhui-2023-compute', ['tenant is registered in [shanghai], none of anhui']],
      [
        'anhui-2025-compute',
        ['commitment app-2025-017 was signed 2025-05-20 under anhui-2023-compute, which keeps it on its terms'],
      ],
    ]);
  });

  it("a commitment signed after the repeal is 2.0's", () => {
    const late = { id: 'app-2025-301', signedAt: new Date('2025-09-01T02:00:00Z') };
    const result = evaluateSubsidies(programmes, spend({ commitment: late }), view(), { awardedRates: rates });
    expect(result.awards.map((a) => [a.programmeId, yuan(a.amountFen)])).toEqual([
      ['anhui-2025-compute', '¥200,000.00'],
    ]);
  });
});
