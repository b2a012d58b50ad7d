/**
 * The policies' calendar. Anhui's and Jiangsu's texts date everything in Beijing time ("有效期至2027年12月31日", a
 * tenant's natural year), so a charge ending at 2025-12-31T17:00Z (01:00 on 1 January in Hefei) belongs to 2026.
 * China Standard Time is UTC+8 all year (no daylight saving), so the conversion is plain arithmetic on the instant's
 * milliseconds: no time-zone database and no Date construction in the core.
 */
import type { CivilDate } from './types.ts';

const CHINA_STANDARD_TIME_OFFSET_MS = 8 * 3_600_000;
const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 → [year, month, day] in the proleptic Gregorian calendar (H. Hinnant's civil_from_days). */
function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153); // March = 0
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return [year, month, day];
}

/** [year, month, day] → days since 1970-01-01 (days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** The civil date of an instant in China Standard Time, "YYYY-MM-DD". */
export function chinaCivilDate(at: { getTime(): number }): CivilDate {
  const [y, m, d] = civilFromDays(Math.floor((at.getTime() + CHINA_STANDARD_TIME_OFFSET_MS) / MS_PER_DAY));
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
}

/** The natural year (自然年) of an instant in China Standard Time. */
export function chinaYear(at: { getTime(): number }): number {
  return Number(chinaCivilDate(at).slice(0, 4));
}

const CIVIL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `text` is a real calendar date written "YYYY-MM-DD" (so "2025-02-30" is not). */
export function isCivilDate(text: string): boolean {
  const match = CIVIL_DATE.exec(text);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1 || day > 31) return false;
  const [y, m, d] = civilFromDays(daysFromCivil(year, month, day));
  return y === year && m === month && d === day;
}

/** Days from one civil date to another (b − a); both must be valid. */
export function daysBetween(a: CivilDate, b: CivilDate): number {
  const toDays = (s: CivilDate): number =>
    daysFromCivil(Number(s.slice(0, 4)), Number(s.slice(5, 7)), Number(s.slice(8, 10)));
  return toDays(b) - toDays(a);
}

/** Whether `date` lies in the inclusive window [from, to]; to null = open-ended. ISO dates compare as strings. */
export function withinWindow(date: CivilDate, from: CivilDate, to: CivilDate | null): boolean {
  return from <= date && (to === null || date <= to);
}

/** The civil date `days` days after `date` (before, if negative). */
export function addDays(date: CivilDate, days: number): CivilDate {
  const start = daysFromCivil(Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10)));
  const [y, m, d] = civilFromDays(start + days);
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
}
