/**
 * Starting the detached runner process.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RunnerFile } from './files.ts';
import { currentBootId } from './liveness.ts';

/** Plain JavaScript beside this module, so it runs under plain Node whether or not the control plane uses tsx. */
export const RUNNER_PATH = fileURLToPath(new URL('./runner.mjs', import.meta.url));

/**
 * Spawns `node runner.mjs <jobDir>` in its own session (detached) and unreferenced, so that it outlives the
 * control plane. Its own output (a crash, say) goes to the job's log, never to the control plane's pipes.
 */
export function spawnRunner(jobDir: string, logPath: string, env: Record<string, string>): RunnerFile {
  const logFd = openSync(logPath, 'a');
  try {
    const child = spawn(process.execPath, [RUNNER_PATH, jobDir], {
      cwd: jobDir,
      env,
      detached: true,
      stdio: ['ignore', logFd, logFd],
    });
    // A late spawn error must not crash the control plane; the job then reads as lost.
    child.on('error', () => {});
    child.unref();
    if (child.pid === undefined) throw new Error(`local engine: could not start the job runner (${process.execPath})`);
    return { pid: child.pid, bootId: currentBootId(), spawnedAt: new Date().toISOString() };
  } finally {
    closeSync(logFd);
  }
}
