/**
 * A bound, not a design (decision 0007): how fast could the per-batch ledger alternative post at best? The cheapest
 * conceivable posting of a queued usage record is taking it off the queue (DELETE … RETURNING, joined to its usage
 * record) and inserting one narrow, indexed line row with a foreign key to the usage record — no rating, no node
 * round trip per batch but the statement itself, no ledger transaction, postings, balances or triggers. This times that
 * for N queued records, in batches of --batch per database transaction, against psql's \copy of the same rows into a
 * bare table on the same server, exactly as bench/ledger.ts does (same fixtures, fresh database per run, ANALYZE).
 * `--design arrays` times a second bound: a ledger that writes no row per record (see DESIGN below).
 *
 *   npx tsx bench/ledger-bound.ts [--records 20000] [--batch 2000] [--runs 5] [--design lines|arrays]
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
import { rate } from '../src/core/money/rating.ts';
import type { PriceBook } from '../src/core/money/price-book.ts';
import { arrayLiteral } from '../src/store/ledger/entries.ts';

const RECORDS = Number(arg('records') ?? 20_000);
const BATCH = Number(arg('batch') ?? 2_000);
const RUNS = Number(arg('runs') ?? 5);
/**
 * `lines` (default): the queue taken and one indexed line row per record, as above. `arrays`: nothing written per
 * record at all — the batch read from `usage_records` past a watermark (an identity column added for it, indexed),
 * every record rated in node with the core's `rate` at its pool's versioned prices, and one row per batch holding the
 * records' ids and fen as arrays, the watermark moved in the same transaction: the bound of a ledger whose lines live
 * inside per-batch rows.
 */
const DESIGN = arg('design') ?? 'lines';
if (DESIGN !== 'lines' && DESIGN !== 'arrays') throw new Error('--design must be lines or arrays');

/** The `arrays` design's posting loop: returns the records posted. */
async function postArrays(client: pg.Client): Promise<number> {
  const prices = await client.query<{
    pool_id: string;
    model: string;
    fen: string;
    from_ms: string;
    to_ms: string | null;
  }>(
    `select p.pool_id, pl.accelerator_model as model, p.fen_per_accelerator_hour as fen,
       (extract(epoch from p.valid_from) * 1000)::bigint as from_ms, (extract(epoch from p.valid_to) * 1000)::bigint as to_ms
     from pool_prices p join pools pl on pl.id = p.pool_id`,
  );
  const book: PriceBook = {
    id: 'bench',
    rounding: 'half-up',
    prices: prices.rows.map((p, i) => ({
      version: String(i),
      poolId: p.pool_id,
      acceleratorModel: p.model,
      fenPerAcceleratorHour: BigInt(p.fen),
      validFrom: new Date(Number(p.from_ms)),
      validTo: p.to_ms === null ? null : new Date(Number(p.to_ms)),
    })),
  };
  let posted = 0;
  for (let batch = 1; ; batch++) {
    await client.query('begin');
    const mark = await client.query<{ seq: string }>('select seq from bound_watermark where id = 1 for update');
    const rows = await client.query<{
      id: string;
      pool_id: string;
      model: string;
      s: string;
      e: string;
      secs: string;
      seq: string;
    }>(
      `select id, pool_id, accelerator_model as model, (extract(epoch from started_at) * 1000)::bigint as s,
         (extract(epoch from ended_at) * 1000)::bigint as e, accelerator_seconds as secs, post_seq as seq
       from usage_records where post_seq > $1 order by post_seq limit $2`,
      [mark.rows[0]!.seq, BATCH],
    );
    if (rows.rows.length === 0) {
      await client.query('commit');
      return posted;
    }
    const ids: string[] = [];
    const fen: bigint[] = [];
    for (const r of rows.rows) {
      const charge = rate(
        {
          poolId: r.pool_id,
          acceleratorModel: r.model,
          startedAt: new Date(Number(r.s)),
          endedAt: new Date(Number(r.e)),
          acceleratorSeconds: BigInt(r.secs),
        },
        book,
      );
      ids.push(r.id);
      fen.push(charge.fen);
    }
    const from = rows.rows[0]!.seq;
    const to = rows.rows[rows.rows.length - 1]!.seq;
    await client.query(
      `with b as (insert into bound_batches values ($1, $2, $3, $4::text[], $5::bigint[]))
       update bound_watermark set seq = $3 where id = 1`,
      [batch, from, to, arrayLiteral(ids), arrayLiteral(fen)],
    );
    await client.query('commit');
    posted += rows.rows.length;
  }
}

const bin = binDir();
const server = await startPostgres(bin);
const records = benchUsageRecords(RECORDS);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
try {
  const results: Array<{ postMs: number; postCpu: number; nodeCpu: number; copyMs: number; copyCpu: number }> = [];
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
    // Since migration 016 new usage records are read from the stream, not queued: queue them as they once were.
    if (DESIGN === 'lines')
      await sql`insert into posting_queue (usage_record_id) select id from usage_records`.execute(store.db);
    await sql`create table bound_lines (usage_record_id text primary key references usage_records(id),
      batch_id bigint not null, fen bigint not null)`.execute(store.db);
    if (DESIGN === 'arrays') {
      await sql`alter table usage_records add column post_seq bigint generated always as identity`.execute(store.db);
      await sql`create unique index usage_records_post_seq on usage_records (post_seq)`.execute(store.db);
      await sql`create table bound_batches (id bigint primary key, from_seq bigint not null, to_seq bigint not null,
        usage_record_ids text[] not null, fen bigint[] not null)`.execute(store.db);
      await sql`create table bound_watermark (id int primary key, seq bigint not null)`.execute(store.db);
      await sql`insert into bound_watermark values (1, 0)`.execute(store.db);
    }
    await createBareUsageTable(store.db);
    await sql`analyze`.execute(store.db);
    await store.close();

    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    const cpu0 = serverCpuSeconds(server.pid);
    const node0 = process.cpuUsage();
    const t0 = performance.now();
    let posted = 0;
    if (DESIGN === 'arrays') posted = await postArrays(client);
    else
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
    const nodeUsage = process.cpuUsage(node0);
    const nodeCpu = (nodeUsage.user + nodeUsage.system) / 1e6;
    await client.end();
    if (posted !== RECORDS) throw new Error(`posted ${posted} of ${RECORDS}`);

    const copy = timeCopy(join(bin, 'psql'), url.toString(), records, () => serverCpuSeconds(server.pid));
    const copyMs = copy.ms;
    const copyCpu = copy.serverCpuS;
    results.push({ postMs, postCpu, nodeCpu, copyMs, copyCpu });
    const rate = (ms: number) => ((RECORDS / ms) * 1000).toFixed(0);
    console.log(
      `run ${run}: bound ${rate(postMs)} records/s (${postMs.toFixed(0)} ms, ${postCpu.toFixed(2)} s PostgreSQL CPU, ${nodeCpu.toFixed(2)} s node CPU), ` +
        `COPY ${rate(copyMs)} rows/s (${copyMs.toFixed(0)} ms, ${copyCpu.toFixed(2)} s), ratio ${(copyMs / postMs).toFixed(3)}`,
    );
  }
  const post = median(results.map((r) => r.postMs));
  const copy = median(results.map((r) => r.copyMs));
  console.log(
    `median: bound ${((RECORDS / post) * 1000).toFixed(0)} records/s, COPY ${((RECORDS / copy) * 1000).toFixed(0)} rows/s, ` +
      `ratio ${(copy / post).toFixed(3)}; PostgreSQL CPU ${median(results.map((r) => r.postCpu)).toFixed(2)} s ` +
      `(bound) and ${median(results.map((r) => r.copyCpu)).toFixed(2)} s (COPY), node CPU ` +
      `${median(results.map((r) => r.nodeCpu)).toFixed(2)} s (bound) per ${RECORDS} records`,
  );
} finally {
  await server.stop();
}
