/** The programme office's page: the province's compute, how busy it is, who waits, the reserves, cluster health. */
import { useMemo, useState } from 'react';
import type { CapacityRow, Overview as OverviewData, QueueRow } from '../api.ts';
import { Chart, PALETTE, type ChartOption } from '../components/Chart.tsx';
import { ErrorNotice, Loading } from '../components/Notice.tsx';
import type { MessageKey } from '../i18n/messages.ts';
import { useI18n, type I18n } from '../i18n/i18n.tsx';
import { useLoad } from '../load.ts';
import { useSession } from '../session.tsx';

const byLabel = (row: CapacityRow) => row.label;

/** The periods the office looks back over, and how finely each is drawn. */
const PERIODS = {
  day: { hours: 24, buckets: 24 },
  week: { hours: 24 * 7, buckets: 28 },
  month: { hours: 24 * 30, buckets: 30 },
} as const;
type PeriodKey = keyof typeof PERIODS;
/** In use is the figure that matters; idle is a quiet grey (still 3:1 against white). */
const BUSY_COLOUR = PALETTE[0];
const IDLE_COLOUR = '#8c959f';

function barOption(rows: CapacityRow[], i18n: I18n, label: (row: CapacityRow) => string): ChartOption {
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
    xAxis: { type: 'value' },
    yAxis: { type: 'category', data: rows.map(label), inverse: true },
    series: [
      {
        type: 'bar',
        stack: 'p',
        name: i18n.t('overview.busySeries'),
        color: BUSY_COLOUR,
        data: rows.map((r) => Number(r.busyP)),
      },
      {
        type: 'bar',
        stack: 'p',
        name: i18n.t('overview.idleSeries'),
        color: IDLE_COLOUR,
        data: rows.map((r) => Number((Number(r.capacityP) - Number(r.busyP)).toFixed(3))),
      },
    ],
  };
}

const summaryOf = (rows: CapacityRow[], i18n: I18n, label: (row: CapacityRow) => string) =>
  rows.map((r) => `${label(r)} ${i18n.p(r.capacityP)}`).join('；');

function CapacityChart({
  title,
  rows,
  label,
}: {
  title: MessageKey;
  rows: CapacityRow[];
  label: (row: CapacityRow) => string;
}) {
  const i18n = useI18n();
  const option = useMemo(() => barOption(rows, i18n, label), [rows, i18n, label]);
  return (
    <Chart
      title={i18n.t(title)}
      summary={i18n.t('overview.chartSummary', { title: i18n.t(title), items: summaryOf(rows, i18n, label) })}
      option={option}
      height={Math.max(160, 40 + rows.length * 36)}
    />
  );
}

function QueueTable({
  caption,
  rows,
  label,
  period,
}: {
  caption: MessageKey;
  rows: QueueRow[];
  label: (key: string) => string;
  /** The period the overview looks back over, for the "started" column. */
  period: string;
}) {
  const { t, duration, number } = useI18n();
  return (
    <div className="table-scroll">
      <table>
        <caption>{t(caption)}</caption>
        <thead>
          <tr>
            <th scope="col">{t('overview.queueKey')}</th>
            <th scope="col">{t('overview.queuePending')}</th>
            <th scope="col">{t('overview.queueOldest')}</th>
            <th scope="col">{t('overview.queueMean')}</th>
            <th scope="col">{t('overview.queueStarted', { period })}</th>
            <th scope="col">{t('overview.queueStartWait')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key}>
              <th scope="row">{label(r.key)}</th>
              <td className="num">{number(r.pending)}</td>
              <td className="num">{r.pending ? duration(r.oldestWaitSeconds) : '—'}</td>
              <td className="num">{r.pending ? duration(r.meanWaitSeconds) : '—'}</td>
              <td className="num">{number(r.started)}</td>
              <td className="num">{r.started ? duration(r.meanStartWaitSeconds) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Figures({ data }: { data: OverviewData }) {
  const i18n = useI18n();
  const { t, p, number } = i18n;
  const total = data.capacity.total;
  const domestic = data.capacity.byOrigin.find((r) => r.key === 'domestic');
  const share = Number(total.capacityP) > 0 ? Number(domestic?.capacityP ?? 0) / Number(total.capacityP) : 0;
  const pending = data.queue.byPriorityClass.reduce((s, r) => s + r.pending, 0);
  const figures: Array<[MessageKey, string]> = [
    ['overview.totalCapacity', p(total.capacityP)],
    ['overview.busy', p(total.busyP)],
    ['overview.domesticShare', i18n.percent(share)],
    ['overview.accelerators', number(total.accelerators)],
    ['overview.pending', number(pending)],
    ['overview.unhealthy', number(data.clusters.filter((c) => !c.healthy).length)],
  ];
  return (
    <dl className="figures">
      {figures.map(([label, value]) => (
        <div key={label}>
          <dt>{t(label)}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Overview() {
  const { api } = useSession();
  const i18n = useI18n();
  const { t, p, number, dateTime } = i18n;
  const [period, setPeriod] = useState<PeriodKey>('day');
  const { hours, buckets } = PERIODS[period];
  const { data, error } = useLoad(
    () => api<OverviewData>(`/overview?hours=${hours}&buckets=${buckets}`),
    [api, hours, buckets],
    10_000,
  );
  const periodLabel = t(`overview.period.${period}`);
  const origin = (r: CapacityRow) => t(`origin.${r.key}` as MessageKey);

  const utilisation = useMemo<ChartOption | null>(() => {
    if (!data) return null;
    const hour = new Intl.DateTimeFormat(
      i18n.locale,
      period === 'day' ? { hour: '2-digit', minute: '2-digit' } : { month: 'numeric', day: 'numeric', hour: '2-digit' },
    );
    const capacity = Number(data.capacity.total.capacityP);
    const points = data.utilisation.points;
    return {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      // The series holds each step's mean; the last point is what is in use at this moment.
      xAxis: { type: 'category', data: [...points.map((pt) => hour.format(new Date(pt.at))), t('overview.now')] },
      yAxis: { type: 'value', min: 0 },
      series: [
        {
          type: 'line',
          name: t('overview.busySeries'),
          itemStyle: { color: BUSY_COLOUR },
          lineStyle: { color: BUSY_COLOUR },
          areaStyle: { color: BUSY_COLOUR, opacity: 0.25 },
          data: [...points.map((pt) => pt.busyP), Number(data.capacity.total.busyP)],
        },
        {
          type: 'line',
          name: t('overview.capacitySeries'),
          itemStyle: { color: IDLE_COLOUR },
          lineStyle: { color: IDLE_COLOUR, type: 'dashed' },
          symbol: 'none',
          data: [...points.map(() => capacity), capacity],
        },
      ],
    };
  }, [data, i18n, t, period]);

  const originPie = useMemo<ChartOption | null>(
    () =>
      data && {
        tooltip: { trigger: 'item' },
        legend: { top: 0 },
        series: [
          {
            type: 'pie',
            radius: ['40%', '70%'],
            top: 24,
            label: {
              formatter: (item: { name: string; value: unknown }) => `${item.name}: ${i18n.p(Number(item.value))}`,
            },
            data: data.capacity.byOrigin.map((r) => ({
              name: t(`origin.${r.key}` as MessageKey),
              value: Number(r.capacityP),
            })),
          },
        ],
      },
    [data, t, i18n],
  );

  if (error && !data) return <ErrorNotice error={error} />;
  if (!data || !utilisation || !originPie) return <Loading />;
  const category = (key: string) => t(`category.${key}` as MessageKey);
  return (
    <section>
      <h1>{t('overview.heading')}</h1>
      <div className="toolbar">
        <p className="hint">{dateTime(data.at)}</p>
        <label htmlFor="period">{t('overview.period')}</label>
        <select id="period" value={period} onChange={(e) => setPeriod(e.target.value as PeriodKey)}>
          {(Object.keys(PERIODS) as PeriodKey[]).map((key) => (
            <option key={key} value={key}>
              {t(`overview.period.${key}`)}
            </option>
          ))}
        </select>
      </div>
      <ErrorNotice error={error} />
      <Figures data={data} />
      <div className="grid">
        <CapacityChart title="overview.byCity" rows={data.capacity.byCity} label={byLabel} />
        <CapacityChart title="overview.byProvider" rows={data.capacity.byProvider} label={byLabel} />
        <CapacityChart title="overview.byModel" rows={data.capacity.byModel} label={byLabel} />
        <Chart
          title={t('overview.byOrigin')}
          summary={t('overview.chartSummary', {
            title: t('overview.byOrigin'),
            items: summaryOf(data.capacity.byOrigin, i18n, origin),
          })}
          option={originPie}
        />
      </div>
      <Chart
        title={t('overview.utilisation', { period: periodLabel })}
        summary={t('overview.chartSummary', {
          title: t('overview.utilisation', { period: periodLabel }),
          items: data.utilisation.points.map((pt) => `${dateTime(pt.at)} ${p(pt.busyP)}`).join('；'),
        })}
        option={utilisation}
      />
      <h2>{t('overview.queue')}</h2>
      <div className="grid">
        <QueueTable
          caption="overview.queueByClass"
          rows={data.queue.byPriorityClass}
          label={(k) => t(`class.${k}` as MessageKey)}
          period={periodLabel}
        />
        <QueueTable
          caption="overview.queueByCategory"
          rows={data.queue.byTenantCategory}
          label={category}
          period={periodLabel}
        />
      </div>
      <h2>{t('overview.reserved')}</h2>
      <div className="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('overview.reservedGroup')}</th>
              <th scope="col">{t('overview.reservedNominal')}</th>
              <th scope="col">{t('overview.reservedUsed')}</th>
              <th scope="col">{t('overview.reservedLent')}</th>
              <th scope="col">{t('overview.reservedBorrowed')}</th>
            </tr>
          </thead>
          <tbody>
            {data.reservedShares.map((r) => (
              <tr key={r.group}>
                <th scope="row">{category(r.group)}</th>
                <td className="num">{number(r.nominalP)}</td>
                <td className="num">{number(r.usedP)}</td>
                <td className="num">{number(r.lentP)}</td>
                <td className="num">{number(r.borrowedP)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>{t('overview.health')}</h2>
      <div className="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('overview.cluster')}</th>
              <th scope="col">{t('overview.provider')}</th>
              <th scope="col">{t('common.city')}</th>
              <th scope="col">{t('overview.engine')}</th>
              <th scope="col">{t('overview.healthy')}</th>
              <th scope="col">{t('overview.lastInventory')}</th>
            </tr>
          </thead>
          <tbody>
            {data.clusters.map((c) => (
              <tr key={c.id}>
                <th scope="row">{c.name}</th>
                <td>{c.providerName}</td>
                <td>{c.city}</td>
                <td>{c.engine}</td>
                <td>
                  <span className={`badge ${c.healthy ? 'state-succeeded' : 'state-failed'}`}>
                    {c.healthy ? t('overview.ok') : t('overview.down')}
                  </span>
                  {c.healthReason ? ` ${c.healthReason}` : ''}
                </td>
                <td>{dateTime(c.lastInventoryAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
