/** Plain-text output: aligned tables, times, durations, money. */
import { formatDuration } from '../core/job-spec.ts';

export type Align = 'left' | 'right';

export interface Column {
  header: string;
  align?: Align;
}

// East Asian wide and fullwidth characters take two terminal cells; provider and cluster names are often Chinese.
const WIDE =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{20000}-\u{3fffd}]/u;

export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += WIDE.test(ch) ? 2 : 1;
  return width;
}

/** Cuts text to at most `max` cells, marking the cut with "…". */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (displayWidth(flat) <= max) return flat;
  let out = '';
  let width = 0;
  for (const ch of flat) {
    const w = displayWidth(ch);
    if (width + w > max - 1) break;
    out += ch;
    width += w;
  }
  return out + '…';
}

function pad(text: string, width: number, align: Align): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return align === 'right' ? fill + text : text + fill;
}

/** Columns separated by two spaces, the header first; no trailing blanks. */
export function table(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(displayWidth(c.header), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const line = (cells: readonly string[]): string =>
    columns
      .map((c, i) => pad(cells[i] ?? '', widths[i] ?? 0, c.align ?? 'left'))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)].join('\n') + '\n';
}

/** `Key:  value` lines with the values aligned; a multi-line value continues in the value column. */
export function keyValues(pairs: readonly (readonly [string, string])[], indent = ''): string {
  const width = Math.max(0, ...pairs.map(([k]) => displayWidth(k) + 1));
  const continuation = `\n${indent}${' '.repeat(width + 2)}`;
  return pairs
    .map(([k, v]) => `${indent}${pad(`${k}:`, width, 'left')}  ${v.split('\n').join(continuation)}`.trimEnd() + '\n')
    .join('');
}

/** "just now", "45s ago", "3m ago", "5h ago", "2d ago". */
export function relativeTime(iso: string | null, now: Date = new Date()): string {
  if (iso === null) return '-';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const seconds = Math.floor((now.getTime() - then) / 1000);
  if (seconds < 1) return 'just now';
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 48 * 3600) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** Local time "YYYY-MM-DD HH:MM:SS" (operators read wall-clock time in their own zone). */
export function dateTime(iso: string | null): string {
  if (iso === null) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${clock(iso)}`;
}

/** Local time "HH:MM:SS". */
export function clock(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

export function duration(seconds: number | null): string {
  return seconds === null || !Number.isFinite(seconds) || seconds < 0 ? '-' : formatDuration(seconds);
}

/**
 * Fen (0.01 CNY) as yuan, "¥12.50" for 1250. By string surgery on the integer so that no binary fraction
 * ever touches money.
 */
export function yuan(fen: number | null): string {
  if (fen === null) return '-';
  if (!Number.isSafeInteger(fen)) return `${fen} fen`;
  const digits = String(Math.abs(fen)).padStart(3, '0');
  return `${fen < 0 ? '-' : ''}¥${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

/** Exact sum of non-negative or negative decimal strings ("1.5" + "0.25" = "1.75"); null if one is not decimal. */
export function sumDecimals(values: readonly string[]): string | null {
  const parsed: { int: bigint; scale: number }[] = [];
  for (const v of values) {
    const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(v.trim());
    if (m === null) return null;
    const frac = m[3] ?? '';
    const int = BigInt(`${m[2]}${frac}`);
    parsed.push({ int: m[1] === '-' ? -int : int, scale: frac.length });
  }
  const scale = Math.max(0, ...parsed.map((p) => p.scale));
  const total = parsed.reduce((sum, p) => sum + p.int * 10n ** BigInt(scale - p.scale), 0n);
  const negative = total < 0n;
  const digits = (negative ? -total : total).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${frac === '' ? '' : `.${frac}`}`;
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
