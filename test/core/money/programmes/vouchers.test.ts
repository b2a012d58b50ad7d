/** The Jiangsu locality compute voucher (programmes/jiangsu-2026-compute-voucher.yaml) and the pure calendar. */
import { describe, expect, it } from 'vitest';
import { addDays, chinaCivilDate, isCivilDate } from '../../../../src/core/money/programmes/calendar.ts';
import { issuableFaceValue, voucherCoverage, voucherLastDay } from '../../../../src/core/money/programmes/vouchers.ts';
import { shippedVoucher, spend } from './helpers.ts';

const voucher = shippedVoucher();
/** A verified Suzhou (Jiangsu) start-up at a Jiangsu provider, ¥30,000.00 of compute on 2026-03-02. */
const jiangsu = ({ tenant, provider, ...rest }: Parameters<typeof spend>[0] = {}) =>
  spend({
    meteredFen: 3_000_000n,
    paidFen: 3_000_000n,
    tenant: {
      id: 'gusu-ai',
      category: 'startup',
      regions: ['jiangsu'],
      organisation: 'gusu-co',
      city: 'Suzhou',
      ...tenant,
    },
    provider: { id: 'sip-1', city: 'Suzhou', regions: ['jiangsu'], ownerOrganisation: 'sip-compute', ...provider },
    ...rest,
  });
const fresh = { balanceFen: 5_000_000n, issuedOn: '2026-01-10' };

describe('compute voucher (算力券)', () => {
  it('shows the programme as loaded: face values, 365 days, at most 50% of a charge, paid to the provider', () => {
    expect(voucher.faceValuesFen).toEqual([1_000_000n, 5_000_000n, 10_000_000n]);
    expect(voucher).toMatchObject({ validityDays: 365, maxShareOfChargeBasisPoints: 5000n, payee: 'provider' });
  });

  it('pays at most half of a charge: ¥30,000.00 → ¥15,000.00 from a ¥50,000.00 voucher', () => {
    expect(voucherCoverage(voucher, jiangsu(), fresh)).toEqual({
      amountFen: 1_500_000n,
      byFunder: [{ funder: 'jiangsu-locality', amountFen: 1_500_000n }],
      reasons: ['pays 50% of ¥30,000.00'],
    });
  });

  it('pays no more than its balance, and rounds its share down', () => {
    expect(voucherCoverage(voucher, jiangsu(), { ...fresh, balanceFen: 800_000n }).amountFen).toBe(800_000n);
    // 3 fen × 50% = 1.5 fen → down → 1 fen.
    expect(voucherCoverage(voucher, jiangsu({ meteredFen: 3n }), fresh).amountFen).toBe(1n);
  });

  it('lasts 365 days counting the issue day, in Beijing time', () => {
    expect(voucherLastDay(voucher, '2026-01-10')).toBe('2027-01-09');
    // 2027-01-09T15:59Z is 23:59 on the last day; 16:00Z is already 10 January.
    expect(voucherCoverage(voucher, jiangsu({ at: new Date('2027-01-09T15:59:00Z') }), fresh).amountFen).toBe(
      1_500_000n,
    );
    expect(voucherCoverage(voucher, jiangsu({ at: new Date('2027-01-09T16:00:00Z') }), fresh)).toEqual({
      amountFen: 0n,
      byFunder: [],
      reasons: ['the voucher is valid 2026-01-10..2027-01-09, the charge is on 2027-01-10'],
    });
  });

  it('says why it pays nothing: product, provider region, tenant, self-built compute, spent voucher', () => {
    const r = voucherCoverage(
      voucher,
      jiangsu({
        kind: 'model',
        provider: { regions: ['anhui'], ownerOrganisation: 'gusu-co' },
        tenant: { verified: false },
      }),
      { ...fresh, balanceFen: 0n },
    );
    expect(r.amountFen).toBe(0n);
    expect(r.reasons).toEqual([
      'a jiangsu-2026-compute-voucher voucher pays for compute, not model',
      'tenant is not verified',
      'self-built, self-used compute (自建自用): tenant organisation gusu-co owns provider sip-1',
      'provider regions [anhui] include none of jiangsu',
      'the voucher is spent',
    ]);
  });

  it('limits what may still be issued to a tenant in a year', () => {
    expect(issuableFaceValue(voucher, 45_000_000n)).toBe(5_000_000n);
    expect(issuableFaceValue(voucher, 60_000_000n)).toBe(0n);
  });
});

describe('the calendar (China Standard Time)', () => {
  it('knows real dates, leap years included', () => {
    expect(['2024-02-29', '2026-12-31', '2000-02-29'].map(isCivilDate)).toEqual([true, true, true]);
    expect(['2025-02-29', '1900-02-29', '2026-13-01', '2026-04-31', '26-01-01'].map(isCivilDate)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('reads instants at UTC+8 and adds days across months and years', () => {
    expect(chinaCivilDate(new Date('2025-12-31T15:59:59Z'))).toBe('2025-12-31');
    expect(chinaCivilDate(new Date('2025-12-31T16:00:00Z'))).toBe('2026-01-01');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
  });
});
