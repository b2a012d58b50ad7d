/**
 * The chip race (赛马机制): how each accelerator model really ran in a month, best first, so that the programme office
 * can favour the chips that run well in later procurement. Every figure comes from GET /chips (docs/chips.md); the
 * page formats, it never computes a ratio itself.
 */
import { useMemo, useState } from 'react';
import type { ChipRace, ChipRaceRow } from '../api.ts';
import { Chart, type ChartOption } from '../components/Chart.tsx';
import { MonthPicker, chinaMonth } from '../components/money/Month.tsx';
import { ErrorNotice, Loading } from '../components/Notice.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { useLoad } from '../load.ts';
import { useSession } from '../session.tsx';

/** Basis points as a fraction, for display and bar lengths only. */
const fraction = (bp: number) => bp / 10_000;

export function Chips() {
  const { t } = useI18n();
  const { api } = useSession();
  const [month, setMonth] = useState(chinaMonth);
  const path = `/chips?month=${month}`;
  const { data, error } = useLoad(() => api<ChipRace>(path), [api, path]);
  return (
    <section aria-labelledby="chips-heading">
      <h1 id="chips-heading">{t('chips.heading')}</h1>
      <p>{t('chips.intro')}</p>
      <div className="toolbar">
        <MonthPicker id="chips-month" value={month} onChange={setMonth} />
      </div>
      {!data || data.month !== month ? (
        error ? (
          <ErrorNotice error={error} />
        ) : (
          <Loading />
        )
      ) : (
        <>
          <CompletionChart rows={data.chips.filter((c) => c.rank !== null)} />
          <ChipTable rows={data.chips} />
        </>
      )}
    </section>
  );
}

function CompletionChart({ rows }: { rows: ChipRaceRow[] }) {
  const { t, percent } = useI18n();
  const option = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
      // Best at the top: a category axis draws its first entry at the bottom.
      yAxis: { type: 'category', data: rows.map((r) => r.acceleratorModel).reverse() },
      series: [
        {
          name: t('chips.completion'),
          type: 'bar',
          data: rows.map((r) => fraction(r.completionBp ?? 0) * 100).reverse(),
        },
        { name: t('chips.goodput'), type: 'bar', data: rows.map((r) => fraction(r.goodputBp ?? 0) * 100).reverse() },
      ],
    }),
    [rows, t],
  );
  if (rows.length === 0) return <p>{t('chips.noRuns')}</p>;
  const summary = rows
    .map((r) =>
      t('chips.chartSummary', {
        rank: r.rank ?? '',
        model: r.acceleratorModel,
        completion: percent(fraction(r.completionBp ?? 0)),
        goodput: r.goodputBp === null ? '—' : percent(fraction(r.goodputBp)),
      }),
    )
    .join(' ');
  return (
    <Chart title={t('chips.chart')} summary={summary} option={option} height={Math.max(160, 80 + rows.length * 48)} />
  );
}

function ChipTable({ rows }: { rows: ChipRaceRow[] }) {
  const { t, percent, number, money } = useI18n();
  const ratio = (bp: number | null) => (bp === null ? '—' : percent(fraction(bp)));
  return (
    <div className="table-scroll">
      <table aria-labelledby="chips-heading">
        <thead>
          <tr>
            <th scope="col">{t('chips.rank')}</th>
            <th scope="col">{t('chips.model')}</th>
            <th scope="col">{t('chips.accelerators')}</th>
            <th scope="col">{t('chips.endedRuns')}</th>
            <th scope="col">{t('chips.completion')}</th>
            <th scope="col">{t('chips.goodput')}</th>
            <th scope="col">{t('chips.lost')}</th>
            <th scope="col">{t('chips.utilisation')}</th>
            <th scope="col">{t('chips.ph')}</th>
            <th scope="col">{t('chips.pricePerPh')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => (
            <tr key={c.acceleratorModel} data-chip={c.acceleratorModel}>
              <td className="num">{c.rank ?? '—'}</td>
              <th scope="row">
                {c.acceleratorModel}
                {c.domestic ? (
                  <>
                    {' '}
                    <span className="badge">{t('chips.domestic')}</span>
                  </>
                ) : null}
              </th>
              <td className="num">{number(c.accelerators)}</td>
              <td className="num">{number(c.runs.succeeded + c.runs.failed + c.runs.timeout + c.runs.lost)}</td>
              <td className="num">{ratio(c.completionBp)}</td>
              <td className="num">{ratio(c.goodputBp)}</td>
              <td className="num">{c.lostPer1000Hours ?? '—'}</td>
              <td className="num">{ratio(c.utilisationBp)}</td>
              <td className="num">{number(c.ph, 4)}</td>
              <td className="num">{c.medianFenPerPh === null ? '—' : money(c.medianFenPerPh)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
