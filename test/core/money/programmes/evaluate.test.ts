/**
 * The evaluator's constructs on programmes written for the test, each figure worked by hand: rule order, fixed and
 * tiered rates, caps at three levels and pools (the tightest wins), minimums, cost sharing between funders, payee,
 * affiliated parties, bases, natural years in Beijing time, and non-stacking groups.
 */
import { describe, expect, it } from 'vitest';
import { evaluateSubsidies } from '../../../../src/core/money/programmes/evaluate.ts';
import { MemoryLedgerView, spend, subsidy } from './helpers.ts';

/**
 * A city programme shared 1:1 by province and city: 30% of what was paid for domestic compute, otherwise tiers
 * (start-ups 10%, providers in wanbei 5%) that add up to at most 12%. Caps ¥50,000 per charge, ¥120,000 per tenant
 * per year, ¥1,000,000 in all; no award under ¥1.00; pools first come, first served; paid to the provider.
 */
const CITY = `
apiVersion: suanli.io/v1
kind: SubsidyProgramme
metadata: { id: hefei-compute, version: '1', series: hefei-compute, title: Hefei compute, sources: [test] }
spec:
  validFrom: 2026-01-01
  validTo: 2027-12-31
  payee: provider
  rounding: half-up
  funders:
    - { funder: anhui-province, share: 50% }
    - { funder: hefei-city, share: 50% }
  budget: { exhaustion: first-come-first-served }
  caps:
    perTransaction: '¥50,000.00'
    perTenantPerYear: '¥120,000.00'
    programmeTotal: '¥1,000,000.00'
  minimumAward: '¥1.00'
  eligibility:
    tenantCategories: [startup, university]
    tenantVerified: true
    excludeAffiliated: true
  rules:
    - id: domestic
      base: paid
      appliesTo: { kinds: [compute], domestic: true }
      rate: { fixed: 30% }
    - id: tiered
      base: paid
      appliesTo: { kinds: [compute] }
      rate:
        tiers:
          - { id: startup, when: { tenantCategories: [startup] }, rate: 10% }
          - { id: wanbei-provider, when: { providerRegions: [wanbei] }, rate: 5% }
        combine: sum-up-to-ceiling
        ceiling: 12%
`;
const city = subsidy(CITY);
const funded = (): MemoryLedgerView =>
  new MemoryLedgerView()
    .fund('hefei-compute', 'anhui-province', 10_000_000_00n)
    .fund('hefei-compute', 'hefei-city', 10_000_000_00n);
const startup = { tenant: { category: 'startup' as const, id: 'qiming-ai', organisation: 'qiming-co' } };
const domestic = { ...startup, domestic: true, acceleratorModel: 'Ascend-910B' };

describe('rates, rules and funders', () => {
  it('splits each award between funders exactly: 1:1 of an odd fen gives the first funder the extra fen', () => {
    // paid ¥10,000.03 = 1,000,003 fen × 30% = 300,000.9 fen → half-up 300,001 fen; 1:1 → 150,001 + 150,000.
    const r = evaluateSubsidies([city], spend({ ...domestic, paidFen: 1_000_003n, meteredFen: 1_000_003n }), funded());
    expect(r.awards).toHaveLength(1);
    expect(r.awards[0]).toMatchObject({
      ruleId: 'domestic',
      payee: 'provider',
      amountFen: 300_001n,
      byFunder: [
        { funder: 'anhui-province', amountFen: 150_001n },
        { funder: 'hefei-city', amountFen: 150_000n },
      ],
    });
  });

  it('takes the paid amount as base when the rule says so (a voucher paid part of the charge)', () => {
    // metered ¥100,000.00 but paid ¥40,000.00 → 30% of 4,000,000 = 1,200,000 fen = ¥12,000.00.
    const r = evaluateSubsidies([city], spend({ ...domestic, meteredFen: 10_000_000n, paidFen: 4_000_000n }), funded());
    expect(r.awards.map((a) => [a.baseFen, a.amountFen])).toEqual([[4_000_000n, 1_200_000n]]);
  });

  it('tries rules in order: an imported chip falls through to the tiers, which add up to the 12% ceiling', () => {
    // startup 10% + wanbei-provider 5% = 15%, held to 12%: ¥100,000.00 × 12% = ¥12,000.00.
    const r = evaluateSubsidies(
      [city],
      spend({ ...startup, meteredFen: 10_000_000n, paidFen: 10_000_000n, provider: { regions: ['anhui', 'wanbei'] } }),
      funded(),
    );
    expect(r.awards.map((a) => [a.ruleId, a.amountFen])).toEqual([['tiered', 1_200_000n]]);
    expect(r.awards[0]?.explanation).toContain('rate: startup 10% + wanbei-provider 5% = 15%, held to the ceiling 12%');
    // Without the wanbei provider: 10% only → ¥10,000.00.
    const plain = evaluateSubsidies(
      [city],
      spend({ ...startup, meteredFen: 10_000_000n, paidFen: 10_000_000n }),
      funded(),
    );
    expect(plain.awards.map((a) => a.amountFen)).toEqual([1_000_000n]);
  });

  it('"highest" tiers pay the best single tier', () => {
    const highest = subsidy(
      CITY.replace('combine: sum-up-to-ceiling', 'combine: highest').replace('        ceiling: 12%\n', ''),
    );
    const r = evaluateSubsidies(
      [highest],
      spend({ ...startup, meteredFen: 10_000_000n, paidFen: 10_000_000n, provider: { regions: ['wanbei'] } }),
      funded(),
    );
    // max(10%, 5%) = 10% of ¥100,000.00 = ¥10,000.00.
    expect(r.awards.map((a) => a.amountFen)).toEqual([1_000_000n]);
  });

  it('says why nothing is paid: category, verification, affiliated provider, no tier', () => {
    const r = evaluateSubsidies(
      [city],
      spend({
        tenant: { category: 'enterprise', verified: false },
        affiliations: ['wuhu-compute-co'],
      }),
      funded(),
    );
    expect(r.awards).toEqual([]);
    expect(r.notAwarded[0]?.reasons).toEqual([
      'tenant category enterprise is not among startup, university',
      'tenant is not verified',
      'provider wuhu-1 is owned by wuhu-compute-co, an organisation affiliated with the tenant',
    ]);
    const university = evaluateSubsidies([city], spend({ tenant: { category: 'university' } }), funded());
    expect(university.notAwarded[0]?.reasons).toEqual(['no rate tier of hefei-compute applies to this charge']);
  });

  it('does not pay below the minimum award', () => {
    // 117 fen × 30% = 35.1 → 35 fen < ¥1.00.
    const r = evaluateSubsidies([city], spend({ ...domestic, paidFen: 117n }), funded());
    expect(r.awards).toEqual([]);
    expect(r.notAwarded[0]?.reasons).toEqual(['the award ¥0.35 is below the minimum award ¥1.00']);
  });

  it('refuses a negative base (a refund reverses the award instead) and a missing contract amount', () => {
    const r = evaluateSubsidies([city], spend({ ...domestic, paidFen: -500n }), funded());
    expect(r.notAwarded[0]?.reasons).toEqual(['the amount paid is negative (-¥5.00): reverse the original award']);
    const contract = subsidy(CITY.replace(/base: paid/g, 'base: contract'));
    expect(evaluateSubsidies([contract], spend(domestic), funded()).notAwarded[0]?.reasons).toEqual([
      'rule domestic is paid on the contract amount, and the charge has none',
    ]);
    // With a contract amount of ¥1,000.00: 30% = ¥300.00.
    expect(
      evaluateSubsidies([contract], spend({ ...domestic, contractFen: 100_000n }), funded()).awards[0]?.amountFen,
    ).toBe(30_000n);
  });
});

describe('caps: the tightest wins, in order per transaction, tenant-year, programme total, pools', () => {
  it('caps one charge at ¥50,000.00', () => {
    // ¥1,000,000.00 × 30% = ¥300,000.00 → ¥50,000.00.
    const r = evaluateSubsidies([city], spend(domestic), funded());
    expect(r.awards.map((a) => [a.amountFen, a.cappedBy])).toEqual([[5_000_000n, 'per-transaction']]);
  });

  it("leaves a tenant only what is left of its year's cap, by Beijing-time natural year", () => {
    const v = funded();
    // Two ¥50,000 awards in 2026 → ¥100,000 of ¥120,000 used.
    for (const id of ['u1', 'u2']) {
      const e = spend({ ...domestic, id });
      const [award] = evaluateSubsidies([city], e, v).awards;
      if (award) v.record(award, e.at);
    }
    const third = evaluateSubsidies([city], spend({ ...domestic, id: 'u3' }), v);
    expect(third.awards.map((a) => [a.amountFen, a.cappedBy])).toEqual([[2_000_000n, 'per-tenant-per-year']]);
    const [award] = third.awards;
    if (award) v.record(award, new Date('2026-03-02T04:00:00Z'));
    const fourth = evaluateSubsidies([city], spend({ ...domestic, id: 'u4' }), v);
    expect(fourth.awards).toEqual([]);
    expect(fourth.notAwarded[0]?.reasons).toEqual([
      'nothing left under the per-tenant cap ¥120,000.00 for 2026, ¥120,000.00 already awarded',
    ]);
    // 2026-12-31T16:00Z is 00:00 on 1 January 2027 in Beijing: a new year, a new cap.
    const newYear = evaluateSubsidies(
      [city],
      spend({ ...domestic, id: 'u5', at: new Date('2026-12-31T16:00:00Z') }),
      v,
    );
    expect(newYear.awards.map((a) => a.amountFen)).toEqual([5_000_000n]);
  });

  it("stops at the programme's cumulative total", () => {
    const v = funded();
    // 19 tenants × ¥50,000 = ¥950,000 → ¥50,000 left; then ¥30,000 more → ¥20,000 left.
    for (let i = 0; i < 19; i++) {
      const e = spend({ ...domestic, id: `t${i}`, tenant: { ...domestic.tenant, id: `tenant-${i}` } });
      const [a] = evaluateSubsidies([city], e, v).awards;
      if (a) v.record(a, e.at);
    }
    const small = spend({ ...domestic, id: 'small', paidFen: 10_000_000n, tenant: { ...domestic.tenant, id: 'x' } });
    const [a] = evaluateSubsidies([city], small, v).awards;
    expect(a?.amountFen).toBe(3_000_000n);
    if (a) v.record(a, small.at);
    const last = evaluateSubsidies(
      [city],
      spend({ ...domestic, id: 'last', tenant: { ...domestic.tenant, id: 'y' } }),
      v,
    );
    expect(last.awards.map((x) => [x.amountFen, x.cappedBy])).toEqual([[2_000_000n, 'programme-total']]);
  });

  it('first come, first served: an award is cut to what the scarcer pool can still pay, and both pools stay ≥ 0', () => {
    // Province has ¥30.00 left, city plenty: at 50% the province can fund an award of at most 3000 × 2 = 6000 fen.
    const v = new MemoryLedgerView()
      .fund('hefei-compute', 'anhui-province', 3_000n)
      .fund('hefei-compute', 'hefei-city', 1_000_000n);
    const r = evaluateSubsidies([city], spend(domestic), v);
    expect(r.awards.map((a) => [a.amountFen, a.cappedBy, a.byFunder.map((f) => f.amountFen)])).toEqual([
      [6_000n, 'budget-pool', [3_000n, 3_000n]],
    ]);
    const [award] = r.awards;
    if (award) v.record(award, new Date('2026-03-02T04:00:00Z'));
    expect(v.poolRemaining('hefei-compute', 'anhui-province')).toBe(0n);
    const dry = evaluateSubsidies([city], spend({ ...domestic, id: 'u2' }), v);
    expect(dry.notAwarded[0]?.reasons).toEqual([
      'nothing left under the budget pools (first come, first served): anhui-province ¥0.00, hefei-city ¥9,970.00 left',
    ]);
  });

  it('pro rata at close: awards are claims, not limited by the pool at the time', () => {
    const prorata = subsidy(CITY.replace('first-come-first-served', 'pro-rata-at-close'));
    const r = evaluateSubsidies([prorata], spend(domestic), new MemoryLedgerView());
    expect(r.awards.map((a) => [a.amountFen, a.settlement])).toEqual([[5_000_000n, 'claim']]);
  });
});

describe('non-stacking groups', () => {
  const flat = (id: string, rate: string, extra = ''): string => `
apiVersion: suanli.io/v1
kind: SubsidyProgramme
metadata: { id: ${id}, version: '1', series: ${id}, title: ${id}, sources: [test] }
spec:
  validFrom: 2026-01-01
  payee: tenant
  rounding: down
  funders: [{ funder: ${id}-funder, share: 100% }]
  stacking: { group: compute-use, resolve: larger-award${extra} }
  rules:
    - { id: all, base: metered, rate: { fixed: ${rate} } }
`;

  it('pays only the larger award of a group; other programmes stack', () => {
    const province = subsidy(flat('province', '20%'));
    const city2 = subsidy(flat('city', '25%'));
    const standalone = subsidy(flat('green', '1%').replace(/ {2}stacking: .*\n/, ''));
    const r = evaluateSubsidies([standalone, province, city2], spend(), new MemoryLedgerView());
    expect(r.awards.map((a) => [a.programmeId, a.amountFen])).toEqual([
      ['city', 25_000_000n],
      ['green', 1_000_000n],
    ]);
    expect(r.notAwarded).toEqual([
      {
        programmeId: 'province',
        programmeVersion: '1',
        eventId: 'usage-1',
        reasons: [
          'does not stack with city (group compute-use): city pays the larger award ¥250,000.00, not ¥200,000.00',
        ],
      },
    ]);
  });

  it('under "precedence" the declared order wins even over a larger award', () => {
    const province = subsidy(flat('province', '20%', ', precedence: 2').replace('larger-award', 'precedence'));
    const city2 = subsidy(flat('city', '25%', ', precedence: 1').replace('larger-award', 'precedence'));
    const r = evaluateSubsidies([city2, province], spend(), new MemoryLedgerView());
    expect(r.awards.map((a) => [a.programmeId, a.amountFen])).toEqual([['province', 20_000_000n]]);
    expect(r.notAwarded[0]?.reasons).toEqual([
      'does not stack with province (group compute-use): province takes precedence',
    ]);
  });

  it('gives the same result whatever order the programmes come in', () => {
    const ps = [subsidy(flat('a', '10%')), subsidy(flat('b', '10%')), subsidy(flat('c', '5%'))];
    const one = evaluateSubsidies(ps, spend(), new MemoryLedgerView());
    const other = evaluateSubsidies([...ps].reverse(), spend(), new MemoryLedgerView());
    expect(other).toEqual(one);
    // A tie on amount (and precedence) goes to the smaller id.
    expect(one.awards.map((a) => a.programmeId)).toEqual(['a']);
  });
});
