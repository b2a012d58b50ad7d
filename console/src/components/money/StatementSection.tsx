/** A monthly statement (a tenant's wallet or a provider's payable): month picker, balances, lines, downloads. */
import { useState } from 'react';
import type { Statement } from '../../api.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { useLoad } from '../../load.ts';
import { useSession } from '../../session.tsx';
import { ErrorNotice, Loading } from '../Notice.tsx';
import { Downloads } from './Downloads.tsx';
import { LedgerLines } from './LedgerLines.tsx';
import { MonthPicker, chinaMonth } from './Month.tsx';

/**
 * `base` is the statement route without the month, e.g. /statements/tenants/qiming-ai; a new `version` reads it again
 * (the operator's top-up on the same page adds a line to it). Its month picker is the page's when the page passes
 * `month` and `onMonthChange`.
 */
export function StatementSection({
  base,
  filename,
  version = 0,
  month: pageMonth,
  onMonthChange,
}: {
  base: string;
  filename: string;
  version?: number;
  /** The page's month, when the page's other tables follow this picker too (the sales table); else its own. */
  month?: string;
  onMonthChange?(month: string): void;
}) {
  const { t, money } = useI18n();
  const { api } = useSession();
  const [ownMonth, setOwnMonth] = useState(chinaMonth);
  const month = pageMonth ?? ownMonth;
  const setMonth = onMonthChange ?? setOwnMonth;
  const path = `${base}/${month}`;
  const { data, error } = useLoad(() => api<Statement>(path), [api, path, version]);
  return (
    <section aria-labelledby="statement-heading">
      <h2 id="statement-heading">{t('statement.heading', { month })}</h2>
      <div className="toolbar">
        <MonthPicker id="statement-month" value={month} onChange={setMonth} />
      </div>
      {!data || data.month !== month ? (
        error ? (
          <ErrorNotice error={error} />
        ) : (
          <Loading />
        )
      ) : (
        <>
          <dl className="figures">
            <div>
              <dt>{t('statement.opening')}</dt>
              <dd>{money(data.openingFen)}</dd>
            </div>
            <div>
              <dt>{t('statement.closing')}</dt>
              <dd data-testid="statement-closing">{money(data.closingFen)}</dd>
            </div>
          </dl>
          {data.lines.length === 0 ? (
            <p>{t('statement.empty')}</p>
          ) : (
            <LedgerLines caption={t('statement.heading', { month })} lines={data.lines} />
          )}
          <Downloads path={path} filename={`${filename}-${month}`} />
        </>
      )}
    </section>
  );
}
