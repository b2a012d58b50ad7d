/** A month picker: ledger months are calendar months in China Standard Time, as statements and reports count them. */
import { periodLabelAt } from '../../../../src/core/report-period.ts';
import { useI18n } from '../../i18n/i18n.tsx';

/** "YYYY-MM" of an instant in China Standard Time (UTC+8, no daylight saving). */
export function chinaMonth(at: Date = new Date()): string {
  return periodLabelAt('month', at);
}

export function MonthPicker({ id, value, onChange }: { id: string; value: string; onChange(month: string): void }) {
  const { t } = useI18n();
  return (
    <label htmlFor={id}>
      {t('money.month')}{' '}
      <input
        id={id}
        type="month"
        value={value}
        required
        // An emptied field keeps the last month shown rather than asking the API for no month.
        onChange={(event) => {
          if (/^\d{4}-\d{2}$/.test(event.target.value)) onChange(event.target.value);
        }}
      />
    </label>
  );
}
