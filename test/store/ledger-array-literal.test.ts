/**
 * The ledger's writer sends each column of a batch as one PostgreSQL array literal that it builds itself
 * (entries.ts `arrayLiteral`): whatever the strings (quotes, backslashes, braces, commas, white space, "NULL", empty,
 * any Unicode), PostgreSQL must read back exactly the values sent, on PGlite and on PostgreSQL.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.ts';
import { arrayLiteral } from '../../src/store/ledger/entries.ts';
import { describeEachDatabase } from '../helpers/databases.ts';

describeEachDatabase('ledger array literals', (database) => {
  let store: Store;
  beforeAll(async () => {
    store = await database.open();
  });
  afterAll(async () => store.close());

  const roundTrip = async (values: Array<string | null>) => {
    const rows = await sql<{ v: string | null }>`select v
      from unnest(${arrayLiteral(values)}::text[]) with ordinality as x(v, i) order by x.i`.execute(store.db);
    return rows.rows.map((r) => r.v);
  };

  it('reads back every string exactly, nulls as nulls', async () => {
    const tricky = [
      '',
      'NULL',
      'null',
      ' a ',
      'a,b',
      '{x}',
      'say "hi"',
      'back\\slash',
      'tab\tnew\nline',
      '中文 ¥1',
      null,
    ];
    expect(await roundTrip(tricky)).toEqual(tricky);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(fc.string({ unit: 'grapheme' }), { nil: null }), { maxLength: 20 }),
        async (v) => {
          // PostgreSQL text cannot hold NUL.
          const values = v.map((s) => (s === null ? null : s.replaceAll('\u0000', '')));
          expect(await roundTrip(values)).toEqual(values);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('writes numbers and bigints as they are', async () => {
    const rows = await sql<{ v: string }>`select v::text from unnest(${arrayLiteral([
      0,
      -5,
      9007199254740993n,
      -9007199254740993n,
    ])}::bigint[]) as x(v)`.execute(store.db);
    expect(rows.rows.map((r) => r.v)).toEqual(['0', '-5', '9007199254740993', '-9007199254740993']);
  });
});
