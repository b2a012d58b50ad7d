/**
 * Vitest global setup: builds the web console when it is missing or older than its sources, so the browser tests
 * (and a server started by the e2e tests) serve the current console. An up-to-date build costs nothing.
 */
import { ensureConsole } from '../../scripts/console-build.ts';

export default async function setup(): Promise<void> {
  const started = Date.now();
  if (await ensureConsole()) console.log(`built the console for the browser tests in ${Date.now() - started} ms`);
}
