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
  /**
   * Calls `onNotify` for every NOTIFY on `channel` from any process using this database (LISTEN); resolves once
   * listening. The returned function stops it. Lost connections are reopened, so a restart of the server costs
   * notifications sent meanwhile only: listeners must treat one as a hint and still poll.
   */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
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

  /** Runs `work` on the connection between other callers' statements and transactions, never inside one. */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      return await work();
    } finally {
      client.release();
    }
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
    const databaseUrl = options.databaseUrl;
    const listeners = new Set<() => Promise<void>>();
    return {
      kind: 'postgres',
      db,
      description: redact(options.databaseUrl),
      async listen(channel, onNotify) {
        const stop = await listenOnServer(databaseUrl, channel, onNotify);
        const unlisten = async () => {
          listeners.delete(unlisten);
          await stop();
        };
        listeners.add(unlisten);
        return unlisten;
      },
      async close() {
        await Promise.all([...listeners].map((unlisten) => unlisten()));
        await db.destroy();
      },
    };
  }
  const pglite = new PGlite(options.dataDir ?? 'memory://', {
    parsers: { [pgliteTypes.INT8]: (v: string) => v, [pgliteTypes.NUMERIC]: (v: string) => v },
  });
  await pglite.waitReady;
  const pool = new PGlitePool(pglite);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    kind: 'pglite',
    db,
    description: options.dataDir ? `PGlite at ${options.dataDir}` : 'PGlite in memory',
    async listen(channel, onNotify) {
      const unlisten = await pool.exclusive(() => pglite.listen(channel, () => onNotify()));
      return async () => {
        if (!pglite.closed) await pool.exclusive(() => unlisten());
      };
    },
    close: () => db.destroy(),
  };
}

/** Quotes an identifier for LISTEN, which takes no parameters. */
function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * LISTEN on a connection of its own (a pooled one would be handed to other queries). When the connection ends it is
 * reopened after a growing pause (at most 5 s), and `onNotify` is called once on reconnecting: what was sent while
 * nobody listened is not replayed by PostgreSQL.
 */
async function listenOnServer(url: string, channel: string, onNotify: () => void): Promise<() => Promise<void>> {
  let client: pg.Client | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let failures = 0;
  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: url });
    next.on('notification', (message) => {
      if (message.channel === channel) onNotify();
    });
    next.on('error', () => undefined); // 'end' follows and reconnects
    next.on('end', () => {
      if (client !== next || stopped) return;
      client = null;
      schedule();
    });
    await next.connect();
    await next.query(`LISTEN ${quoteIdentifier(channel)}`);
    if (stopped) {
      await next.end();
      return;
    }
    client = next;
    failures = 0;
  };
  const schedule = () => {
    const pause = Math.min(5000, 100 * 2 ** failures++);
    retry = setTimeout(() => {
      connect()
        .then(() => onNotify())
        .catch((error: unknown) => {
          process.emitWarning(`LISTEN ${channel}: ${error instanceof Error ? error.message : String(error)}`, {
            code: 'SUANLI_PG_LISTEN',
          });
          schedule();
        });
    }, pause);
  };
  await connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    const current = client;
    client = null;
    await current?.end().catch(() => undefined);
  };
}
