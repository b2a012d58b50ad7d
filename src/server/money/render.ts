/**
 * Statements and the programme office's reports (month, quarter, year) as CSV (for spreadsheets and the finance
 * office's systems) and as printable HTML. Amounts are exact: fen from the ledger formatted as yuan by string arithmetic (core formatYuan), never
 * through a float.
 */
import { formatYuan } from '../../core/money/amount.ts';
import type { Fen } from '../../core/money/amount.ts';
import type { ChipRaceRow } from '../../core/chip-race.ts';
import type { Flow, LedgerReport, Statement } from '../../store/ledger/index.ts';

/** The ledger's report with the period's chip race (docs/chips.md), as the programme office files it. */
export type FiledReport = LedgerReport & { chips: ChipRaceRow[] };

const REPORT_NAMES = { month: 'monthly', quarter: 'quarterly', year: 'annual' } as const;

const yuan = (fen: Fen) => formatYuan(fen, { symbol: false, grouping: false });
const money = (fen: Fen) => formatYuan(fen);

/** RFC 4180: quote a field that holds a comma, quote or line break; double its quotes. */
function csvField(value: string): string {
  // A leading =, +, - or @ would run as a formula in a spreadsheet; a quote-prefixed text cell is inert.
  const safe = /^[=+@]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

const csv = (rows: string[][]) => rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font:14px/1.4 system-ui,"Noto Sans CJK SC",sans-serif;margin:2em}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #999;padding:.25em .6em}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
@media print{body{margin:0}}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
${body}
</body></html>
`;
}

function htmlTable(headers: string[], rows: string[][], numeric: (column: number) => boolean): string {
  const head = headers.map((h, i) => `<th${numeric(i) ? ' class="n"' : ''}>${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map((r) => `<tr>${r.map((c, i) => `<td${numeric(i) ? ' class="n"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const STATEMENT_HEADERS = ['time', 'purpose', 'reason', 'usage record or sale', 'voucher', 'programme', 'amount (CNY)'];

function statementRows(statement: Statement): string[][] {
  return statement.lines.map((l) => [
    l.at.toISOString(),
    l.purpose,
    l.reason,
    l.usageRecordId ?? (l.saleId === null ? '' : `sale ${l.saleId}`),
    l.voucherId ?? '',
    l.programmeId ?? '',
    yuan(l.fen),
  ]);
}

export function statementCsv(statement: Statement): string {
  return csv([
    STATEMENT_HEADERS,
    ['', 'opening balance', '', '', '', '', yuan(statement.openingFen)],
    ...statementRows(statement),
    ['', 'closing balance', '', '', '', '', yuan(statement.closingFen)],
  ]);
}

export function statementHtml(statement: Statement, owner: string): string {
  return page(
    `Statement ${statement.month} — ${owner}`,
    `<p>Account ${escapeHtml(statement.accountId)}. Opening balance ${money(statement.openingFen)}, closing balance
${money(statement.closingFen)}. Positive amounts are paid in to the account, negative ones paid out of it.</p>
${htmlTable(STATEMENT_HEADERS, statementRows(statement), (i) => i === 6)}`,
  );
}

const FLOW_HEADERS = ['spend (CNY)', 'vouchers (CNY)', 'subsidy (CNY)'];
const flowCells = (f: Flow) => [yuan(f.spendFen), yuan(f.voucherFen), yuan(f.subsidyFen)];

/** The report's sections as tables: [title, headers, rows]. */
type Section = [title: string, headers: string[], rows: string[][]];

function reportSections(report: FiledReport): Section[] {
  // A month's one row would only repeat its total.
  const byMonth: Section[] =
    report.kind === 'month'
      ? []
      : [['By month', ['month', ...FLOW_HEADERS], report.byMonth.map((r) => [r.month, ...flowCells(r)])]];
  const poolsAsOf = `${report.poolsAsOf.toISOString()} (${report.poolsAt === 'now' ? 'now' : 'end of period'})`;
  return [
    ['Total', ['', ...FLOW_HEADERS], [['all', ...flowCells(report.total)]]],
    ...byMonth,
    ['By provider city', ['city', ...FLOW_HEADERS], report.byCity.map((r) => [r.city, ...flowCells(r)])],
    ['By provider region', ['region', ...FLOW_HEADERS], report.byRegion.map((r) => [r.region, ...flowCells(r)])],
    [
      'By tenant category',
      ['category', ...FLOW_HEADERS],
      report.byTenantCategory.map((r) => [r.category, ...flowCells(r)]),
    ],
    [
      'By kind (compute, model services, corpora)',
      ['kind', ...FLOW_HEADERS],
      report.byKind.map((r) => [r.kind, ...flowCells(r)]),
    ],
    [
      'Subsidy paid per programme and funder',
      ['programme', 'funder', 'paid (CNY)'],
      report.subsidyByProgrammeAndFunder.map((r) => [r.programmeId, r.funder, yuan(r.fen)]),
    ],
    [
      'Pools remaining',
      ['programme', 'funder', 'remaining (CNY)', 'as of'],
      report.poolsRemaining.map((r) => [r.programmeId, r.funder, yuan(r.fen), poolsAsOf]),
    ],
    [
      'Claims awaiting period close',
      ['programme', 'claims', 'claimed (CNY)'],
      report.claimsAwaitingClose.map((r) => [r.programmeId, String(r.claims), yuan(r.fen)]),
    ],
    [
      'Top tenants by spend',
      ['tenant', 'category', ...FLOW_HEADERS],
      report.topTenants.map((r) => [r.tenantId, r.category, ...flowCells(r)]),
    ],
    [
      'Chip race (how each accelerator model ran)',
      CHIP_HEADERS,
      report.chips.map((c) => [
        c.rank === null ? '' : String(c.rank),
        c.acceleratorModel,
        c.domestic ? 'yes' : 'no',
        String(c.accelerators),
        String(c.runs.succeeded + c.runs.failed + c.runs.timeout + c.runs.lost),
        percent(c.completionBp),
        percent(c.goodputBp),
        c.lostPer1000Hours ?? '',
        percent(c.utilisationBp),
        c.ph,
        c.medianFenPerPh === null ? '' : yuan(BigInt(c.medianFenPerPh)),
      ]),
    ],
  ];
}

const CHIP_HEADERS = [
  'rank',
  'model',
  'domestic',
  'accelerators',
  'ended runs',
  'completion %',
  'goodput %',
  'lost per 1000 accel-h',
  'utilisation %',
  'P·h',
  'price per P·h (CNY)',
];

/** Basis points as an exact percentage with two decimals (7692 → "76.92"); empty when undefined. */
const percent = (bp: number | null) =>
  bp === null ? '' : `${Math.floor(bp / 100)}.${String(bp % 100).padStart(2, '0')}`;

/** One CSV: each section's rows start with its title, after a header row of its own, so the report is one file. */
export function reportCsv(report: FiledReport): string {
  const rows: string[][] = [];
  for (const [title, headers, body] of reportSections(report)) {
    rows.push([title, ...headers]);
    for (const r of body) rows.push([title, ...r]);
  }
  return csv(rows);
}

export function reportHtml(report: FiledReport): string {
  const sections = reportSections(report)
    .map(([title, headers, body]) => {
      const amountsFrom = headers.findIndex((h) => h.includes('(CNY)'));
      const numeric = (i: number) => i >= amountsFrom && headers[i] !== 'as of';
      return `<h2>${escapeHtml(title)}</h2>\n${htmlTable(headers, body, numeric)}`;
    })
    .join('\n');
  const pools =
    report.poolsAt === 'now'
      ? 'Pools are as they stand now: the period has not ended.'
      : 'Pools are as they stood at the end of the period.';
  return page(
    `Programme office ${REPORT_NAMES[report.kind]} report ${report.period}`,
    `<p>${escapeHtml(report.from.toISOString())} to ${escapeHtml(report.to.toISOString())} (China Standard Time
${report.kind}), generated ${escapeHtml(report.generatedAt.toISOString())}. Spend is net of reversals. ${pools}
Claims awaiting a period close are as the report is made.</p>\n${sections}`,
  );
}
