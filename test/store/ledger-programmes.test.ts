/** The ledger with the shipped programmes and the real evaluator: awards posted per funder, changes audited. */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { evaluateSubsidies } from '../../src/core/money/programmes/evaluate.ts';
import type { SubsidyProgramme } from '../../src/core/money/programmes/types.ts';
import { auditProgrammeChanges } from '../../src/money/ledger-programmes.ts';
import { loadShippedProgrammes } from '../../src/money/programme-files.ts';
import type { Store } from '../../src/store/index.ts';
import { funderAccount, tenantWallet } from '../../src/store/ledger/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { h100Run as run, insertUsage, seedLedgerFederation } from '../helpers/ledger-fixtures.ts';

describeEachDatabase('ledger with the shipped programmes', (database) => {
  let store: Store;
  beforeEach(async () => {
    store = await database.open();
    await seedLedgerFederation(store.db);
  });
  afterEach(async () => store.close());

  it('pays the Anhui 2.0 award at the office’s rate, ×1.2 for a northern-Anhui project, from the province', async () => {
    const programmes = (await loadShippedProgrammes()).filter(
      (p): p is SubsidyProgramme => p.kind === 'SubsidyProgramme',
    );
    // The office's decisions, as the API stores them (the latest per tenant is in force).
    const at = new Date('2026-11-01T00:00:00Z');
    await store.ledger.setAwardedRate({
      actor: 'office',
      at,
      programmeId: 'anhui-2025-compute',
      tenantId: 'acme',
      basisPoints: 1000,
    });
    for (const tenantId of ['acme', 'rival']) {
      await store.ledger.setAwardedRate({
        actor: 'office',
        at,
        programmeId: 'anhui-2025-compute',
        tenantId,
        basisPoints: 2000,
      });
    }
    const awardedRates = await store.ledger.awardedRates();
    expect(awardedRates).toHaveLength(2);
    // acme's project is tagged wanbei (皖北); rival's is not; campus has no rate decided by the office.
    await insertUsage(store.db, [run('u-acme', 'acme'), run('u-rival', 'rival'), run('u-campus', 'campus')]);
    await store.ledger.postPending({
      now: new Date('2026-11-30T00:00:00Z'),
      subsidies: { programmes, evaluate: evaluateSubsidies, options: { awardedRates } },
    });
    const balances = await store.ledger.cachedBalances();
    // 7200 fen charges; 24% = 1728 and 20% = 1440, rounded down.
    expect(balances.get(tenantWallet('acme'))).toBe(7200n - 1728n);
    expect(balances.get(tenantWallet('rival'))).toBe(7200n - 1440n);
    expect(balances.get(tenantWallet('campus'))).toBe(7200n);
    expect(balances.get(funderAccount('anhui-province'))).toBe(1728n + 1440n);
    const award = await store.db
      .selectFrom('ledger_transactions')
      .selectAll()
      .where('usage_record_id', '=', 'u-acme')
      .where('purpose', '=', 'subsidy')
      .executeTakeFirstOrThrow();
    expect(award).toMatchObject({ programme_id: 'anhui-2025-compute', programme_version: '2.0' });
    expect(award.detail).toMatchObject({ rate: '6/25', baseFen: '7200', paidFen: '1728' });
  });

  it('records a programme in the audit log when it first appears and when its terms change, not otherwise', async () => {
    const programmes = await loadShippedProgrammes();
    const at = new Date('2026-11-30T00:00:00Z');
    expect((await auditProgrammeChanges(store, programmes, at)).sort()).toEqual(
      programmes.map((p) => p.metadata.id).sort(),
    );
    expect(await auditProgrammeChanges(store, programmes, at)).toEqual([]);
    const changed = programmes.map((p) =>
      p.metadata.id === 'anhui-2025-compute' ? { ...p, metadata: { ...p.metadata, version: '2.1' } } : p,
    );
    expect(await auditProgrammeChanges(store, changed, at)).toEqual(['anhui-2025-compute']);
    const [last] = await store.audit.list({ objectType: 'programme', objectId: 'anhui-2025-compute', limit: 1 });
    expect(last).toMatchObject({ action: 'programme.change', before: { version: '2.0' }, after: { version: '2.1' } });
  });

  it('spends a voucher of a voucher programme only where the programme’s terms allow', async () => {
    const programmes = await loadShippedProgrammes();
    const voucherProgrammes = programmes.filter((p) => p.kind === 'VoucherProgramme');
    const at = new Date('2026-03-01T10:00:00+08:00');
    await store.ledger.fundPool({
      actor: 'office',
      at,
      programmeId: 'jiangsu-2026-compute-voucher',
      funder: 'jiangsu-locality',
      fen: 2_000_000n,
      reference: 'js',
    });
    for (const tenantId of ['acme', 'rival']) {
      await store.ledger.issueVoucher({
        actor: 'office',
        at,
        id: `js-${tenantId}`,
        kind: 'compute',
        tenantId,
        programmeId: 'jiangsu-2026-compute-voucher',
        funder: 'jiangsu-locality',
        faceFen: 1_000_000n,
        validFrom: at,
        validTo: new Date('2027-03-01T00:00:00+08:00'),
        providers: [],
        products: [],
        maxShareBasisPoints: 5000,
      });
    }
    await insertUsage(store.db, [run('u-acme', 'acme'), run('u-rival', 'rival')]);
    // acme's charge is posted under the programme's terms: an Anhui tenant at an Anhui provider is not eligible for
    // Jiangsu's vouchers. rival's is posted without them (as the ledger does for vouchers of no known programme).
    await store.ledger.postPending({
      now: new Date('2026-11-30T00:00:00Z'),
      limit: 1,
      maxBatches: 1,
      voucherProgrammes,
    });
    await store.ledger.postPending({ now: new Date('2026-11-30T00:00:00Z') });
    const left = new Map((await store.ledger.vouchers()).map((v) => [v.tenantId, v.remainingFen]));
    expect(left.get('acme')).toBe(1_000_000n);
    expect(left.get('rival')).toBe(1_000_000n - 3600n);
  });
});
