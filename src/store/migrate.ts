/** Applies the ordered SQL migrations in ./migrations, each in its own transaction, once. */
import { readdirSync, readFileSync } from 'node:fs';
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function listMigrations(): Migration[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((file) => /^\d{3}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 3)),
      name: file.slice(4, -4),
      sql: readFileSync(new URL(file, MIGRATIONS_DIR), 'utf8'),
    }));
}

/** Returns the versions it applied. Safe to run from several processes at once (an advisory lock serialises them). */
export async function migrate(db: Kysely<Database>): Promise<number[]> {
  const applied: number[] = [];
  await db.transaction().execute(async (tx) => {
    // Transaction-scoped: released at commit, so a crashed migrator never leaves it held.
    await sql`select pg_advisory_xact_lock(7362010)`.execute(tx);
    await sql`create table if not exists schema_migrations (
      version integer primary key, name text not null, applied_at timestamptz not null default now())`.execute(tx);
    const done = new Set((await tx.selectFrom('schema_migrations').select('version').execute()).map((r) => r.version));
    for (const migration of listMigrations()) {
      if (done.has(migration.version)) continue;
      await sql.raw(migration.sql).execute(tx);
      await tx.insertInto('schema_migrations').values({ version: migration.version, name: migration.name }).execute();
      applied.push(migration.version);
    }
  });
  return applied;
}
