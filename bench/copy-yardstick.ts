/**
 * The yardstick of the ledger benchmarks (bench/ledger.ts, bench/ledger-bound.ts): the same usage records as CSV,
 * `psql -c "\copy …"` (COPY … FROM STDIN) into a table with no keys, indexes or triggers.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { Store } from '../src/store/index.ts';
import type { UsageInput } from '../test/helpers/ledger-fixtures.ts';

export async function createBareUsageTable(db: Store['db']): Promise<void> {
  await sql`create table bare_usage (id text, tenant_id text, pool_id text, accelerator_model text,
    started_at timestamptz, ended_at timestamptz, accelerator_seconds bigint)`.execute(db);
}

/** COPYs the records into `bare_usage` with psql; returns the wall time and the server's CPU seconds it took. */
export function timeCopy(
  psql: string,
  url: string,
  records: readonly UsageInput[],
  serverCpuSeconds: () => number,
): { ms: number; serverCpuS: number } {
  const dir = mkdtempSync(join(os.tmpdir(), 'suanli-bench-copy-'));
  try {
    const csv = join(dir, 'usage.csv');
    const line = (r: UsageInput) =>
      [r.id, r.tenant, r.poolId, r.model, r.startedAt.toISOString(), r.endedAt.toISOString(), r.acceleratorSeconds]
        .map(String)
        .join(',');
    writeFileSync(csv, records.map(line).join('\n') + '\n');
    const cpuBefore = serverCpuSeconds();
    const started = performance.now();
    const out = execFileSync(psql, [
      url,
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      `\\copy bare_usage from '${csv}' with (format csv)`,
    ]);
    const ms = performance.now() - started;
    const serverCpuS = serverCpuSeconds() - cpuBefore;
    if (!out.toString().includes(`COPY ${records.length}`)) throw new Error(`psql \\copy said: ${out.toString()}`);
    return { ms, serverCpuS };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
