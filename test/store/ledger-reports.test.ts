/**
 * The programme office's report over a quarter and a year: the ledger's own sums over the period, with a month-by-month
 * breakdown, pools as they stood at the period's end, and China Standard Time boundaries (a run ending at 00:30 on
 * 1 January in Hefei is the next year's, though it is still 31 December in UTC). Figures worked by hand below.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.ts';
import { reportPeriod } from '../../src/store/ledger/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { POOLS, insertUsage, seedLedgerFederation, testSubsidies } from '../helpers/ledger-fixtures.ts';

const NOW = new Date('2027-02-10T12:00:00+08:00');
const h100 = POOLS[0];

/** Two H100s for `hours` from `start`: ¥18.00/h until 15 November 2026, ¥16.50/h after. */
const run = (id: string, tenant: string, start: string, hours: number) => ({
  id,
  tenant,
  poolId: h100.id,
  model: h100.model,
  cluster: h100.cluster,
  startedAt: new Date(start),
  endedAt: new Date(new Date(start).getTime() + hours * 3_600_000),
  acceleratorSeconds: BigInt(hours * 3600 * 2),
});

const flow = (spendFen: bigint, subsidyFen: bigint) => ({ spendFen, voucherFen: 0n, subsidyFen });

describeEachDatabase('ledger reports over a quarter and a year', (database) => {
  let store: Store;
  beforeEach(async () => {
    store = await database.open();
    await seedLedgerFederation(store.db);
    for (const funder of ['province', 'hefei'])
      await store.ledger.fundPool({
        actor: 'office',
        at: new Date('2026-09-01T00:00:00+08:00'),
        programmeId: 'test-compute',
        funder,
        fen: 100_000n,
        reference: funder,
      });
    // Each charge earns 20%, 60% of it from the province's pool and 40% from Hefei's:
    //   q3:  7200 s × 1800/3600 = 3600 fen (30 Sep), subsidy 720 = 432 + 288  — Q3, in 2026
    //   nov: 14400 s × 1800/3600 = 7200 fen (2 Nov), subsidy 1440 = 864 + 576 — Q4
    //   dec: 7200 s × 1650/3600 = 3300 fen (ends 23:00 31 Dec CST), 660 = 396 + 264 — Q4
    //   jan: 7200 s × 1650/3600 = 3300 fen (ends 00:30 1 Jan 2027 CST = 16:30Z 31 Dec), 660 = 396 + 264 — 2027
    await insertUsage(store.db, [
      run('q3', 'acme', '2026-09-30T22:00:00+08:00', 1),
      run('nov', 'acme', '2026-11-02T08:00:00+08:00', 2),
      run('dec', 'rival', '2026-12-31T22:00:00+08:00', 1),
      run('jan', 'campus', '2026-12-31T23:30:00+08:00', 1),
    ]);
    const posted = await store.ledger.postPending({ now: NOW, subsidies: testSubsidies({ respectPools: false }) });
    expect(posted.posted).toBe(4);
  });
  afterEach(async () => store.close());

  it('sums a quarter exactly, month by month, with the pools as they stood at its end', async () => {
    const report = await store.ledger.report(reportPeriod('quarter', '2026-Q4'), NOW);
    expect(report).toMatchObject({
      period: '2026-Q4',
      kind: 'quarter',
      from: new Date('2026-09-30T16:00:00Z'),
      to: new Date('2026-12-31T16:00:00Z'),
      total: flow(10_500n, 2_100n),
      poolsAt: 'period-end',
      poolsAsOf: new Date('2026-12-31T16:00:00Z'),
    });
    expect(report.byMonth).toEqual([
      { month: '2026-10', ...flow(0n, 0n) },
      { month: '2026-11', ...flow(7_200n, 1_440n) },
      { month: '2026-12', ...flow(3_300n, 660n) },
    ]);
    expect(report.subsidyByProgrammeAndFunder).toEqual([
      { programmeId: 'test-compute', funder: 'hefei', fen: 840n },
      { programmeId: 'test-compute', funder: 'province', fen: 1_260n },
    ]);
    // 100000 less Q3's, November's and December's shares; January's is not yet spent at the quarter's end.
    expect(report.poolsRemaining).toEqual([
      { programmeId: 'test-compute', funder: 'hefei', fen: 100_000n - 288n - 576n - 264n },
      { programmeId: 'test-compute', funder: 'province', fen: 100_000n - 432n - 864n - 396n },
    ]);
    expect(report.topTenants.map((t) => [t.tenantId, t.spendFen])).toEqual([
      ['acme', 7_200n],
      ['rival', 3_300n],
    ]);
    expect(report.byTenantCategory.map((c) => c.category)).toEqual(['enterprise', 'startup']);
    expect(report.byKind[0]).toEqual({ kind: 'compute', ...flow(10_500n, 2_100n) });
  });

  it('sums a year, every month listed, and leaves the next year’s first charge out', async () => {
    const report = await store.ledger.report(reportPeriod('year', '2026'), NOW);
    expect(report.total).toEqual(flow(14_100n, 2_820n));
    expect(report.byMonth.map((m) => m.month)).toEqual([
      '2026-01',
      '2026-02',
      '2026-03',
      '2026-04',
      '2026-05',
      '2026-06',
      '2026-07',
      '2026-08',
      '2026-09',
      '2026-10',
      '2026-11',
      '2026-12',
    ]);
    expect(report.byMonth.filter((m) => m.spendFen !== 0n)).toEqual([
      { month: '2026-09', ...flow(3_600n, 720n) },
      { month: '2026-11', ...flow(7_200n, 1_440n) },
      { month: '2026-12', ...flow(3_300n, 660n) },
    ]);
    // The months add up to the year: the breakdown is the same sums, split.
    expect(report.byMonth.reduce((s, m) => s + m.spendFen, 0n)).toBe(report.total.spendFen);
    expect(report.poolsAt).toBe('period-end');
    expect(report.topTenants.map((t) => t.tenantId)).toEqual(['acme', 'rival']);
  });

  it('takes the current period to now: months begun so far, pools as they stand', async () => {
    const report = await store.ledger.report(reportPeriod('year', '2027'), NOW);
    expect(report.total).toEqual(flow(3_300n, 660n));
    expect(report.byMonth).toEqual([
      { month: '2027-01', ...flow(3_300n, 660n) },
      { month: '2027-02', ...flow(0n, 0n) },
    ]);
    expect(report).toMatchObject({ poolsAt: 'now', poolsAsOf: NOW });
    expect(report.poolsRemaining).toContainEqual({
      programmeId: 'test-compute',
      funder: 'province',
      fen: 100_000n - 432n - 864n - 396n - 396n,
    });
    expect(report.topTenants).toEqual([{ tenantId: 'campus', category: 'university', ...flow(3_300n, 660n) }]);
  });

  it('keeps the monthly report as it was, with the month named', async () => {
    const report = await store.ledger.monthlyReport('2026-12', NOW);
    expect(report).toMatchObject({ month: '2026-12', period: '2026-12', kind: 'month', total: flow(3_300n, 660n) });
    expect(report.byMonth).toEqual([{ month: '2026-12', ...flow(3_300n, 660n) }]);
  });
});
