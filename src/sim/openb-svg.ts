/**
 * The openb chart (hand-written SVG, no library): grouped bars of GPU allocation ratio at each arrived-workload level,
 * one bar per policy — ours (whole accelerators) next to FGD's published GPU-sharing policies. Pure: data in, markup out.
 */
import { escapeXml, niceScale } from './svg.ts';

export interface OpenbChartSeries {
  name: string;
  /** Allocation ratio in percent, one value per level (NaN = not measured). */
  values: number[];
  /** Which legend section the bar belongs to. */
  kind: 'ours' | 'reference' | 'published';
}

export interface OpenbChartInput {
  title: string;
  /** One line under the title (e.g. the whole-accelerator caveat). */
  note: string;
  /** Arrived workload levels, percent of cluster GPUs (e.g. 100, 130). */
  levels: number[];
  series: OpenbChartSeries[];
}

const OURS = ['#e15759', '#f28e2b', '#edc948', '#ff9da7', '#b07aa1', '#9c755f'];
const REFERENCE = ['#7f7f7f', '#bab0ac'];
const PUBLISHED = ['#c6dbef', '#9ecae1', '#6baed6', '#4292c6', '#2171b5', '#08519c', '#59a14f', '#76b7b2'];
const SECTIONS: Record<OpenbChartSeries['kind'], string> = {
  ours: 'This platform (whole accelerators)',
  reference: 'Harness check',
  published: 'FGD paper (GPU sharing, published)',
};

const W = 1100;
const H = 560;
const PAD_L = 80;
const PAD_R = 360;
const TOP = 100;
const PLOT_H = 380;

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}"${attrs ? ' ' + attrs : ''}>${escapeXml(s)}</text>`;
}

function colours(series: readonly OpenbChartSeries[]): string[] {
  const seen: Record<OpenbChartSeries['kind'], number> = { ours: 0, reference: 0, published: 0 };
  return series.map((s) => {
    const palette = s.kind === 'ours' ? OURS : s.kind === 'reference' ? REFERENCE : PUBLISHED;
    const i = seen[s.kind]++;
    return palette[i % palette.length] ?? '#999';
  });
}

export function renderOpenbChart(c: OpenbChartInput): string {
  const plotW = W - PAD_L - PAD_R;
  const fill = colours(c.series);
  const max = Math.max(0, ...c.series.flatMap((s) => s.values.filter((v) => Number.isFinite(v))));
  const { top: yMax, step } = max <= 100 ? { top: 100, step: 10 } : niceScale(max, 10);
  const y = (v: number): number => TOP + PLOT_H - (Math.max(0, v) / yMax) * PLOT_H;
  const out: string[] = [
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    text(W / 2, 30, c.title, 'text-anchor="middle" font-size="16" font-weight="bold"'),
    text(W / 2, 54, c.note, 'text-anchor="middle" font-style="italic" fill="#444"'),
  ];

  for (let v = 0; v <= yMax + step / 2; v += step) {
    out.push(
      `<line x1="${PAD_L}" y1="${y(v).toFixed(1)}" x2="${PAD_L + plotW}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`,
      text(PAD_L - 6, y(v) + 4, `${v.toFixed(0)} %`, 'text-anchor="end"'),
    );
  }
  const midY = TOP + PLOT_H / 2;
  out.push(
    text(
      22,
      midY,
      'GPU allocation ratio (% of cluster GPU-milli)',
      `text-anchor="middle" transform="rotate(-90 22 ${midY})"`,
    ),
  );

  const groupW = plotW / Math.max(1, c.levels.length);
  const barW = (groupW * 0.86) / Math.max(1, c.series.length);
  c.levels.forEach((level, gi) => {
    const gx = PAD_L + gi * groupW + groupW * 0.07;
    c.series.forEach((s, si) => {
      const v = s.values[gi] ?? NaN;
      if (!Number.isFinite(v)) return;
      const x = gx + si * barW;
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(TOP + PLOT_H - y(v)).toFixed(1)}" fill="${fill[si]}"><title>${escapeXml(`${s.name}, ${level} % arrived: ${v.toFixed(2)} %`)}</title></rect>`,
        text(x + barW / 2 - 1, y(v) - 4, v.toFixed(1), 'text-anchor="middle" font-size="9"'),
      );
    });
    out.push(
      text(
        gx + (barW * c.series.length) / 2,
        TOP + PLOT_H + 18,
        `${level} % of cluster GPUs arrived`,
        'text-anchor="middle"',
      ),
    );
  });
  out.push(
    `<line x1="${PAD_L}" y1="${TOP + PLOT_H}" x2="${PAD_L + plotW}" y2="${TOP + PLOT_H}" stroke="#333"/>`,
    `<line x1="${PAD_L}" y1="${TOP}" x2="${PAD_L}" y2="${TOP + PLOT_H}" stroke="#333"/>`,
    text(
      PAD_L + plotW / 2,
      TOP + PLOT_H + 42,
      'arrived workload (GPU request of arrived pods, % of cluster GPUs)',
      'text-anchor="middle"',
    ),
  );

  // Legend, one section per kind, in series order.
  let ly = TOP;
  const lx = W - PAD_R + 24;
  for (const kind of ['ours', 'reference', 'published'] as const) {
    const members = c.series.map((s, i) => ({ s, i })).filter((m) => m.s.kind === kind);
    if (members.length === 0) continue;
    out.push(text(lx, ly + 10, SECTIONS[kind], 'font-weight="bold"'));
    ly += 20;
    for (const { s, i } of members) {
      out.push(`<rect x="${lx}" y="${ly}" width="12" height="12" fill="${fill[i]}"/>`, text(lx + 18, ly + 10, s.name));
      ly += 20;
    }
    ly += 10;
  }

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    ...out.map((l) => `  ${l}`),
    '</svg>',
    '',
  ].join('\n');
}
