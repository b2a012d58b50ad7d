/** Each pool's spending against its budget, as bars; the table beside it carries the exact amounts. */
import { useMemo } from 'react';
import type { ProgrammePool } from '../../api.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { Chart, type ChartOption } from '../Chart.tsx';

/**
 * Yuan as a number, for bar lengths only: a float is exact to the fen up to 2^53 fen (about ¥90 trillion), and no
 * amount shown as text is taken from it.
 */
const barYuan = (fen: string) => Number(BigInt(fen)) / 100;

export const poolLabel = (pool: ProgrammePool) => `${pool.programmeId} / ${pool.funder}`;

export function PoolChart({ pools }: { pools: ProgrammePool[] }) {
  const { t, largeMoney } = useI18n();
  const option = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      // On a phone the axis has room for a few labels only: drop the ones that would overlap.
      xAxis: { type: 'value', axisLabel: { hideOverlap: true } },
      yAxis: { type: 'category', data: pools.map(poolLabel) },
      series: [
        { name: t('programmes.spent'), type: 'bar', data: pools.map((p) => barYuan(p.spentFen)) },
        { name: t('programmes.budget'), type: 'bar', data: pools.map((p) => barYuan(p.budgetFen)) },
      ],
    }),
    [pools, t],
  );
  const summary = pools
    .map((p) =>
      t('programmes.chartSummary', {
        pool: poolLabel(p),
        spent: largeMoney(p.spentFen),
        budget: largeMoney(p.budgetFen),
      }),
    )
    .join(' ');
  return (
    <Chart
      title={t('programmes.chart')}
      summary={summary}
      option={option}
      height={Math.max(160, 80 + pools.length * 48)}
    />
  );
}
