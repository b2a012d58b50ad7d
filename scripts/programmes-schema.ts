/**
 * docs/programmes.schema.json, generated from the TypeBox schemas of programme files (src/core/money/programmes/
 * schema.ts). `npm run schema:programmes` writes it; test/money/programme-files.test.ts fails when it is stale.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'prettier';
import { programmeJsonSchema } from '../src/core/money/programmes/schema.ts';

export const PROGRAMME_SCHEMA_FILE = join(import.meta.dirname, '../docs/programmes.schema.json');

/** The schema as published: JSON, formatted as `npm run format` formats it (so format:check passes). */
export async function programmeSchemaText(): Promise<string> {
  return format(JSON.stringify(programmeJsonSchema()), {
    parser: 'json',
    singleQuote: true,
    printWidth: 120,
    trailingComma: 'all',
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await writeFile(PROGRAMME_SCHEMA_FILE, await programmeSchemaText());
  console.log(`wrote ${PROGRAMME_SCHEMA_FILE}`);
}
