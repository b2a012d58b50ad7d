/**
 * The report period picker: a month, a quarter or a year of China Standard Time (src/core/report-period.ts), as the
 * policy asks for 月报告、季调度、年总结. Quarters and years are offered as lists that end with the current one: the API
 * refuses a quarter or year not yet begun, so the console never offers one.
 */
import { PERIOD_KINDS, periodLabelAt, type PeriodKind } from '../../../../src/core/report-period.ts';
import type { MessageKey } from '../../i18n/messages.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { MonthPicker } from './Month.tsx';

export interface Period {
  kind: PeriodKind;
  /** "2026-11", "2026-Q4" or "2026". */
  label: string;
}

/** The period of a kind that holds now. */
export const currentPeriod = (kind: PeriodKind, now: Date = new Date()): Period => ({
  kind,
  label: periodLabelAt(kind, now),
});

/** The last `count` quarters, newest first ("2026-Q4", "2026-Q3", …). */
function recentQuarters(now: Date, count: number): string[] {
  const [year, quarter] = periodLabelAt('quarter', now).split('-Q').map(Number) as [number, number];
  return Array.from({ length: count }, (_, i) => {
    const index = year * 4 + (quarter - 1) - i;
    return `${Math.floor(index / 4)}-Q${(index % 4) + 1}`;
  });
}

/** The last `count` years, newest first. */
function recentYears(now: Date, count: number): string[] {
  const year = Number(periodLabelAt('year', now));
  return Array.from({ length: count }, (_, i) => String(year - i));
}

const KIND_MESSAGES: Record<PeriodKind, MessageKey> = {
  month: 'report.kindMonth',
  quarter: 'report.kindQuarter',
  year: 'report.kindYear',
};

export function PeriodPicker({ value, onChange }: { value: Period; onChange(period: Period): void }) {
  const { t } = useI18n();
  const now = new Date();
  return (
    <>
      <label htmlFor="report-kind">
        {t('report.periodKind')}{' '}
        <select
          id="report-kind"
          value={value.kind}
          onChange={(event) => onChange(currentPeriod(event.target.value as PeriodKind))}
        >
          {PERIOD_KINDS.map((kind) => (
            <option key={kind} value={kind}>
              {t(KIND_MESSAGES[kind])}
            </option>
          ))}
        </select>
      </label>
      {value.kind === 'month' ? (
        <MonthPicker id="report-month" value={value.label} onChange={(label) => onChange({ kind: 'month', label })} />
      ) : (
        <Choice
          id={`report-${value.kind}`}
          label={t(value.kind === 'quarter' ? 'report.quarter' : 'report.year')}
          value={value.label}
          // Eight quarters and five years back: the reviews the office files, within the policy's years.
          options={value.kind === 'quarter' ? recentQuarters(now, 8) : recentYears(now, 5)}
          onChange={(label) => onChange({ kind: value.kind, label })}
        />
      )}
    </>
  );
}

function Choice(props: { id: string; label: string; value: string; options: string[]; onChange(value: string): void }) {
  return (
    <label htmlFor={props.id}>
      {props.label}{' '}
      <select id={props.id} value={props.value} onChange={(event) => props.onChange(event.target.value)}>
        {props.options.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
    </label>
  );
}
