/**
 * The tenant's money: what its wallet holds, its latest transactions (charges, voucher use, subsidies, top-ups), the
 * vouchers it holds and its monthly statement. Every amount is the ledger's exact fen, formatted, never recomputed.
 */
import type { Voucher, Wallet } from '../api.ts';
import { StatementSection } from '../components/money/StatementSection.tsx';
import { LedgerLines } from '../components/money/LedgerLines.tsx';
import { ErrorNotice, Loading } from '../components/Notice.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { useLoad } from '../load.ts';
import { useSession } from '../session.tsx';

export function Spend() {
  const { api, user } = useSession();
  const { t, money } = useI18n();
  const wallet = useLoad(() => api<Wallet>('/wallet?limit=20'), [api]);
  const tenantId = user.tenantId ?? '';
  return (
    <section>
      <h1>{t('spend.heading')}</h1>
      {!wallet.data ? (
        wallet.error ? (
          <ErrorNotice error={wallet.error} />
        ) : (
          <Loading />
        )
      ) : (
        <>
          <dl className="figures">
            <div>
              <dt>{t('spend.balance')}</dt>
              <dd data-testid="wallet-balance">{money(wallet.data.balanceFen)}</dd>
            </div>
          </dl>
          {wallet.data.recent.length === 0 ? (
            <p>{t('spend.noRecent')}</p>
          ) : (
            <LedgerLines caption={t('spend.recent')} lines={wallet.data.recent} />
          )}
        </>
      )}
      <Vouchers />
      <StatementSection
        base={`/statements/tenants/${encodeURIComponent(tenantId)}`}
        filename={`statement-${tenantId}`}
      />
    </section>
  );
}

function Vouchers() {
  const { api } = useSession();
  const { t } = useI18n();
  const { data, error } = useLoad(() => api<{ items: Voucher[] }>('/vouchers'), [api]);
  return (
    <section aria-labelledby="vouchers-heading">
      <h2 id="vouchers-heading">{t('spend.vouchers')}</h2>
      {!data ? (
        error ? (
          <ErrorNotice error={error} />
        ) : (
          <Loading />
        )
      ) : data.items.length === 0 ? (
        <p>{t('spend.noVouchers')}</p>
      ) : (
        <VoucherTable vouchers={data.items} />
      )}
    </section>
  );
}

function VoucherTable({ vouchers }: { vouchers: Voucher[] }) {
  const { t, money, dateTime } = useI18n();
  return (
    <div className="table-scroll">
      <table aria-labelledby="vouchers-heading">
        <thead>
          <tr>
            <th scope="col">{t('voucher.id')}</th>
            <th scope="col">{t('voucher.programme')}</th>
            <th scope="col">{t('voucher.face')}</th>
            <th scope="col">{t('voucher.remaining')}</th>
            <th scope="col">{t('voucher.validity')}</th>
            <th scope="col">{t('voucher.providers')}</th>
          </tr>
        </thead>
        <tbody>
          {vouchers.map((v) => (
            <tr key={v.id}>
              <th scope="row">{v.id}</th>
              <td>{v.programmeId}</td>
              <td className="num">{money(v.faceFen)}</td>
              <td className="num">{money(v.remainingFen)}</td>
              <td>{t('voucher.validRange', { from: dateTime(v.validFrom), to: dateTime(v.validTo) })}</td>
              <td>{v.providers.length > 0 ? v.providers.join(', ') : t('voucher.anyProvider')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
