/**
 * A hand-written SVG chart (no library): grouped bars of mean queueing delay per tenant category per policy, and
 * accelerator utilisation over time, one line per policy. Pure: data in, markup out.
 */

export interface ChartInput {
  title: string;
  /** Bar groups (e.g. tenant categories) and, per policy, one value per group (hours; NaN = no jobs). */
  groups: string[];
  series: Array<{ name: string; values: number[] }>;
  barLabel: string;
  /** Per policy, utilisation 0..1 per step of `stepLabel`. */
  lines: Array<{ name: string; values: number[] }>;
  stepLabel: string;
}

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#b07aa1'];
const W = 960;
const PAD_L = 70;
const PAD_R = 160;

export function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c,
  );
}

/** A "nice" axis maximum and tick step for values up to `max`. */
export function niceScale(max: number, ticks = 5): { top: number; step: number } {
  if (!(max > 0) || !Number.isFinite(max)) return { top: 1, step: 0.2 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  return { top: Math.ceil(max / step) * step, step };
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}"${attrs ? ' ' + attrs : ''}>${escapeXml(s)}</text>`;
}

function legend(names: readonly string[], x: number, y: number): string[] {
  return names.flatMap((name, i) => [
    `<rect x="${x}" y="${y + i * 20}" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/>`,
    text(x + 18, y + i * 20 + 10, name),
  ]);
}

function barPanel(c: ChartInput, top: number, height: number): string[] {
  const out: string[] = [];
  const plotW = W - PAD_L - PAD_R;
  const max = Math.max(0, ...c.series.flatMap((s) => s.values.filter((v) => Number.isFinite(v))));
  const { top: yMax, step } = niceScale(max);
  const y = (v: number): number => top + height - (v / yMax) * height;
  out.push(text(PAD_L, top - 12, c.barLabel, 'font-weight="bold"'));
  for (let v = 0; v <= yMax + step / 2; v += step) {
    out.push(
      `<line x1="${PAD_L}" y1="${y(v).toFixed(1)}" x2="${PAD_L + plotW}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`,
    );
    out.push(text(PAD_L - 6, y(v) + 4, fmt(v), 'text-anchor="end"'));
  }
  const groupW = plotW / Math.max(1, c.groups.length);
  const barW = (groupW * 0.8) / Math.max(1, c.series.length);
  c.groups.forEach((g, gi) => {
    const gx = PAD_L + gi * groupW + groupW * 0.1;
    c.series.forEach((s, si) => {
      const v = s.values[gi] ?? NaN;
      const x = gx + si * barW;
      if (!Number.isFinite(v)) return;
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(top + height - y(v)).toFixed(1)}" fill="${PALETTE[si % PALETTE.length]}"><title>${escapeXml(`${s.name}, ${g}: ${fmt(v)}`)}</title></rect>`,
      );
      out.push(text(x + barW / 2 - 1, y(v) - 3, fmt(v), 'text-anchor="middle" font-size="9"'));
    });
    out.push(text(gx + (barW * c.series.length) / 2, top + height + 16, g, 'text-anchor="middle"'));
  });
  out.push(`<line x1="${PAD_L}" y1="${top + height}" x2="${PAD_L + plotW}" y2="${top + height}" stroke="#333"/>`);
  out.push(
    ...legend(
      c.series.map((s) => s.name),
      W - PAD_R + 20,
      top,
    ),
  );
  return out;
}

function linePanel(c: ChartInput, top: number, height: number): string[] {
  const out: string[] = [];
  const plotW = W - PAD_L - PAD_R;
  const n = Math.max(1, ...c.lines.map((l) => l.values.length));
  const x = (i: number): number => PAD_L + (n <= 1 ? 0 : (i / (n - 1)) * plotW);
  const y = (v: number): number => top + height - Math.min(1, Math.max(0, v)) * height;
  out.push(text(PAD_L, top - 12, `Accelerator utilisation per ${c.stepLabel}`, 'font-weight="bold"'));
  for (let v = 0; v <= 1.0001; v += 0.25) {
    out.push(
      `<line x1="${PAD_L}" y1="${y(v).toFixed(1)}" x2="${PAD_L + plotW}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`,
    );
    out.push(text(PAD_L - 6, y(v) + 4, `${(v * 100).toFixed(0)} %`, 'text-anchor="end"'));
  }
  const { step } = niceScale(n, 8);
  for (let i = 0; i < n; i += Math.max(1, step))
    out.push(text(x(i), top + height + 16, String(i), 'text-anchor="middle"'));
  out.push(text(PAD_L + plotW / 2, top + height + 32, `${c.stepLabel}s since the trace start`, 'text-anchor="middle"'));
  c.lines.forEach((l, li) => {
    const points = l.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    out.push(
      `<polyline fill="none" stroke="${PALETTE[li % PALETTE.length]}" stroke-width="1.5" stroke-opacity="0.85" points="${points}"/>`,
    );
  });
  out.push(`<line x1="${PAD_L}" y1="${top + height}" x2="${PAD_L + plotW}" y2="${top + height}" stroke="#333"/>`);
  out.push(
    ...legend(
      c.lines.map((l) => l.name),
      W - PAD_R + 20,
      top,
    ),
  );
  return out;
}

export function renderChart(c: ChartInput): string {
  const H = 720;
  const body = [
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    text(W / 2, 28, c.title, 'text-anchor="middle" font-size="16" font-weight="bold"'),
    ...barPanel(c, 80, 250),
    ...linePanel(c, 420, 230),
  ];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    ...body.map((l) => `  ${l}`),
    '</svg>',
    '',
  ].join('\n');
}
