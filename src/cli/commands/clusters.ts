/** `suanli clusters [ls]`: one row per pool; `suanli clusters add`: connect a member cluster. */
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import type { Context } from '../context.ts';
import { CliError } from '../errors.ts';
import { json, table, truncate, yuan } from '../format.ts';
import type { ClusterProbeView, ClusterView, FoundPoolView, List } from '../types.ts';

function health(c: ClusterView): string {
  if (c.healthy) return 'ok';
  return c.healthReason === null ? 'down' : `down: ${truncate(c.healthReason, 30)}`;
}

export function clustersTable(clusters: readonly ClusterView[]): string {
  const rows: string[][] = [];
  for (const c of clusters) {
    const cluster = [c.name, c.provider.name, c.provider.city, c.engine, health(c)];
    if (c.pools.length === 0) rows.push([...cluster, '-', '-', '0/0', '0', '-']);
    for (const p of c.pools)
      rows.push([
        ...cluster,
        p.name,
        p.domestic ? `${p.acceleratorModel} (domestic)` : p.acceleratorModel,
        `${p.freeAccelerators}/${p.accelerators}`,
        p.capacityP,
        yuan(p.fenPerAcceleratorHour),
      ]);
  }
  return table(
    [
      { header: 'CLUSTER' },
      { header: 'PROVIDER' },
      { header: 'CITY' },
      { header: 'ENGINE' },
      { header: 'HEALTH' },
      { header: 'POOL' },
      { header: 'MODEL' },
      { header: 'ACCELERATORS', align: 'right' },
      { header: 'CAPACITY (P)', align: 'right' },
      { header: 'PRICE (¥/ACCEL-H)', align: 'right' },
    ],
    rows,
  );
}

/** Engines `clusters add` connects; the server knows more kinds than the CLI has flags for. */
const ADD_ENGINES = ['local', 'slurm', 'kubernetes'] as const;

interface AddClusterOptions {
  provider: string;
  engine: (typeof ADD_ENGINES)[number];
  name?: string;
  config?: string;
  restUrl?: string;
  user?: string;
  tokenFile?: string;
  partition?: string[];
  queueAhead?: number;
  dispatchConcurrency?: number;
  dryRun?: boolean;
  json?: boolean;
}

type EngineConfig = Record<string, unknown>;

/** `--partition a --partition b` or `--partition a,b`. */
export function collectPartitions(value: string, previous: string[] = []): string[] {
  const names = value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (names.length === 0) throw new InvalidArgumentError('must name a partition, e.g. gpu');
  return [...previous, ...names];
}

/** The content of a YAML or JSON file (JSON is YAML) as the engine config; it must be a mapping. */
export async function readEngineConfig(file: string): Promise<EngineConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (e) {
    // The yaml package appends a source excerpt after the first line; the first line says what and where.
    const first = (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
    throw new CliError(`${file} is not valid YAML or JSON: ${first}`, 2);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new CliError(`${file} must hold a mapping of engine settings (e.g. restUrl: ..., user: ...)`, 2);
  return parsed as EngineConfig;
}

function parseQueueAhead(value: string): number {
  if (!/^\d+$/.test(value)) throw new CliError(`--queue-ahead: "${value}" is not a whole number of accelerators`, 2);
  return Number(value);
}

function parseDispatchConcurrency(value: string): number {
  if (!/^[1-9]\d*$/.test(value))
    throw new CliError(`--dispatch-concurrency: "${value}" is not a whole number from 1`, 2);
  return Number(value);
}

/** The engine config from --config FILE, or for slurm from its flags; the token goes by its file's path only. */
async function engineConfig(opts: AddClusterOptions): Promise<EngineConfig> {
  const slurmFlags = [
    opts.restUrl !== undefined && '--rest-url',
    opts.user !== undefined && '--user',
    opts.tokenFile !== undefined && '--token-file',
    opts.partition !== undefined && '--partition',
    opts.queueAhead !== undefined && '--queue-ahead',
    opts.dispatchConcurrency !== undefined && '--dispatch-concurrency',
  ].filter((f): f is string => f !== false);
  if (opts.config !== undefined) {
    if (slurmFlags.length > 0)
      throw new CliError(`give the engine settings either in --config or with ${slurmFlags.join(', ')}, not both`, 2);
    const config = await readEngineConfig(opts.config);
    if ((opts.engine === 'slurm' || opts.engine === 'kubernetes') && 'token' in config)
      throw new CliError(
        `${opts.config}: do not put the ${opts.engine} token in the config; name the file that holds it with tokenFile`,
        2,
      );
    return config;
  }
  if (opts.engine !== 'slurm') {
    const flags = slurmFlags.length > 0 ? ` (${slurmFlags.join(', ')} are for slurm)` : '';
    throw new CliError(`engine ${opts.engine} needs --config FILE${flags}`, 2);
  }
  const missing = [
    opts.restUrl === undefined && "--rest-url URL (slurmrestd's address; --url is the suanli server's)",
    opts.user === undefined && '--user USER',
    opts.tokenFile === undefined && '--token-file PATH',
  ].filter((f): f is string => f !== false);
  if (missing.length > 0)
    throw new CliError(`engine slurm needs --config FILE, or the flags it lacks: ${missing.join(', ')}`, 2);
  return {
    restUrl: opts.restUrl,
    user: opts.user,
    tokenFile: opts.tokenFile,
    ...(opts.partition === undefined ? {} : { partitions: opts.partition }),
    ...(opts.queueAhead === undefined ? {} : { queueAheadAccelerators: opts.queueAhead }),
    ...(opts.dispatchConcurrency === undefined ? {} : { dispatchConcurrency: opts.dispatchConcurrency }),
  };
}

export function foundPoolsTable(pools: readonly FoundPoolView[]): string {
  return table(
    [
      { header: 'POOL' },
      { header: 'MODEL' },
      { header: 'NODES', align: 'right' },
      { header: 'ACCELERATORS', align: 'right' },
    ],
    pools.map((p) => [p.name, p.acceleratorModel, String(p.nodes), String(p.accelerators)]),
  );
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function poolCounts(pools: readonly FoundPoolView[]): string {
  const accelerators = pools.reduce((n, p) => n + p.accelerators, 0);
  return `${plural(pools.length, 'pool')}, ${plural(accelerators, 'accelerator')}`;
}

async function addCluster(ctx: Context, id: string, opts: AddClusterOptions, cmd: Command): Promise<void> {
  const config = await engineConfig(opts);
  const client = await ctx.client(cmd);
  const cluster = {
    id,
    providerId: opts.provider,
    ...(opts.name === undefined ? {} : { name: opts.name }),
    engine: opts.engine,
    config,
  };
  const post = (body: object) =>
    client.json<ClusterProbeView>('POST', '/clusters', {
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' },
    });

  // Probe first and show what was found, so that what gets registered is what the operator saw.
  const { body: probe } = await post({ ...cluster, dryRun: true });
  if (opts.dryRun) {
    if (opts.json) return ctx.out(json(probe));
    ctx.out(probe.pools.length === 0 ? 'No pools found.\n' : foundPoolsTable(probe.pools));
    return ctx.out(`dry run: cluster ${id} not registered (found ${poolCounts(probe.pools)})\n`);
  }
  if (!opts.json) ctx.out(probe.pools.length === 0 ? 'No pools found.\n' : foundPoolsTable(probe.pools));
  const { body: registered } = await post(cluster);
  ctx.out(opts.json ? json(registered) : `cluster ${id} registered (${poolCounts(registered.pools)})\n`);
}

export function registerClusters(program: Command, ctx: Context): void {
  const clusters = program
    .command('clusters')
    .description('list clusters and their pools (the default), or connect a cluster');

  clusters
    .command('ls', { isDefault: true })
    .alias('list')
    .description('list the clusters and their pools: free accelerators, capacity, price')
    .option('--json', 'print the API response as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { body } = await (await ctx.client(cmd)).json<List<ClusterView>>('GET', '/clusters');
      if (opts.json) return ctx.out(json(body));
      ctx.out(body.items.length === 0 ? 'No clusters.\n' : clustersTable(body.items));
    });

  clusters
    .command('add')
    .description('connect a cluster: probe it, show the pools found, then register it (operator, provider admin)')
    .argument('<id>', 'cluster id, a lowercase slug (e.g. hefei-a)')
    .requiredOption('--provider <provider>', 'id of the provider the cluster belongs to')
    .addOption(
      new Option('--engine <engine>', 'how suanli drives the cluster').choices(ADD_ENGINES).makeOptionMandatory(),
    )
    .option('--name <name>', 'display name (default: the id)')
    .option(
      '--config <file>',
      'engine settings as a YAML or JSON file (sent as they are); kubernetes takes only this (docs/kubernetes.md)',
    )
    .option('--rest-url <url>', "slurm: slurmrestd's URL, e.g. http://slurm-head:6820")
    .option('--user <user>', 'slurm: the Unix user jobs run as (not root)')
    .option('--token-file <path>', "slurm: path, on the suanli server, of the file holding slurmrestd's JWT")
    .option(
      '--partition <name>',
      'slurm: a partition to offer (repeat or comma-separate; default all)',
      collectPartitions,
    )
    .option(
      '--queue-ahead <accelerators>',
      "slurm: accelerators per partition that may wait in Slurm's own queue when nothing is free (default 0)",
      parseQueueAhead,
    )
    .option(
      '--dispatch-concurrency <submits>',
      "slurm: submits in flight at once to this cluster (default: the server's loop.dispatchConcurrency, 2); more for a slurmrestd far away",
      parseDispatchConcurrency,
    )
    .option('--dry-run', 'only probe the cluster and show what was found')
    .option('--json', 'print the API response as JSON (instead of the table)')
    .addHelpText(
      'after',
      '\nSecrets stay by reference: --token-file is a path on the suanli server, which reads the token there;\n' +
        'the CLI neither reads nor sends it. --url is, as everywhere, the suanli server: slurmrestd is --rest-url.',
    )
    .action((id: string, opts: AddClusterOptions, cmd: Command) => addCluster(ctx, id, opts, cmd));
}
