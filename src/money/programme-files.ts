/**
 * Programme files on disk: the adapter around the pure loader (src/core/money/programmes/load.ts). The server and the
 * ledger load the shipped `programmes/` folder with it; `suanli programmes validate` reads the files it is given.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { loadProgrammes, type LoadedProgramme, type ProgrammeError } from '../core/money/programmes/load.ts';
import type { Programme } from '../core/money/programmes/types.ts';

/** The programmes shipped with suanli (the repository's top-level `programmes/` folder). */
export const SHIPPED_PROGRAMMES_DIR = join(import.meta.dirname, '../../programmes');

export interface ProgrammeFilesResult {
  programmes: Programme[];
  loaded: LoadedProgramme[];
  errors: ProgrammeError[];
}

/**
 * Reads and checks programme files together. A file that cannot be read is one error at line 1 naming the reason;
 * `displayBase` (default: the working directory) makes the file names in errors relative, as editors expect.
 */
export async function loadProgrammeFiles(
  paths: readonly string[],
  displayBase = process.cwd(),
): Promise<ProgrammeFilesResult> {
  const files: { file: string; text: string }[] = [];
  const unreadable: ProgrammeError[] = [];
  for (const path of paths) {
    const file = relative(displayBase, path) || path;
    try {
      files.push({ file, text: await readFile(path, 'utf8') });
    } catch (e) {
      const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
      unreadable.push({ file, line: 1, column: 1, path: '', message: `cannot read: ${reason}` });
    }
  }
  const result = loadProgrammes(files);
  const errors = [...unreadable, ...result.errors];
  return { programmes: errors.length === 0 ? result.programmes : [], loaded: result.loaded, errors };
}

/** Every `*.yaml` file of a folder, sorted by name. */
export async function programmeFilesIn(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort();
  return names.map((n) => join(dir, n));
}

/** The shipped programmes; throws with every error if any of them does not load. */
export async function loadShippedProgrammes(): Promise<Programme[]> {
  const { programmes, errors } = await loadProgrammeFiles(await programmeFilesIn(SHIPPED_PROGRAMMES_DIR));
  if (errors.length > 0)
    throw new Error(
      `shipped programmes do not load:\n${errors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.message}`).join('\n')}`,
    );
  return programmes;
}
