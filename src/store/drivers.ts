/**
 * One Kysely database over either PGlite (embedded, data in a folder) or a PostgreSQL server (node-postgres).
 * Both return int8 and numeric as strings, timestamptz as Date and jsonb as parsed values, so repositories see
 * the same rows whichever runs underneath.
 */
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';

export type StoreKind = 'pglite' | 'postgres';

export interface StoreHandle {
  kind: StoreKind;
  db: Kysely<Database>;
  /** A description safe to log (no password). */
  description: string;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** postgres://… selects a PostgreSQL server; otherwise PGlite is used. */
  databaseUrl?: string | undefined;
  /** PGlite's data folder; absent = in memory. */
  dataDir?: string | undefined;
  /** node-postgres pool size. */
  maxConnections?: number;
}

/**
 * PGlite is one connection. Kysely's Postgres driver asks a pool for a client per query or transaction, so hand out
 * the one connection under a mutex: a transaction then never interleaves with another caller's statements.
 */
class PGlitePool implements PostgresPool {
  private queue: Promise<void> = Promise.resolve();
  constructor(private readonly pglite: PGlite) {}

  async connect(): Promise<PostgresPoolClient> {
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    const previous = this.queue;
    this.queue = previous.then(() => turn);
    await previous;
    const pglite = this.pglite;
    return {
      async query(sql: string, parameters: ReadonlyArray<unknown>) {
        // Only the simple protocol (exec) takes several statements, as a migration file has; node-postgres does the
        // same for a parameterless query.
        const result =
          parameters.length === 0 && sql.includes(';')
            ? ((await pglite.exec(sql)).at(-1) ?? { rows: [], affectedRows: 0 })
            : await pglite.query<Record<string, unknown>>(sql, parameters as unknown[]);
        const command = sql.trimStart().slice(0, 6).toUpperCase() as 'SELECT';
        return { command, rowCount: result.affectedRows ?? result.rows.length, rows: result.rows };
      },
      release,
    } as unknown as PostgresPoolClient;
  }

  async end(): Promise<void> {
    await this.queue;
    await this.pglite.close();
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres (unparseable URL)';
  }
}

let pgTypesSet = false;

export async function openStore(options: StoreOptions): Promise<StoreHandle> {
  if (options.databaseUrl) {
    if (!pgTypesSet) {
      // int8 and numeric stay strings (node-postgres' default); make it explicit so a change upstream is visible.
      pg.types.setTypeParser(20, (v) => v);
      pg.types.setTypeParser(1700, (v) => v);
      pgTypesSet = true;
    }
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.maxConnections ?? 10 });
    // An idle connection that the server ends (a restart, a failover, an administrator) is an 'error' event on the
    // pool, which would end the process if nobody listened. The pool drops that connection and opens a new one.
    pool.on('error', (error) =>
      process.emitWarning(`PostgreSQL ended an idle connection: ${error.message}`, { code: 'SUANLI_PG_IDLE' }),
    );
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { kind: 'postgres', db, description: redact(options.databaseUrl), close: () => db.destroy() };
  }
  const pglite = new PGlite(options.dataDir ?? 'memory://', {
    parsers: { [pgliteTypes.INT8]: (v: string) => v, [pgliteTypes.NUMERIC]: (v: string) => v },
  });
  await pglite.waitReady;
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new PGlitePool(pglite) }) });
  return {
    kind: 'pglite',
    db,
    description: options.dataDir ? `PGlite at ${options.dataDir}` : 'PGlite in memory',
    close: () => db.destroy(),
  };
}
