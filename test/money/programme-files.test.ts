/** Programme files on disk: the shipped folder loads, and the published JSON Schema is the one the code defines. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadShippedProgrammes, programmeFilesIn, SHIPPED_PROGRAMMES_DIR } from '../../src/money/programme-files.ts';
import { PROGRAMME_SCHEMA_FILE, programmeSchemaText } from '../../scripts/programmes-schema.ts';

describe('programme files', () => {
  it('loads every shipped programme in programmes/', async () => {
    expect(
      (await programmeFilesIn(SHIPPED_PROGRAMMES_DIR)).map((f) => f.slice(SHIPPED_PROGRAMMES_DIR.length + 1)),
    ).toEqual(['anhui-2023-compute.yaml', 'anhui-2025-compute.yaml', 'jiangsu-2026-compute-voucher.yaml']);
    expect((await loadShippedProgrammes()).map((p) => p.metadata.id)).toEqual([
      'anhui-2023-compute',
      'anhui-2025-compute',
      'jiangsu-2026-compute-voucher',
    ]);
  });

  it('docs/programmes.schema.json is up to date (run `npm run schema:programmes` if this fails)', async () => {
    expect(readFileSync(PROGRAMME_SCHEMA_FILE, 'utf8')).toBe(await programmeSchemaText());
  });
});
