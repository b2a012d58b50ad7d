/** The side-by-side table of runs (markdown), pure. */
import type { Dist, SimMetrics } from './metrics.ts';

export interface RunReport {
  metrics: SimMetrics;
  /** Wall-clock seconds of the replay (engine + policy) and of the policy alone. Not deterministic. */
  wallSeconds: number;
  policySeconds: number;
}

export function hours(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  const h = seconds / 3600;
  return h >= 100 ? h.toFixed(0) : h >= 10 ? h.toFixed(1) : h.toFixed(2);
}

function pct(x: number, digits = 1): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(digits)} %` : '–';
}

function d4(d: Dist): string {
  return d.n === 0 ? '–' : `${hours(d.mean)} / ${hours(d.p50)} / ${hours(d.p95)} / ${hours(d.p99)}`;
}

type Row = [string, (m: SimMetrics, r: RunReport) => string];

function table(runs: readonly RunReport[], rows: readonly Row[]): string {
  const head = `| metric | ${runs.map((r) => r.metrics.policy).join(' | ')} |`;
  const rule = `| --- | ${runs.map(() => '---').join(' | ')} |`;
  const body = rows.map(([label, f]) => `| ${label} | ${runs.map((r) => f(r.metrics, r)).join(' | ')} |`);
  return [head, rule, ...body].join('\n');
}

/**
 * The main comparison: one column per policy. Times in hours; distributions as mean / p50 / p95 / p99; queueing
 * delay and completion time overall, per priority class and per tenant category.
 */
export function comparisonTable(runs: readonly RunReport[]): string {
  const first = runs[0]?.metrics;
  const classes = first ? Object.keys(first.byClass) : [];
  const categories = first ? Object.keys(first.byCategory) : [];
  const reserved = first ? Object.keys(first.reservedHonoured) : [];
  const rows: Row[] = [
    ['jobs finished / submitted', (m) => `${m.finished} / ${m.jobs}`],
    ['accelerator utilisation', (m) => pct(m.utilisation)],
    ['useful utilisation (without lost work)', (m) => pct(m.usefulUtilisation)],
    ['makespan (h)', (m) => m.makespanHours.toFixed(0)],
    ['queueing delay, h (mean / p50 / p95 / p99)', (m) => d4(m.overall.queueing)],
    ['completion time, h (mean / p50 / p95 / p99)', (m) => d4(m.overall.completion)],
    ...classes.map<Row>((c) => [`queueing delay, ${c}`, (m) => (m.byClass[c] ? d4(m.byClass[c].queueing) : '–')]),
    ...categories.map<Row>((c) => [
      `queueing delay, ${c}`,
      (m) => (m.byCategory[c] ? d4(m.byCategory[c].queueing) : '–'),
    ]),
    ...classes.map<Row>((c) => [`completion time, ${c}`, (m) => (m.byClass[c] ? d4(m.byClass[c].completion) : '–')]),
    ...categories.map<Row>((c) => [
      `completion time, ${c}`,
      (m) => (m.byCategory[c] ? d4(m.byCategory[c].completion) : '–'),
    ]),
    [
      'strategic first wait, h (mean / max)',
      (m) => `${hours(m.strategicFirstWait.mean)} / ${hours(m.strategicFirstWait.max)}`,
    ],
    ...reserved.map<Row>((c) => [
      `reserved share honoured, ${c}`,
      (m) => (m.reservedHonoured[c] ? pct(m.reservedHonoured[c].honoured) : '–'),
    ]),
    ['domestic share (jobs accepting domestic)', (m) => pct(m.domesticShare)],
    ["Jain's index (usage vs entitlement)", (m) => m.jain.toFixed(3)],
    [
      'fragmented accelerators (mean, % of capacity)',
      (m) => `${m.fragmentedAccelerators.toFixed(1)} (${pct(m.fragmentedShare, 2)})`,
    ],
    ['preemptions (jobs; refused as exempt)', (m) => `${m.preemptions} (${m.preemptedJobs}; ${m.preemptionsRefused})`],
    [
      'work lost, accelerator-h (% of run time)',
      (m) => `${m.lostAcceleratorHours.toFixed(0)} (${pct(m.lostShare, 2)})`,
    ],
    ['invalid placements ignored', (m) => String(m.invalidPlacements)],
    ['scheduling cycles (mean jobs in snapshot)', (m) => `${m.schedulingPoints} (${m.meanSnapshotJobs.toFixed(0)})`],
    ['replay wall time, s (policy part)', (_m, r) => `${r.wallSeconds.toFixed(1)} (${r.policySeconds.toFixed(1)})`],
  ];
  return table(runs, rows);
}
