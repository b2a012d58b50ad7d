/**
 * The programme office's report periods (月报告、季调度、年总结, Anhui 2025 保障措施(四)): a month "YYYY-MM", a quarter
 * "YYYY-Qn" (Q1 = January–March) or a year "YYYY", each a half-open range of instants [from, to) whose ends are
 * midnight in China Standard Time (UTC+8 all year, so plain arithmetic on milliseconds: no time-zone database), given
 * as epoch milliseconds because the core constructs no dates (the store's reportPeriod makes them Dates). Shared by
 * the store (the report), the server (its 400s), the CLI (its arguments) and the console (its pickers).
 */
import { chinaCivilDate, daysFromCivil } from './money/programmes/calendar.ts';

export const PERIOD_KINDS = ['month', 'quarter', 'year'] as const;
export type PeriodKind = (typeof PERIOD_KINDS)[number];

export interface PeriodSpan {
  kind: PeriodKind;
  /** As written: "2026-11", "2026-Q4", "2026". */
  label: string;
  /** [fromMs, toMs): epoch milliseconds of its first instant and of the first instant after it. */
  fromMs: number;
  toMs: number;
  /** The calendar months of the period, "YYYY-MM", in order. */
  months: string[];
}

const CHINA_STANDARD_TIME_OFFSET_MS = 8 * 3_600_000;
const MS_PER_DAY = 86_400_000;

const FORMS: Record<PeriodKind, { pattern: RegExp; written: string }> = {
  month: { pattern: /^(\d{4})-(0[1-9]|1[0-2])$/, written: 'a month written YYYY-MM, e.g. 2026-11' },
  quarter: {
    pattern: /^(\d{4})-Q([1-4])$/,
    written: 'a quarter written YYYY-Qn (Q1 = January to March), e.g. 2026-Q4',
  },
  year: { pattern: /^(\d{4})$/, written: 'a year written YYYY, e.g. 2026' },
};

/** Midnight on the first of a month (1–12, or 13 for January of the next year) in China Standard Time. */
function monthStartMs(year: number, month: number): number {
  const [y, m] = month === 13 ? [year + 1, 1] : [year, month];
  return daysFromCivil(y, m, 1) * MS_PER_DAY - CHINA_STANDARD_TIME_OFFSET_MS;
}

const monthLabel = (year: number, month: number) =>
  `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}`;

/**
 * The period a label names. Throws a RangeError saying what is wanted ("must be a quarter written YYYY-Qn …; got
 * \"2026-Q5\""), which a caller prefixes with the field it came from.
 */
export function parsePeriod(kind: PeriodKind, label: string): PeriodSpan {
  const { pattern, written } = FORMS[kind];
  const match = pattern.exec(label);
  if (!match) throw new RangeError(`must be ${written}; got ${JSON.stringify(label)}`);
  const year = Number(match[1]);
  const [first, count] =
    kind === 'month' ? [Number(match[2]), 1] : kind === 'quarter' ? [(Number(match[2]) - 1) * 3 + 1, 3] : [1, 12];
  const months = Array.from({ length: count }, (_, i) => monthLabel(year, first + i));
  return { kind, label, fromMs: monthStartMs(year, first), toMs: monthStartMs(year, first + count), months };
}

/** The label of the period of a kind holding an instant in China Standard Time (2026-12-31T15:59:59Z → "2026-Q4"). */
export function periodLabelAt(kind: PeriodKind, at: { getTime(): number }): string {
  const civil = chinaCivilDate(at);
  const year = civil.slice(0, 4);
  const month = Number(civil.slice(5, 7));
  if (kind === 'year') return year;
  if (kind === 'quarter') return `${year}-Q${Math.floor((month - 1) / 3) + 1}`;
  return civil.slice(0, 7);
}
