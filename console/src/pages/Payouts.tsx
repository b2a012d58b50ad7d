/**
 * The provider's money: what the platform owes it now (charges for its compute, less the platform fee, less what was
 * paid out), the payouts made, and its monthly statement. Amounts are the ledger's exact fen, formatted only.
 */
import type { ProviderPayouts } from '../api.ts';
import { StatementSection } from '../components/money/StatementSection.tsx';
import { ErrorNotice, Loading } from '../components/Notice.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { useLoad } from '../load.ts';
import { useSession } from '../session.tsx';

export function Payouts() {
  const { api, user } = useSession();
  const { t, money, dateTime } = useI18n();
  const providerId = encodeURIComponent(user.providerId ?? '');
  const { data, error } = useLoad(() => api<ProviderPayouts>(`/providers/${providerId}/payouts?limit=50`), [api]);
  return (
    <section>
      <h1>{t('payouts.heading')}</h1>
      {!data ? (
        error ? (
          <ErrorNotice error={error} />
        ) : (
          <Loading />
        )
      ) : (
        <>
          <dl className="figures">
            <div>
              <dt>{t('payouts.payable')}</dt>
              <dd data-testid="payable">{money(data.payableFen)}</dd>
            </div>
          </dl>
          <section aria-labelledby="payouts-made">
            <h2 id="payouts-made">{t('payouts.made')}</h2>
            {data.payouts.length === 0 ? (
              <p>{t('payouts.none')}</p>
            ) : (
              <div className="table-scroll">
                <table aria-labelledby="payouts-made" data-testid="payouts">
                  <thead>
                    <tr>
                      <th scope="col">{t('statement.time')}</th>
                      <th scope="col">{t('statement.reason')}</th>
                      <th scope="col">{t('statement.amount')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.payouts.map((payout) => (
                      <tr key={payout.transactionId}>
                        <td>{dateTime(payout.at)}</td>
                        <td>{payout.reason}</td>
                        <td className="num">{money(payout.fen)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      )}
      <StatementSection base={`/statements/providers/${providerId}`} filename={`payouts-${user.providerId ?? ''}`} />
    </section>
  );
}
