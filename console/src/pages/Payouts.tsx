/**
 * The provider's money: what the platform owes it now (charges for its compute and sales, less the platform fee, less
 * what was paid out), the payouts made, its sales of model services and corpora, and its monthly statement. Amounts
 * are the ledger's exact fen, formatted only. A provider-admin sees its own; the operator opens any provider's from
 * the Providers page (/providers/{id}/payouts), where it also records a payout (never more than is owed).
 */
import { useState } from 'react';
import type { ProviderPayouts } from '../api.ts';
import { PayOutForm } from '../components/money/OfficeForms.tsx';
import { chinaMonth } from '../components/money/Month.tsx';
import { SalesSection } from '../components/money/SalesTable.tsx';
import { StatementSection } from '../components/money/StatementSection.tsx';
import { ErrorNotice, Loading } from '../components/Notice.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { useLoad } from '../load.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';

/** `providerId`: the operator's choice of provider; a provider-admin's page is its own provider's. */
export function Payouts({ providerId: chosen }: { providerId?: string }) {
  const { api, user } = useSession();
  const { t, money, dateTime } = useI18n();
  const office = chosen !== undefined && user.role === 'operator';
  const provider = office ? chosen : (user.providerId ?? '');
  const providerId = encodeURIComponent(provider);
  const { data, error, reload } = useLoad(
    () => api<ProviderPayouts>(`/providers/${providerId}/payouts?limit=50`),
    [api, providerId],
  );
  // Bumped by the operator's payout form: the statement below then shows the payout too.
  const [version, setVersion] = useState(0);
  // The month of the statement and of the sales listed: the statement's picker sets it.
  const [month, setMonth] = useState(chinaMonth);
  return (
    <section>
      {office ? (
        <>
          <p className="breadcrumb">
            <Link to="/providers">{t('providers.heading')}</Link>
          </p>
          <h1>{t('payouts.headingFor', { provider })}</h1>
        </>
      ) : (
        <h1>{t('payouts.heading')}</h1>
      )}
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
          {office && (
            <div className="office-forms">
              <PayOutForm
                providerId={provider}
                owedFen={data.payableFen}
                onDone={() => {
                  reload();
                  setVersion((v) => v + 1);
                }}
              />
            </div>
          )}
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
      <StatementSection
        base={`/statements/providers/${providerId}`}
        filename={`payouts-${provider}`}
        version={version}
        month={month}
        onMonthChange={setMonth}
      />
      {/* Follows the statement's month picker above it. */}
      <SalesSection side="provider" id={provider} month={month} />
    </section>
  );
}
