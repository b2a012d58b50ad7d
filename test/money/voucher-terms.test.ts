/** Issuing a voucher under a shipped voucher programme's terms (programmes/jiangsu-2026-compute-voucher.yaml). */
import { beforeAll, describe, expect, it } from 'vitest';
import type { VoucherProgramme } from '../../src/core/money/programmes/types.ts';
import { voucherTermsProblems } from '../../src/money/ledger-programmes.ts';
import { loadShippedProgrammes } from '../../src/money/programme-files.ts';

describe('voucher programme terms at issue', () => {
  let jiangsu: VoucherProgramme;
  beforeAll(async () => {
    const found = (await loadShippedProgrammes()).find((p) => p.metadata.id === 'jiangsu-2026-compute-voucher');
    if (found?.kind !== 'VoucherProgramme') throw new Error('the Jiangsu voucher programme is not shipped');
    jiangsu = found;
  });
  const issuedAt = new Date('2026-03-01T10:00:00+08:00');
  const good = {
    kind: 'compute',
    funder: 'jiangsu-locality',
    faceFen: 1_000_000n,
    // 365 days counting the issue day: the last day is 2027-02-28, usable until its end (CST).
    validTo: new Date('2027-03-01T00:00:00+08:00'),
    maxShareBasisPoints: 5000,
  };

  it('accepts a voucher on the programme’s terms', () => {
    expect(voucherTermsProblems(jiangsu, good, issuedAt, 0n)).toEqual([]);
  });

  it('names every term a voucher breaks', () => {
    const problems = voucherTermsProblems(
      jiangsu,
      {
        kind: 'model',
        funder: 'anhui-province',
        faceFen: 1_234_500n,
        validTo: new Date('2027-03-01T00:00:01+08:00'),
        maxShareBasisPoints: 8000,
      },
      new Date('2025-12-31T23:00:00+08:00'),
      0n,
    );
    expect(problems).toEqual([
      'funder anhui-province does not fund jiangsu-2026-compute-voucher (jiangsu-locality)',
      'jiangsu-2026-compute-voucher issues compute vouchers, not model',
      'face value ¥12,345.00 is not one of ¥10,000.00, ¥50,000.00, ¥100,000.00',
      'jiangsu-2026-compute-voucher is not in force on 2025-12-31',
      'a jiangsu-2026-compute-voucher voucher issued on 2025-12-31 is valid until 2026-12-30 at the latest',
      'it may pay at most 50% of a charge',
    ]);
  });

  it('keeps a tenant within its yearly limit', () => {
    expect(voucherTermsProblems(jiangsu, good, issuedAt, 49_000_000n)).toEqual([]);
    expect(voucherTermsProblems(jiangsu, good, issuedAt, 49_500_000n)).toEqual([
      'the tenant may be issued ¥5,000.00 more under jiangsu-2026-compute-voucher this year',
    ]);
  });
});
