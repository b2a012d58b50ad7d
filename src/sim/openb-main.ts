/** `--trace openb`: FGD's static replay with the platform's policies, next to FGD's published numbers. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { readCsvRecords } from './csv.ts';
import {
  fgdBestFitShared,
  fgdReplay,
  fgdWorkload,
  openbPools,
  parseOpenbNode,
  parseOpenbPod,
  publishedAllocation,
} from './openb.ts';
import type { FgdPoint } from './openb.ts';
import { renderOpenbChart } from './openb-svg.ts';
import type { NamedPolicy } from './policies.ts';

export interface OpenbRun {
  root: string;
  policies: readonly NamedPolicy[];
  out: string;
  date: string;
  command: string;
  machine: string;
  limit: number | undefined;
  seeds: string | undefined;
  write: boolean;
}

interface Row {
  name: string;
  at100: number;
  at130: number;
  occupied100: number;
  failed130: number;
  seconds: number;
}

function at(points: readonly FgdPoint[], arrived: number): FgdPoint | undefined {
  return points.find((p) => p.arrived === arrived) ?? points[points.length - 1];
}

export async function runOpenb(o: OpenbRun): Promise<void> {
  const dir = join(o.root, 'alibaba-gpu-v2023-openb');
  const nodes = (await readCsvRecords(join(dir, 'csv', 'openb_node_list_gpu_node.csv'))).map(parseOpenbNode);
  const pods = (await readCsvRecords(join(dir, 'csv', 'openb_pod_list_default.csv'), o.limit)).map(parseOpenbPod);
  const published = publishedAllocation(
    await readCsvRecords(join(dir, 'published_results', 'analysis_allo_discrete.csv')),
  );
  const pools = openbPools(nodes);
  const clusterGpus = nodes.reduce((s, n) => s + n.gpus, 0);
  const seeds = (o.seeds ?? '42,43,44').split(',').map(Number);
  console.log(`openb: ${nodes.length} GPU nodes, ${clusterGpus} GPUs, ${pods.length} pods; seeds ${seeds.join(',')}`);

  const rows: Row[] = [];
  const measure = (name: string, run: (workload: ReturnType<typeof fgdWorkload>) => FgdPoint[]): void => {
    const t0 = performance.now();
    const per = seeds.map((seed) => run(fgdWorkload(pods, clusterGpus, seed)));
    const avg = (f: (p: FgdPoint) => number, a: number): number =>
      per.reduce((s, pts) => s + f(at(pts, a) ?? { arrived: a, allocated: NaN, occupied: NaN, failed: NaN }), 0) /
      per.length;
    rows.push({
      name,
      at100: avg((p) => p.allocated, 100),
      at130: avg((p) => p.allocated, 130),
      occupied100: avg((p) => p.occupied, 100),
      failed130: avg((p) => p.failed, 130),
      seconds: (performance.now() - t0) / 1000,
    });
    console.log(`  ${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  };
  for (const p of o.policies) measure(`${p.name} (whole GPUs)`, (w) => fgdReplay(pools, w, p.policy));
  measure('reference best fit with GPU sharing (src/sim)', (w) => fgdBestFitShared(nodes, w));

  const lines = [
    `# Simulator: openb (FGD replay), ${o.date}`,
    '',
    `- command: \`${o.command}\``,
    `- machine: ${o.machine}`,
    `- cluster: ${nodes.length} GPU nodes, ${clusterGpus} GPUs (openb_node_list_gpu_node.csv); pods: openb_pod_list_default.csv (${pods.length} rows; CPU-only pods skipped)`,
    `- procedure: FGD's — pods sorted by name, shuffled per seed (mulberry32, seeds ${seeds.join(', ')}), tuned up to 130 % of cluster GPUs by sampling with replacement, placed one by one, never removed; a pod that fits nowhere fails`,
    '- allocation ratio = GPU request (num_gpu × gpu_milli) of placed pods / cluster GPU-milli, at 100 % and 130 % arrived workload; the platform gives a fractional pod one whole accelerator, so "occupied" (whole accelerators held) is also shown',
    '',
    '| policy | allocation % at 100 % arrived | at 130 % | occupied % at 100 % | failed pods at 130 % | s |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.at100.toFixed(2)} | ${r.at130.toFixed(2)} | ${r.occupied100.toFixed(2)} | ${r.failed130.toFixed(0)} | ${r.seconds.toFixed(1)} |`,
    ),
    ...published.map(
      (p) =>
        `| FGD paper: ${p.policy} (GPU sharing, CPU-aware; ${p.seeds} seeds) | ${p.at100.toFixed(2)} | ${p.at130.toFixed(2)} | – | – | – |`,
    ),
    '',
  ];
  const md = lines.join('\n');
  console.log('\n' + md);
  if (!o.write) return;
  mkdirSync(o.out, { recursive: true });
  const base = join(o.out, `sim-openb-${o.date}`);
  writeFileSync(`${base}.md`, md);
  writeFileSync(
    `${base}.svg`,
    renderOpenbChart({
      title: `openb (FGD replay): GPU allocation ratio, mean of ${seeds.length} seed${seeds.length === 1 ? '' : 's'}, ${o.date}`,
      note: 'The platform allocates whole accelerators (a fractional pod gets a whole GPU): the gap to FGD shows the cost of not sharing GPUs.',
      levels: [100, 130],
      series: [
        ...rows.map((r, i) => ({
          name: r.name,
          values: [r.at100, r.at130],
          kind: i < o.policies.length ? ('ours' as const) : ('reference' as const),
        })),
        ...published.map((p) => ({ name: p.policy, values: [p.at100, p.at130], kind: 'published' as const })),
      ],
    }),
  );
  writeFileSync(
    `${base}.json`,
    JSON.stringify(
      { trace: 'openb', provenance: { command: o.command, date: o.date, machine: o.machine }, seeds, rows, published },
      null,
      2,
    ) + '\n',
  );
  console.log(`wrote ${relative(process.cwd(), base)}.{md,json,svg}`);
}
