/**
 * A local job's state, derived from its files and from whether its processes still run.
 * The runner is the only writer of status.json; everything it could not record (it was killed, the host restarted)
 * is inferred here.
 */
import { statSync } from 'node:fs';
import type { EngineJobStatus } from '../engine.ts';
import { jobPaths, readJsonIfPresent } from './files.ts';
import type { RequestFile, RunnerFile, StatusFile } from './files.ts';
import { isAlive } from './liveness.ts';

/**
 * How long a job may have no runner.json before it counts as lost. The engine writes runner.json right after
 * spawning, so only a control plane that died mid-submit leaves a job without one.
 */
const SPAWN_GRACE_MS = 10_000;

export interface DerivedJob {
  status: EngineJobStatus;
  /** The state can no longer change. */
  final: boolean;
  /** Its accelerator indices are still in use (queued, running, or orphaned ranks of a lost runner). */
  holdsAccelerators: boolean;
  /** Rank pids that may still run, with the boot they belong to. */
  rankPids: number[];
  runnerPid: number | null;
  runnerAlive: boolean;
}

const date = (iso: string | null | undefined): Date | null => (iso ? new Date(iso) : null);

function mtime(path: string): Date | null {
  try {
    return statSync(path).mtime;
  } catch {
    return null;
  }
}

function fromStatusFile(request: RequestFile, file: StatusFile): EngineJobStatus {
  return {
    engineJobId: request.engineJobId,
    tag: request.tag,
    state: file.state,
    reason: file.reason,
    startedAt: date(file.startedAt),
    endedAt: date(file.endedAt),
    exitCode: file.exitCode,
  };
}

export function deriveJob(workDir: string, request: RequestFile, now: Date = new Date()): DerivedJob {
  const paths = jobPaths(workDir, request.engineJobId);
  let file = readJsonIfPresent<StatusFile>(paths.status);
  const base = { rankPids: [] as number[], runnerPid: file?.runnerPid ?? null, runnerAlive: false };
  if (file && file.state !== 'running')
    return { ...base, status: fromStatusFile(request, file), final: true, holdsAccelerators: false };

  const runner = readJsonIfPresent<RunnerFile>(paths.runner);
  const runnerPid = runner?.pid ?? file?.runnerPid ?? null;
  const runnerAlive = isAlive(runnerPid, runner?.bootId ?? file?.bootId ?? null);
  const rankPids = (file?.ranks ?? []).flatMap((r) => (r.pid && isAlive(r.pid, file?.bootId ?? null) ? [r.pid] : []));
  const live = { rankPids, runnerPid, runnerAlive };
  const queued = (): EngineJobStatus => ({
    engineJobId: request.engineJobId,
    tag: request.tag,
    state: 'queued',
    reason: null,
    startedAt: null,
    endedAt: null,
    exitCode: null,
  });

  if (runnerAlive) {
    const status = file ? fromStatusFile(request, file) : queued();
    return { ...live, status, final: false, holdsAccelerators: true };
  }

  // The runner may have recorded its end and exited between the first read and the liveness check.
  file = readJsonIfPresent<StatusFile>(paths.status) ?? file;
  if (file && file.state !== 'running')
    return { ...base, status: fromStatusFile(request, file), final: true, holdsAccelerators: false };

  const cancelledAt = mtime(paths.cancel);
  const startedAt = date(file?.startedAt);
  const common = { engineJobId: request.engineJobId, tag: request.tag, startedAt, exitCode: null };
  if (cancelledAt) {
    const reason = 'cancelled; the runner stopped before recording an exit';
    const status = { ...common, state: 'cancelled' as const, reason, endedAt: cancelledAt };
    return { ...live, status, final: rankPids.length === 0, holdsAccelerators: rankPids.length > 0 };
  }
  if (!runner && !file && now.getTime() - new Date(request.submittedAt).getTime() < SPAWN_GRACE_MS) {
    return { ...live, status: queued(), final: false, holdsAccelerators: true };
  }
  const reason =
    !runner && !file
      ? 'the runner never started: the control plane may have stopped during submit'
      : 'the runner process died without recording an exit: the host may have restarted';
  const status = { ...common, state: 'lost' as const, reason, endedAt: null };
  return { ...live, status, final: false, holdsAccelerators: rankPids.length > 0 };
}
