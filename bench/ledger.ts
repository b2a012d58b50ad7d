/**
 * Ledger posting throughput against PostgreSQL: N usage records (default 20,000) read from the ledger's stream, rated
 * with their pools' versioned prices and posted as balanced charge transactions whose lines are the records (with the
 * database's balance, line, append-only and overdraft triggers), in batches of --batch records per database
 * transaction — beside, in the same run on the same server, a plain COPY (psql's \copy, i.e. COPY … FROM STDIN) of
 * the same N rows into a bare table with no index or trigger. Reports records/s for both and their ratio, and writes
 * bench/results/ledger-<YYYY-MM-DD>[-workersN].md.
 *
 *   npx tsx bench/ledger.ts [--records 20000] [--batch 5000] [--workers 1] [--runs 5] [--warmup 1] [--programmes]
 *     [--database-url URL] [--no-write]
 *   (or: npm run bench:ledger -- --records 20000)
 *
 * Without --database-url a throwaway PostgreSQL is started from Debian's binaries in a temp folder (as the tests'
 * global setup does, with fsync off: both sides of the comparison run on the same server and settings).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { sql } from 'kysely';
import { createStore } from '../src/store/index.ts';
import { LEDGER_BATCH, type SubsidyProgramme, type SubsidySource } from '../src/store/ledger/index.ts';
import { evaluateSubsidies } from '../src/core/money/programmes/evaluate.ts';
import { loadShippedProgrammes } from '../src/money/programme-files.ts';
import { serverCpuSeconds } from './process-cpu.ts';
import { binDir, startPostgres } from './throwaway-postgres.ts';
import { benchUsageRecords, insertUsage, seedLedgerFederation } from '../test/helpers/ledger-fixtures.ts';
import { arg } from './args.ts';
import { createBareUsageTable, timeCopy } from './copy-yardstick.ts';

const RECORDS = Number(arg('records') ?? 20_000);
/** Records per batch; by default the control loop's (LEDGER_BATCH). */
const BATCH = Number(arg('batch') ?? LEDGER_BATCH);
/** Posters running at once, each on its own connection (each batch locks the stream position while it posts). */
const WORKERS = Number(arg('workers') ?? 1);
/** Measurements, each on a fresh database; the median (by posting rate) is the result. */
const RUNS = Number(arg('runs') ?? 5);
/**
 * Runs before those, measured and shown but not counted: the first run in a fresh node process is slower (its code is
 * not yet compiled by the JIT), which a poster running in a server for days is not.
 */
const WARMUP = Number(arg('warmup') ?? 1);
const WRITE = !process.argv.includes('--no-write');
/**
 * With --programmes the shipped programmes are loaded, as the server posts with them, and the office has awarded one
 * tenant of three Anhui 2.0's 20%: every record is evaluated, and that tenant's are posted with charges and awards of
 * their own, the others as lines.
 */
const PROGRAMMES = process.argv.includes('--programmes');
if (!Number.isInteger(RECORDS) || RECORDS < 1) throw new Error('--records must be a positive integer');
if (!Number.isInteger(BATCH) || BATCH < 1) throw new Error('--batch must be a positive integer');
if (!Number.isInteger(WORKERS) || WORKERS < 1) throw new Error('--workers must be a positive integer');
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error('--runs must be a positive integer');
if (!Number.isInteger(WARMUP) || WARMUP < 0) throw new Error('--warmup must be a whole number');

async function freshDatabase(baseUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  await client.query(`drop database if exists ${name}`);
  await client.query(`create database ${name}`);
  await client.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

interface Measurement {
  postingMs: number;
  postingNodeCpuS: number;
  postingServerCpuS: number;
  copyMs: number;
  copyServerCpuS: number;
  transactions: string;
  postings: string;
  /** Records charged as lines of charges of many (the rest have charges of their own). */
  lines: string;
}

const bin = arg('database-url') ? null : binDir();
const server = bin ? await startPostgres(bin) : null;
const baseUrl = arg('database-url') ?? server!.url;
const psql = join(bin ?? binDir(), 'psql');
const serverCpu = () => (server ? serverCpuSeconds(server.pid) : NaN);
const records = benchUsageRecords(RECORDS);

/** One measurement on a fresh database: post the queued records, then COPY the same rows into a bare table. */
async function measure(run: number): Promise<Measurement> {
  const url = await freshDatabase(baseUrl, `suanli_bench_ledger_${run}`);
  const store = await createStore({ databaseUrl: url, maxConnections: WORKERS + 1 });
  await seedLedgerFederation(store.db);
  for (let i = 0; i < records.length; i += 5_000) await insertUsage(store.db, records.slice(i, i + 5_000));
  // Statistics for the freshly loaded tables, as autovacuum gathers them in a running system after a bulk load:
  // without them the planner guesses the queue is tiny and scans and sorts all of it for every batch.
  await sql`analyze`.execute(store.db);
  let subsidies: SubsidySource | undefined;
  if (PROGRAMMES) {
    const at = new Date('2026-11-01T00:00:00Z');
    await store.ledger.setAwardedRate({
      actor: 'bench',
      at,
      programmeId: 'anhui-2025-compute',
      tenantId: 'acme',
      basisPoints: 2000,
    });
    const programmes = (await loadShippedProgrammes()).filter(
      (p): p is SubsidyProgramme => p.kind === 'SubsidyProgramme',
    );
    subsidies = {
      programmes,
      evaluate: evaluateSubsidies,
      options: { awardedRates: await store.ledger.awardedRates() },
    };
  }

  const cpuBefore = process.cpuUsage();
  const serverBefore = serverCpu();
  const started = performance.now();
  const reports = await Promise.all(
    Array.from({ length: WORKERS }, () =>
      store.ledger.postPending({
        now: new Date(),
        limit: BATCH,
        maxBatches: Number.MAX_SAFE_INTEGER,
        ...(subsidies ? { subsidies } : {}),
      }),
    ),
  );
  const postingMs = performance.now() - started;
  const nodeCpu = process.cpuUsage(cpuBefore);
  const postingServerCpuS = serverCpu() - serverBefore;
  const posted = reports.reduce((n, r) => n + r.posted, 0);
  const unpriced = reports.reduce((n, r) => n + r.unpriced.length, 0);
  if (posted !== RECORDS || unpriced > 0 || (await store.ledger.queued()) !== 0) {
    throw new Error(`posted ${posted} of ${RECORDS} (${unpriced} unpriced)`);
  }
  const check = await sql<{ transactions: string; postings: string; total: string | null; lines: string }>`select
      (select count(*) from ledger_transactions) as transactions, (select count(*) from ledger_postings) as postings,
      (select sum(fen)::text from ledger_postings) as total,
      (select coalesce(sum(cardinality(usage_seqs)), 0) from ledger_charge_lines) as lines`.execute(store.db);
  const counts = check.rows[0]!;
  if (counts.total !== '0') throw new Error(`postings add up to ${counts.total}, not 0`);

  // The baseline: the same rows, COPY … FROM STDIN through psql into a bare table (no keys, indexes or triggers).
  await createBareUsageTable(store.db);
  await store.close();
  const copy = timeCopy(psql, url, records, serverCpu);
  const copyMs = copy.ms;
  const copyServerCpuS = copy.serverCpuS;
  return {
    postingMs,
    postingNodeCpuS: (nodeCpu.user + nodeCpu.system) / 1e6,
    postingServerCpuS,
    copyMs,
    copyServerCpuS,
    transactions: counts.transactions,
    postings: counts.postings,
    lines: counts.lines,
  };
}

const rate = (ms: number) => (RECORDS / ms) * 1000;
try {
  const runs: Measurement[] = [];
  const warmups: Measurement[] = [];
  for (let run = 1; run <= WARMUP + RUNS; run++) {
    const m = await measure(run);
    (run <= WARMUP ? warmups : runs).push(m);
    console.log(
      `${run <= WARMUP ? 'warm-up' : 'run'} ${run}: posting ${rate(m.postingMs).toFixed(0)} records/s (${m.postingMs.toFixed(0)} ms; CPU ` +
        `${m.postingNodeCpuS.toFixed(2)} s node + ${m.postingServerCpuS.toFixed(2)} s PostgreSQL), ` +
        `COPY ${rate(m.copyMs).toFixed(0)} rows/s (${m.copyMs.toFixed(0)} ms), ratio ${(m.copyMs / m.postingMs).toFixed(3)}`,
    );
  }
  const median = [...runs].sort((a, b) => a.postingMs - b.postingMs)[Math.floor((runs.length - 1) / 2)]!;
  const medianCopy = [...runs].sort((a, b) => a.copyMs - b.copyMs)[Math.floor((runs.length - 1) / 2)]!.copyMs;
  const postingRate = rate(median.postingMs);
  const copyRate = rate(medianCopy);
  const ratio = postingRate / copyRate;
  const cpuRate = RECORDS / (median.postingNodeCpuS + median.postingServerCpuS);
  console.log(
    `median: posting ${postingRate.toFixed(0)} records/s, COPY ${copyRate.toFixed(0)} rows/s, ratio ${ratio.toFixed(3)} ` +
      `(targets: ≥ 10,000 records/s and ≥ 0.25 of COPY); ${cpuRate.toFixed(0)} records per CPU-second`,
  );
  if (WRITE) {
    const date = new Date().toISOString().slice(0, 10);
    const version = execFileSync(psql, ['--version']).toString().trim();
    const met = (ok: boolean) => (ok ? 'met' : 'not met');
    const rows = [...warmups, ...runs]
      .map(
        (m, i) =>
          `| ${i < warmups.length ? `${i + 1} (warm-up, not counted)` : i + 1} | ${m.postingMs.toFixed(0)} | ${rate(m.postingMs).toFixed(0)} | ${m.postingNodeCpuS.toFixed(2)} | ` +
          `${m.postingServerCpuS.toFixed(2)} | ${m.copyMs.toFixed(0)} | ${rate(m.copyMs).toFixed(0)} | ` +
          `${m.copyServerCpuS.toFixed(2)} | ${(m.copyMs / m.postingMs).toFixed(3)} |`,
      )
      .join('\n');
    const text = `# Ledger posting benchmark, ${date}

- Machine: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}
- Command: \`npm run bench:ledger -- --records ${RECORDS} --batch ${BATCH} --workers ${WORKERS} --runs ${RUNS} --warmup ${WARMUP}${PROGRAMMES ? ' --programmes' : ''}\` (bench/ledger.ts)
- Database: ${arg('database-url') ? 'the server given by --database-url' : `a throwaway PostgreSQL (${version}) with fsync, synchronous_commit and full_page_writes off`}, same server for both measurements, a fresh database per run, its statistics gathered (ANALYZE) after loading the usage records, before timing.
- Posting: ${RECORDS} usage records (3 tenants, 3 priced pools, one price change mid-month) read from the ledger's stream past its
  position, rated with the core's \`rate\` and posted, ${BATCH} records per database transaction, ${WORKERS} poster(s) at once, ${
    PROGRAMMES
      ? `the shipped programmes loaded and Anhui 2.0's 20% awarded to one tenant of three: every record evaluated, ${median.lines} charged as
  lines of its batch's charge transaction for its tenant, provider and month, the others with a charge and an award of their own`
      : `no vouchers or programmes loaded: each record is a line of its batch's charge transaction for its tenant, provider and month`
  }
  (tenant wallet debited, provider payable and platform fee credited), through the checks of migrations 007-016 (each statement's
  transactions balance, accounts, tenants and providers exist, the lines add up to their charge, cached balances kept, pools and
  vouchers not overdrawn, append-only) and the stream position moved. ${median.transactions} transactions and ${median.postings} postings per run;
  postings add up to 0. The first ${WARMUP} run(s) warm node's JIT up and are shown, not counted.
- COPY: the same ${RECORDS} rows as CSV through \`psql -c "\\copy bare_usage from … with (format csv)"\` (COPY … FROM STDIN) into a
  table with no keys, indexes or triggers; the time includes starting psql.
- CPU: the node process's user + system time, and the PostgreSQL server's and its backends' from /proc. The machine is
  shared with other work (load average when the run ended: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}), which moves wall-clock rates much more than CPU seconds.

| run | posting ms | records/s | node CPU s | PostgreSQL CPU s | COPY ms | COPY rows/s | COPY PostgreSQL CPU s | ratio |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows}

Median: **${postingRate.toFixed(0)} records/s** rated and posted (target ≥ 10,000: ${met(postingRate >= 10_000)}); COPY of the same
rows ${copyRate.toFixed(0)} rows/s; ratio **${ratio.toFixed(3)}** (target ≥ 0.25: ${met(ratio >= 0.25)}); ${cpuRate.toFixed(0)} records per
CPU-second of node and PostgreSQL together.

What separates the two: COPY appends ${RECORDS} rows to one table with no index, constraint or trigger. Posting reads
the records past the stream position (one statement per batch, under the position's row lock), rates each in node,
and writes — one statement per batch — a charge transaction per tenant, provider and month with its 2–3 postings
and its lines (the records' numbers, fen, fees and price versions as arrays in one row), checked by the database's
triggers, and moves the position in the same statement: a handful of rows per batch, not per record (migration 016,
docs/decisions/0009-charge-lines.md).
`;
    const suffix =
      (WORKERS === 1 ? '' : `-workers${WORKERS}`) +
      (BATCH === LEDGER_BATCH ? '' : `-batch${BATCH}`) +
      (PROGRAMMES ? '-programmes' : '');
    const file = join(dirname(fileURLToPath(import.meta.url)), 'results', `ledger-${date}${suffix}.md`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    console.log(`wrote ${file}`);
  }
} finally {
  await server?.stop();
}
