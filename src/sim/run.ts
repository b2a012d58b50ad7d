/** Runs several policies over one trace and renders the outputs (JSON, markdown, SVG). Pure apart from timing. */
import { TENANT_CATEGORIES } from '../core/domain.ts';
import type { TenantCategory } from '../core/domain.ts';
import { DEFAULT_POLICY, type PolicyConfig } from '../core/scheduler/policy-config.ts';
import { simulate } from './engine.ts';
import type { EngineOptions, SimResult } from './engine.ts';
import { summarise, utilisationSeries } from './metrics.ts';
import type { SimTrace } from './model.ts';
import type { NamedPolicy } from './policies.ts';
import { comparisonTable } from './report.ts';
import type { RunReport } from './report.ts';
import { renderChart } from './svg.ts';

/** The reserved shares a suanli configuration gives (basis points → 0..1), for the honoured metric. */
export function defaultReserved(policy: PolicyConfig = DEFAULT_POLICY): Partial<Record<TenantCategory, number>> {
  const out: Partial<Record<TenantCategory, number>> = {};
  for (const [c, r] of Object.entries(policy.reserved) as [TenantCategory, { basisPoints?: number }][]) {
    if (r.basisPoints !== undefined) out[c] = r.basisPoints / 10_000;
  }
  return out;
}

/** The engine's options for a run, from the suanli configuration in force (DEFAULT_POLICY or `--policy FILE`). */
export function defaultEngineOptions(policy: PolicyConfig = DEFAULT_POLICY): EngineOptions {
  return {
    halfLifeSeconds: policy.fairShare.halfLifeHours * 3600,
    maxPending: 64,
    perTenantPending: 4,
    reserved: defaultReserved(policy),
  };
}

export interface Comparison {
  runs: RunReport[];
  results: SimResult[];
}

export function compare(
  trace: SimTrace,
  policies: readonly NamedPolicy[],
  options: EngineOptions,
  onRun?: (r: RunReport) => void,
): Comparison {
  const runs: RunReport[] = [];
  const results: SimResult[] = [];
  for (const p of policies) {
    const t0 = performance.now();
    const result = simulate(trace, p.name, p.policy, options);
    const wallSeconds = (performance.now() - t0) / 1000;
    const run: RunReport = {
      metrics: summarise(result),
      wallSeconds,
      policySeconds: result.policyMs / 1000,
    };
    runs.push(run);
    results.push(result);
    onRun?.(run);
  }
  return { runs, results };
}

export function chartFor(trace: SimTrace, c: Comparison): string {
  const groups = TENANT_CATEGORIES.filter((cat) => c.runs.some((r) => r.metrics.byCategory[cat] !== undefined));
  return renderChart({
    title: `${trace.name}: ${trace.jobs.length} jobs on ${c.results[0]?.capacityAccelerators ?? 0} accelerators`,
    groups,
    series: c.runs.map((r) => ({
      name: r.metrics.policy,
      values: groups.map((g) => (r.metrics.byCategory[g]?.queueing.mean ?? NaN) / 3600),
    })),
    barLabel: 'Mean queueing delay per tenant category (hours)',
    lines: c.results.map((r) => ({ name: r.policy, values: utilisationSeries(r, 86400) })),
    stepLabel: 'day',
  });
}

export interface Provenance {
  command: string;
  date: string;
  machine: string;
  traceFile: string;
}

export function markdownReport(
  trace: SimTrace,
  c: Comparison,
  p: Provenance,
  options: EngineOptions,
  policy: PolicyConfig = DEFAULT_POLICY,
): string {
  return [
    `# Simulator: ${trace.name}, ${p.date}`,
    '',
    `- command: \`${p.command}\``,
    `- machine: ${p.machine}`,
    `- trace: \`${p.traceFile}\``,
    ...trace.notes.map((n) => `- ${n}`),
    `- engine: snapshot window ${options.maxPending || 'all'} oldest + ${options.perTenantPending ?? 4} per tenant + strategic + requeued; usage half-life ${((options.halfLifeSeconds ?? 0) / 3600).toFixed(0)} h; reserved shares ${JSON.stringify(options.reserved ?? {})}; engine preempt-exempt ${options.preemptExemptSeconds ?? 0} s (suanli's own minimum runtime before preemption: ${policy.preemption.minRuntimeSeconds} s); outages ${JSON.stringify(options.outages ?? [])}`,
    '',
    'Times in hours; distributions are mean / p50 / p95 / p99. Queueing delay = start of the completing run − submit.',
    '',
    comparisonTable(c.runs),
    '',
  ].join('\n');
}

export function jsonReport(trace: SimTrace, c: Comparison, p: Provenance, options: EngineOptions): unknown {
  return {
    trace: trace.name,
    provenance: p,
    notes: trace.notes,
    options,
    runs: c.runs.map((r, i) => ({
      ...r,
      utilisationPerDay: utilisationSeries(c.results[i]!, 86400).map((v) => Math.round(v * 10_000) / 10_000),
    })),
  };
}
