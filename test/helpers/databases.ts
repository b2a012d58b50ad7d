/**
 * Runs a suite against each database suanli supports: PGlite (embedded) and a PostgreSQL server (from the global
 * setup). Each call gets a fresh, empty database, so suites never see each other's rows.
 */
import { describe, inject } from 'vitest';
import pg from 'pg';
import { createStore, type Store } from '../../src/store/index.ts';

export type DatabaseKind = 'pglite' | 'postgres';

export interface TestDatabase {
  kind: DatabaseKind;
  /** A new, migrated store on a fresh database. */
  open(): Promise<Store>;
  /** The URL of another fresh database (postgres only), for tests where several processes share one database. */
  freshUrl(): Promise<string | undefined>;
}

let counter = 0;

export async function freshPostgresDatabase(baseUrl: string): Promise<string> {
  const name = `suanli_test_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export function postgresUrl(): string {
  return inject('postgresUrl');
}

/** describe() once per database kind; PostgreSQL is skipped (visibly) only when no server is available. */
export function describeEachDatabase(title: string, body: (db: TestDatabase) => void): void {
  describe(`${title} [pglite]`, () => {
    body({
      kind: 'pglite',
      open: () => createStore({}),
      freshUrl: async () => undefined,
    });
  });
  const base = postgresUrl();
  (base ? describe : describe.skip)(`${title} [postgres]`, () => {
    body({
      kind: 'postgres',
      freshUrl: () => freshPostgresDatabase(base),
      open: async () => createStore({ databaseUrl: await freshPostgresDatabase(base), maxConnections: 5 }),
    });
  });
}
