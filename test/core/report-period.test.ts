/** Report periods in China Standard Time: exact boundaries, the months they hold, and what is refused. */
import { describe, expect, it } from 'vitest';
import { parsePeriod, periodLabelAt } from '../../src/core/report-period.ts';

const iso = (ms: number) => new Date(ms).toISOString();

describe('report periods', () => {
  it('starts and ends each period at midnight in China Standard Time', () => {
    const q1 = parsePeriod('quarter', '2028-Q1');
    expect([iso(q1.fromMs), iso(q1.toMs)]).toEqual(['2027-12-31T16:00:00.000Z', '2028-03-31T16:00:00.000Z']);
    expect(q1.months).toEqual(['2028-01', '2028-02', '2028-03']);
    const q4 = parsePeriod('quarter', '2026-Q4');
    expect([iso(q4.fromMs), iso(q4.toMs)]).toEqual(['2026-09-30T16:00:00.000Z', '2026-12-31T16:00:00.000Z']);
    const year = parsePeriod('year', '2026');
    expect([iso(year.fromMs), iso(year.toMs)]).toEqual(['2025-12-31T16:00:00.000Z', '2026-12-31T16:00:00.000Z']);
    expect(year.months).toHaveLength(12);
    const month = parsePeriod('month', '2028-02');
    // 2028 is a leap year: February has 29 days.
    expect(month.toMs - month.fromMs).toBe(29 * 86_400_000);
  });

  it('refuses anything else, saying what is wanted', () => {
    expect(() => parsePeriod('quarter', '2026-Q5')).toThrow(/must be a quarter written YYYY-Qn .*got "2026-Q5"/);
    expect(() => parsePeriod('quarter', '2026-q4')).toThrow(RangeError);
    expect(() => parsePeriod('year', '26')).toThrow(/must be a year written YYYY/);
    expect(() => parsePeriod('month', '2026-13')).toThrow(/must be a month written YYYY-MM/);
  });

  it('names the period holding an instant, in China Standard Time', () => {
    const lastUtcHourOf2026 = new Date('2026-12-31T16:30:00Z'); // 00:30 on 1 January 2027 in Hefei
    expect(periodLabelAt('quarter', lastUtcHourOf2026)).toBe('2027-Q1');
    expect(periodLabelAt('year', lastUtcHourOf2026)).toBe('2027');
    expect(periodLabelAt('month', new Date('2026-12-31T15:59:59Z'))).toBe('2026-12');
    expect(periodLabelAt('quarter', new Date('2026-06-30T15:59:59Z'))).toBe('2026-Q2');
  });
});
