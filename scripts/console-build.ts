/**
 * Builds the web console (console/ → console/dist) with Vite, or only when it is missing or older than its sources
 * (`--if-stale`). `npm run demo` and the test setup call it, so a fresh checkout serves a console without a separate
 * build step, and an unchanged one does not pay for a rebuild.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
export const CONSOLE_INDEX = join(root, 'console', 'dist', 'index.html');
/** What ends up in the bundle: the console and the core modules it imports (the job spec parser, the catalogue). */
const SOURCES = ['console/src', 'console/index.html', 'console/vite.config.ts', 'src/core', 'package-lock.json'];

function newestMtime(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestMtime(join(path, name))), info.mtimeMs);
}

export function consoleIsStale(): boolean {
  if (!existsSync(CONSOLE_INDEX)) return true;
  const built = statSync(CONSOLE_INDEX).mtimeMs;
  return SOURCES.some((source) => newestMtime(join(root, source)) > built);
}

export async function buildConsole(): Promise<void> {
  const { build } = await import('vite');
  // Vite keeps a NODE_ENV it finds; under Vitest that is "test", which would bundle React's development build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: join(root, 'console', 'vite.config.ts'), mode: 'production', logLevel: 'warn' });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
}

export async function ensureConsole(): Promise<boolean> {
  if (!consoleIsStale()) return false;
  await buildConsole();
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = Date.now();
  const built = process.argv.includes('--if-stale') ? await ensureConsole() : (await buildConsole(), true);
  console.log(built ? `console built into console/dist in ${Date.now() - started} ms` : 'console is up to date');
}
