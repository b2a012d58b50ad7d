/**
 * An ECharts chart in a <figure>. Only the chart types the console draws are registered (tree-shaken build), and
 * the SVG renderer is used: crisp at any zoom and cheap for a few series. The drawing is hidden from screen readers;
 * the figure's caption and a text summary of the same numbers stand in for it.
 */
import { useEffect, useRef } from 'react';
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { init, use as registerChartParts, type ComposeOption } from 'echarts/core';
import type { BarSeriesOption, LineSeriesOption, PieSeriesOption } from 'echarts/charts';
import type { GridComponentOption, LegendComponentOption, TooltipComponentOption } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

registerChartParts([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

export type ChartOption = ComposeOption<
  | BarSeriesOption
  | LineSeriesOption
  | PieSeriesOption
  | GridComponentOption
  | LegendComponentOption
  | TooltipComponentOption
>;

/** Colours with at least 3:1 contrast against white (WCAG non-text contrast), distinguishable in greyscale order. */
export const PALETTE = ['#1f5fa8', '#c2410c', '#047857', '#7c3aed', '#b91c1c', '#4b5563'];

export function Chart({
  title,
  summary,
  option,
  height = 260,
}: {
  title: string;
  summary: string;
  option: ChartOption;
  height?: number;
}) {
  const element = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!element.current) return;
    const chart = init(element.current, null, { renderer: 'svg' });
    chart.setOption({ color: PALETTE, animation: false, ...option });
    const observer = new ResizeObserver(() => chart.resize());
    observer.observe(element.current);
    return () => {
      observer.disconnect();
      chart.dispose();
    };
  }, [option]);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={element} style={{ height }} aria-hidden="true" />
      <p className="visually-hidden">{summary}</p>
    </figure>
  );
}
