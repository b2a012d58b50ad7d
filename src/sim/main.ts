/**
 * `npm run sim -- --trace philly-pollux|openb [--policies fifo,fifo-backfill,suanli] [--policy FILE] [--limit N]
 * [--out DIR]`
 * Reads the trace in place (../shared/traces, or $SUANLI_TRACES), replays it under each policy, prints the
 * side-by-side table and writes sim-<trace>-<date>.{json,md,svg} into --out. `--policy FILE` runs the suanli policy
 * with the file's `policy:` section merged over DEFAULT_POLICY, as `suanli server --config` does.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_POLICY } from '../core/scheduler/index.ts';
import { readCsvRecords } from './csv.ts';
import type { ClusterOutage, SimTrace } from './model.ts';
import { runOpenb } from './openb-main.ts';
import { parsePhillyRecord, phillyTrace } from './philly.ts';
import { readPolicyFile, resolvePolicies } from './policies.ts';
import { chartFor, compare, defaultEngineOptions, jsonReport, markdownReport } from './run.ts';
import type { Provenance } from './run.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function tracesRoot(): string {
  return process.env.SUANLI_TRACES ?? resolve(REPO_ROOT, '..', 'shared', 'traces');
}

export function machine(): string {
  const c = cpus();
  return `${c[0]?.model ?? 'unknown CPU'} × ${c.length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}`;
}

/** "cluster:startHour:endHour" → an outage in seconds. */
export function parseOutage(text: string): ClusterOutage {
  const [clusterId, a, b] = text.split(':');
  const at = Number(a) * 3600;
  const until = Number(b) * 3600;
  if (!clusterId || !Number.isFinite(at) || !Number.isFinite(until) || until <= at) {
    throw new Error(`--outage wants cluster:startHour:endHour, got ${text}`);
  }
  return { clusterId, at, until };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      trace: { type: 'string', default: 'philly-pollux' },
      policies: { type: 'string', default: 'fifo,fifo-backfill,suanli' },
      policy: { type: 'string' },
      limit: { type: 'string' },
      out: { type: 'string', default: 'bench/results' },
      scale: { type: 'string' },
      window: { type: 'string' },
      'preempt-exempt': { type: 'string' },
      'half-life-hours': { type: 'string' },
      outage: { type: 'string', multiple: true },
      seeds: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const names = (values.policies ?? '').split(',').filter((s) => s !== '');
  const policyConfig = values.policy === undefined ? DEFAULT_POLICY : readPolicyFile(values.policy);
  const { policies, missing } = resolvePolicies(names, policyConfig);
  if (missing.length > 0) throw new Error(`unknown policies: ${missing.join(', ')}`);
  const date = new Date().toISOString().slice(0, 10);
  const command = `npm run sim -- ${process.argv.slice(2).join(' ')}`.trim();
  const out = resolve(process.cwd(), values.out ?? 'bench/results');
  const limit = values.limit === undefined ? undefined : Number(values.limit);

  if (values.trace === 'openb') {
    await runOpenb({
      root: tracesRoot(),
      policies,
      out,
      date,
      command,
      machine: machine(),
      limit,
      seeds: values.seeds,
      write: !values['no-write'],
    });
    return;
  }
  if (values.trace !== 'philly-pollux') throw new Error(`--trace wants philly-pollux or openb, got ${values.trace}`);

  const file = join(tracesRoot(), 'philly-pollux', 'traces', 'philly.csv');
  const t0 = performance.now();
  const records = await readCsvRecords(file);
  const trace: SimTrace = phillyTrace(
    records.map((r, i) => parsePhillyRecord(r, i)),
    { ...(limit !== undefined ? { limit } : {}), ...(values.scale ? { scale: Number(values.scale) } : {}) },
  );
  const readSeconds = (performance.now() - t0) / 1000;
  const options = defaultEngineOptions(policyConfig);
  if (values.window !== undefined) options.maxPending = Number(values.window);
  if (values['half-life-hours'] !== undefined) options.halfLifeSeconds = Number(values['half-life-hours']) * 3600;
  if (values['preempt-exempt'] !== undefined) options.preemptExemptSeconds = Number(values['preempt-exempt']);
  if (values.outage) options.outages = values.outage.map(parseOutage);
  console.log(`${trace.name}: read ${trace.jobs.length} jobs in ${readSeconds.toFixed(1)} s; ${trace.notes[0] ?? ''}`);

  const comparison = compare(trace, policies, options, (r) =>
    console.log(`  ${r.metrics.policy}: ${r.wallSeconds.toFixed(1)} s (policy ${r.policySeconds.toFixed(1)} s)`),
  );
  const provenance: Provenance = { command, date, machine: machine(), traceFile: relative(REPO_ROOT, file) };
  const md = markdownReport(trace, comparison, provenance, options, policyConfig);
  console.log('\n' + md);
  if (values['no-write']) return;
  mkdirSync(out, { recursive: true });
  const base = join(out, `sim-philly-${date}`);
  writeFileSync(`${base}.md`, md);
  writeFileSync(`${base}.json`, JSON.stringify(jsonReport(trace, comparison, provenance, options), null, 2) + '\n');
  writeFileSync(`${base}.svg`, chartFor(trace, comparison));
  console.log(`wrote ${relative(process.cwd(), base)}.{md,json,svg}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
