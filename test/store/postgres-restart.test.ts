/**
 * PostgreSQL ending an idle connection (a restart, a failover, an administrator) must not end the process: the
 * pool drops that connection and the store goes on with a new one.
 */
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { ALL, createStore } from '../../src/store/index.ts';
import { freshPostgresDatabase, postgresUrl } from '../helpers/databases.ts';

(postgresUrl() ? describe : describe.skip)('a PostgreSQL connection ended while idle', () => {
  it('is dropped with a warning, and the store keeps working', async () => {
    const databaseUrl = await freshPostgresDatabase(postgresUrl());
    const store = await createStore({ databaseUrl, maxConnections: 2 });
    await store.jobs.list(ALL, { limit: 1 }); // a connection now sits idle in the pool
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    const { rows } = await admin.query<{ ended: boolean }>(
      `select pg_terminate_backend(pid) as ended from pg_stat_activity
       where datname = current_database() and pid <> pg_backend_pid()`,
    );
    await admin.end();
    expect(rows.some((r) => r.ended)).toBe(true);
    const deadline = Date.now() + 5_000;
    while (warnings.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    process.off('warning', onWarning);
    expect(warnings.join('\n')).toMatch(/PostgreSQL ended an idle connection/);
    expect(await store.jobs.list(ALL, { limit: 1 })).toEqual([]);
    await store.close();
  });
});
