/**
 * The on-disk layout of a local job. The files are the only state shared between the engine, the detached
 * runner (runner.mjs, which mirrors these shapes in plain JavaScript) and later engine instances.
 *
 *   <workDir>/jobs/<engineJobId>/request.json  written once by the engine before the runner starts
 *   <workDir>/jobs/<engineJobId>/runner.json   written once by the engine right after spawning the runner
 *   <workDir>/jobs/<engineJobId>/status.json   written only by the runner (start, then end), atomically
 *   <workDir>/jobs/<engineJobId>/cancel        marker: a cancel was requested (the runner checks it at start, and
 *                                              reads its grace when SIGTERM arrives); JSON, see CancelMarker
 *   <workDir>/jobs/<engineJobId>/output.log    stdout and stderr of every rank, appended
 *   <workDir>/jobs/<engineJobId>/work/         the ranks' working directory
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobSpec } from '../../core/domain.ts';

export interface RankAssignment {
  rank: number;
  node: string;
  /** Accelerator indices on that node. */
  accelerators: number[];
}

export interface RequestFile {
  version: 1;
  engineJobId: string;
  jobId: string;
  tag: string;
  pool: string;
  acceleratorModel: string;
  real: boolean;
  spec: JobSpec;
  ranks: RankAssignment[];
  killGraceSeconds: number;
  submittedAt: string;
}

/** The cancel marker's content. Older engines wrote a bare timestamp: no grace, the request's killGraceSeconds. */
export interface CancelMarker {
  requestedAt: string;
  /** Seconds from SIGTERM to SIGKILL for this cancel (a preemption's grace); absent = `killGraceSeconds`. */
  graceSeconds?: number;
}

export interface RunnerFile {
  pid: number;
  /** Linux boot id at spawn; a pid from another boot names some other process. */
  bootId: string | null;
  spawnedAt: string;
}

export type RunnerState = 'running' | 'succeeded' | 'failed' | 'timeout' | 'cancelled';

export interface StatusFile {
  state: RunnerState;
  reason: string | null;
  runnerPid: number;
  bootId: string | null;
  startedAt: string | null;
  endedAt: string | null;
  exitCode: number | null;
  ranks: Array<RankAssignment & { pid: number | null; exitCode: number | null; signal: string | null }>;
}

export const jobsDir = (workDir: string): string => join(workDir, 'jobs');

export function jobPaths(workDir: string, engineJobId: string) {
  const dir = join(jobsDir(workDir), engineJobId);
  return {
    dir,
    request: join(dir, 'request.json'),
    runner: join(dir, 'runner.json'),
    status: join(dir, 'status.json'),
    cancel: join(dir, 'cancel'),
    log: join(dir, 'output.log'),
    work: join(dir, 'work'),
  };
}

/** Fixed-width base-36 milliseconds so that ids sort by submit time, then a random suffix for uniqueness. */
export function newEngineJobId(now: number = Date.now()): string {
  return `local-${now.toString(36).padStart(9, '0')}-${randomBytes(4).toString('hex')}`;
}

export const ENGINE_JOB_ID_PATTERN = /^local-[0-9a-z]{9}-[0-9a-f]{8}$/;

/** Readers never see a half-written file: write beside it, then rename over it. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(temp, path);
}

/** The parsed file, or null when it does not exist (yet). */
export function readJsonIfPresent<T>(path: string): T | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return JSON.parse(text) as T;
}
