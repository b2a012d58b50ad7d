/** Ledger lines as a table: when, what kind of transaction, why, and the signed amount in exact fen. */
import type { LedgerLine } from '../../api.ts';
import type { MessageKey } from '../../i18n/messages.ts';
import { useI18n } from '../../i18n/i18n.tsx';

export function LedgerLines({ caption, lines }: { caption: string; lines: LedgerLine[] }) {
  const { t, money, dateTime } = useI18n();
  return (
    <div className="table-scroll">
      <table className="ledger-lines">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t('statement.time')}</th>
            <th scope="col">{t('statement.purpose')}</th>
            <th scope="col">{t('statement.reason')}</th>
            <th scope="col">{t('statement.amount')}</th>
          </tr>
        </thead>
        <tbody>
          {lines.map((line) => (
            // A charge of many usage records shows one line per record, all of one transaction.
            <tr key={`${line.transactionId}:${line.usageRecordId ?? ''}`} data-purpose={line.purpose}>
              <td>{dateTime(line.at)}</td>
              <th scope="row">{t(`purpose.${line.purpose}` as MessageKey)}</th>
              <td>{line.reason}</td>
              <td className="num">{money(line.fen)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
