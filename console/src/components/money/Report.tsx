/**
 * The programme office's report for a month, quarter or year (月报告、季调度、年总结): spend, voucher use and subsidy
 * paid in the period, by programme and funder, city, region, tenant category and kind of spend (compute, model
 * services, corpora), the top tenants and, for a quarter or year, month by month; with the CSV and printable HTML the
 * office files.
 */
import { useState, type ReactNode } from 'react';
import type { MoneyFlow, PeriodReport } from '../../api.ts';
import type { MessageKey } from '../../i18n/messages.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { useLoad } from '../../load.ts';
import { useSession } from '../../session.tsx';
import { ErrorNotice, Loading } from '../Notice.tsx';
import { Downloads } from './Downloads.tsx';
import { PeriodPicker, currentPeriod, type Period } from './PeriodPicker.tsx';

const ROUTES = { month: 'monthly', quarter: 'quarterly', year: 'yearly' } as const;

export function ProgrammeReport() {
  const { t, largeMoney } = useI18n();
  const { api } = useSession();
  const [period, setPeriod] = useState<Period>(() => currentPeriod('month'));
  const path = `/reports/${ROUTES[period.kind]}/${period.label}`;
  const { data, error } = useLoad(() => api<PeriodReport>(path), [api, path]);
  return (
    <section aria-labelledby="report-heading">
      <h2 id="report-heading">
        {period.kind === 'month'
          ? t('report.heading', { month: period.label })
          : t(period.kind === 'quarter' ? 'report.headingQuarter' : 'report.headingYear', { period: period.label })}
      </h2>
      <div className="toolbar">
        <PeriodPicker value={period} onChange={setPeriod} />
      </div>
      {!data || data.period !== period.label || data.kind !== period.kind ? (
        error ? (
          <ErrorNotice error={error} />
        ) : (
          <Loading />
        )
      ) : (
        <>
          <dl className="figures">
            <Figure label={t('report.spend')} value={largeMoney(data.total.spendFen)} testId="report-spend" />
            <Figure label={t('report.voucher')} value={largeMoney(data.total.voucherFen)} />
            <Figure label={t('report.subsidy')} value={largeMoney(data.total.subsidyFen)} />
          </dl>
          {data.kind === 'month' ? null : (
            <FlowTable
              caption={t('report.byMonth')}
              head={t('report.month')}
              rows={data.byMonth.map((r) => [r.month, r])}
              testId="report-by-month"
            />
          )}
          <SubsidyTable rows={data.subsidyByProgrammeAndFunder} />
          <FlowTable caption={t('report.byCity')} head={t('report.city')} rows={data.byCity.map((r) => [r.city, r])} />
          <FlowTable
            caption={t('report.byRegion')}
            head={t('report.region')}
            rows={data.byRegion.map((r) => [r.region, r])}
          />
          <FlowTable
            caption={t('report.byCategory')}
            head={t('report.category')}
            rows={data.byTenantCategory.map((r) => [t(`category.${r.category}` as MessageKey), r])}
          />
          <FlowTable
            caption={t('report.byKind')}
            head={t('report.kind')}
            rows={data.byKind.map((r) => [t(`kind.${r.kind}` as MessageKey), r])}
          />
          <FlowTable
            caption={t('report.topTenants')}
            head={t('report.tenant')}
            rows={data.topTenants.map((r) => [r.tenantId, r])}
            testId="top-tenants"
          />
          <Downloads path={path} filename={`report-${period.label}`} />
        </>
      )}
    </section>
  );
}

function Figure({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
}

function Table({ caption, head, children }: { caption: string; head: string[]; children: ReactNode }) {
  return (
    <div className="table-scroll">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {head.map((h) => (
              <th scope="col" key={h}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

function SubsidyTable({ rows }: { rows: PeriodReport['subsidyByProgrammeAndFunder'] }) {
  const { t, largeMoney } = useI18n();
  if (rows.length === 0) return null;
  return (
    <Table
      caption={t('report.byProgramme')}
      head={[t('programmes.programme'), t('programmes.funder'), t('report.amount')]}
    >
      {rows.map((r) => (
        <tr key={`${r.programmeId}/${r.funder}`}>
          <th scope="row">{r.programmeId}</th>
          <td>{r.funder}</td>
          <td className="num">{largeMoney(r.fen)}</td>
        </tr>
      ))}
    </Table>
  );
}

function FlowTable({
  caption,
  head,
  rows,
  testId,
}: {
  caption: string;
  head: string;
  rows: Array<[string, MoneyFlow]>;
  testId?: string;
}) {
  const { t, largeMoney } = useI18n();
  if (rows.length === 0) return null;
  return (
    <div data-testid={testId}>
      <Table caption={caption} head={[head, t('report.spend'), t('report.voucher'), t('report.subsidy')]}>
        {rows.map(([name, flow]) => (
          <tr key={name}>
            <th scope="row">{name}</th>
            <td className="num">{largeMoney(flow.spendFen)}</td>
            <td className="num">{largeMoney(flow.voucherFen)}</td>
            <td className="num">{largeMoney(flow.subsidyFen)}</td>
          </tr>
        ))}
      </Table>
    </div>
  );
}
