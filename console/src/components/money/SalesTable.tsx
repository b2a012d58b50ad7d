/**
 * Sales of model services and corpora (GET /sales): a tenant's purchases or a provider's sales, newest first. The
 * counterpart column names the seller on a tenant's page and the buyer on a provider's. Given a month (the page's
 * month picker), only the sales made in it (China Standard Time, `?month=`).
 */
import type { Sale } from '../../api.ts';
import type { MessageKey } from '../../i18n/messages.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { useLoad } from '../../load.ts';
import { useSession } from '../../session.tsx';
import { ErrorNotice, Loading } from '../Notice.tsx';

export function SalesSection({ side, id, month }: { side: 'tenant' | 'provider'; id: string; month?: string }) {
  const { api } = useSession();
  const { t, money, dateTime } = useI18n();
  const query =
    `${side === 'tenant' ? 'tenantId' : 'providerId'}=${encodeURIComponent(id)}` +
    (month === undefined ? '' : `&month=${encodeURIComponent(month)}`);
  const { data, error } = useLoad(() => api<{ items: Sale[] }>(`/sales?${query}&limit=100`), [api, query]);
  const heading =
    month === undefined
      ? t(side === 'tenant' ? 'sales.purchases' : 'sales.sales')
      : t(side === 'tenant' ? 'sales.purchasesIn' : 'sales.salesIn', { month });
  const none =
    month === undefined
      ? t(side === 'tenant' ? 'sales.noPurchases' : 'sales.none')
      : t(side === 'tenant' ? 'sales.noPurchasesIn' : 'sales.noneIn', { month });
  return (
    <section aria-labelledby="sales-heading">
      <h2 id="sales-heading">{heading}</h2>
      {!data ? (
        error ? (
          <ErrorNotice error={error} />
        ) : (
          <Loading />
        )
      ) : data.items.length === 0 ? (
        <p>{none}</p>
      ) : (
        <div className="table-scroll">
          <table aria-labelledby="sales-heading" data-testid="sales">
            <thead>
              <tr>
                <th scope="col">{t('sales.reference')}</th>
                <th scope="col">{t('sales.kind')}</th>
                <th scope="col">{t('sales.product')}</th>
                <th scope="col">{side === 'tenant' ? t('sales.seller') : t('sales.buyer')}</th>
                <th scope="col">{t('statement.amount')}</th>
                <th scope="col">{t('sales.when')}</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((sale) => (
                <tr key={sale.id} data-sale={sale.reference}>
                  <th scope="row">{sale.reference}</th>
                  <td>{t(`kind.${sale.kind}` as MessageKey)}</td>
                  <td>{sale.product}</td>
                  <td>{side === 'tenant' ? sale.providerId : sale.tenantId}</td>
                  <td className="num">
                    {money(sale.amountFen)}
                    {sale.reversed && ` ${t('sales.reversed')}`}
                  </td>
                  <td>{dateTime(sale.occurredAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
