/**
 * A bound, not a design (decision 0007): how fast could the per-batch ledger alternative post at best? The cheapest
 * conceivable posting of a queued usage record is taking it off the queue (DELETE … RETURNING, joined to its usage
 * record) and inserting one narrow, indexed line row with a foreign key to the usage record — no rating, no node
 * round trip per batch but the statement itself, no ledger transaction, postings, balances or triggers. This times that
 * for N queued records, in batches of --batch per database transaction, against psql's \copy of the same rows into a
 * bare table on the same server, exactly as bench/ledger.ts does (same fixtures, fresh database per run, ANALYZE).
 *
 *   npx tsx bench/ledger-bound.ts [--records 20000] [--batch 2000] [--runs 5]
 */
import { join } from 'node:path';
import pg from 'pg';
import { sql } from 'kysely';
import { createStore } from '../src/store/index.ts';
import { serverCpuSeconds } from './process-cpu.ts';
import { binDir, startPostgres } from './throwaway-postgres.ts';
import { benchUsageRecords, insertUsage, seedLedgerFederation } from '../test/helpers/ledger-fixtures.ts';
import { arg } from './args.ts';
import { createBareUsageTable, timeCopy } from './copy-yardstick.ts';

const RECORDS = Number(arg('records') ?? 20_000);
const BATCH = Number(arg('batch') ?? 2_000);
const RUNS = Number(arg('runs') ?? 5);

const bin = binDir();
const server = await startPostgres(bin);
const records = benchUsageRecords(RECORDS);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
try {
  const results: Array<{ postMs: number; postCpu: number; copyMs: number; copyCpu: number }> = [];
  for (let run = 1; run <= RUNS; run++) {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`drop database if exists suanli_bench_bound_${run}`);
    await admin.query(`create database suanli_bench_bound_${run}`);
    await admin.end();
    const url = new URL(server.url);
    url.pathname = `/suanli_bench_bound_${run}`;
    const store = await createStore({ databaseUrl: url.toString(), maxConnections: 2 });
    await seedLedgerFederation(store.db);
    for (let i = 0; i < records.length; i += 5_000) await insertUsage(store.db, records.slice(i, i + 5_000));
    await sql`create table bound_lines (usage_record_id text primary key references usage_records(id),
      batch_id bigint not null, fen bigint not null)`.execute(store.db);
    await createBareUsageTable(store.db);
    await sql`analyze`.execute(store.db);
    await store.close();

    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    const cpu0 = serverCpuSeconds(server.pid);
    const t0 = performance.now();
    let posted = 0;
    for (let batch = 1; ; batch++) {
      await client.query('begin');
      const r = await client.query(
        `with taken as (
          delete from posting_queue where ctid = any(array(
            select ctid from posting_queue where unpriced_reason is null
            order by enqueued_at, usage_record_id limit $1 for update skip locked))
          returning usage_record_id)
        insert into bound_lines (usage_record_id, batch_id, fen)
        select u.id, $2, u.accelerator_seconds from taken q join usage_records u on u.id = q.usage_record_id`,
        [BATCH, batch],
      );
      await client.query('commit');
      posted += r.rowCount ?? 0;
      if ((r.rowCount ?? 0) === 0) break;
    }
    const postMs = performance.now() - t0;
    const postCpu = serverCpuSeconds(server.pid) - cpu0;
    await client.end();
    if (posted !== RECORDS) throw new Error(`posted ${posted} of ${RECORDS}`);

    const copy = timeCopy(join(bin, 'psql'), url.toString(), records, () => serverCpuSeconds(server.pid));
    const copyMs = copy.ms;
    const copyCpu = copy.serverCpuS;
    results.push({ postMs, postCpu, copyMs, copyCpu });
    const rate = (ms: number) => ((RECORDS / ms) * 1000).toFixed(0);
    console.log(
      `run ${run}: bound ${rate(postMs)} records/s (${postMs.toFixed(0)} ms, ${postCpu.toFixed(2)} s PostgreSQL CPU), ` +
        `COPY ${rate(copyMs)} rows/s (${copyMs.toFixed(0)} ms, ${copyCpu.toFixed(2)} s), ratio ${(copyMs / postMs).toFixed(3)}`,
    );
  }
  const post = median(results.map((r) => r.postMs));
  const copy = median(results.map((r) => r.copyMs));
  console.log(
    `median: bound ${((RECORDS / post) * 1000).toFixed(0)} records/s, COPY ${((RECORDS / copy) * 1000).toFixed(0)} rows/s, ` +
      `ratio ${(copy / post).toFixed(3)}; PostgreSQL CPU ${median(results.map((r) => r.postCpu)).toFixed(2)} s ` +
      `(bound) and ${median(results.map((r) => r.copyCpu)).toFixed(2)} s (COPY) per ${RECORDS} records`,
  );
} finally {
  await server.stop();
}
