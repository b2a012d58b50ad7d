/**
 * The tenant's money: what its wallet holds, its latest transactions (charges, voucher use, subsidies, top-ups), the
 * vouchers it holds, its purchases of model services and corpora, and its monthly statement. Every amount is the
 * ledger's exact fen, formatted, never recomputed. A tenant sees its own; the operator opens any tenant's from the
 * Tenants page (/tenants/{id}/spend), and there also tops the wallet up and issues vouchers.
 */
import { useState } from 'react';
import type { Voucher, Wallet } from '../api.ts';
import { IssueVoucherForm, TopUpForm } from '../components/money/OfficeForms.tsx';
import { chinaMonth } from '../components/money/Month.tsx';
import { SalesSection } from '../components/money/SalesTable.tsx';
import { StatementSection } from '../components/money/StatementSection.tsx';
import { LedgerLines } from '../components/money/LedgerLines.tsx';
import { ErrorNotice, Loading } from '../components/Notice.tsx';
import type { MessageKey } from '../i18n/messages.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { useLoad } from '../load.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';

/** `tenantId`: the operator's choice of tenant; a tenant's own page names none (the server knows whose it is). */
export function Spend({ tenantId: chosen }: { tenantId?: string }) {
  const { api, user } = useSession();
  const { t, money } = useI18n();
  const office = chosen !== undefined && user.role === 'operator';
  const tenantId = office ? chosen : (user.tenantId ?? '');
  const whose = office ? `tenantId=${encodeURIComponent(tenantId)}` : '';
  const wallet = useLoad(() => api<Wallet>(`/wallet?${whose ? `${whose}&` : ''}limit=20`), [api, whose]);
  // Bumped by the operator's forms: the statement below then shows the new line too.
  const [version, setVersion] = useState(0);
  // The month of the statement and of the sales listed: the statement's picker sets it.
  const [month, setMonth] = useState(chinaMonth);
  const vouchers = useLoad(() => api<{ items: Voucher[] }>(`/vouchers${whose ? `?${whose}` : ''}`), [api, whose]);
  return (
    <section>
      {office ? (
        <>
          <p className="breadcrumb">
            <Link to="/tenants">{t('tenants.heading')}</Link>
          </p>
          <h1>{t('spend.headingFor', { tenant: tenantId })}</h1>
        </>
      ) : (
        <h1>{t('spend.heading')}</h1>
      )}
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
      {office && (
        <div className="office-forms">
          <TopUpForm
            tenantId={tenantId}
            onDone={() => {
              wallet.reload();
              setVersion((v) => v + 1);
            }}
          />
          <IssueVoucherForm
            tenantId={tenantId}
            onDone={() => {
              vouchers.reload();
              wallet.reload();
              setVersion((v) => v + 1);
            }}
          />
        </div>
      )}
      <Vouchers data={vouchers.data} error={vouchers.error} />
      <StatementSection
        base={`/statements/tenants/${encodeURIComponent(tenantId)}`}
        filename={`statement-${tenantId}`}
        version={version}
        month={month}
        onMonthChange={setMonth}
      />
      {/* Follows the statement's month picker above it. */}
      <SalesSection side="tenant" id={tenantId} month={month} />
    </section>
  );
}

function Vouchers({ data, error }: { data: { items: Voucher[] } | null; error: Error | null }) {
  const { t } = useI18n();
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
            <th scope="col">{t('voucher.kind')}</th>
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
              <td>{t(`voucherKind.${v.kind}` as MessageKey)}</td>
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
