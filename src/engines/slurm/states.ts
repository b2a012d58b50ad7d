/**
 * Slurm's job and node states mapped onto suanli's, keeping Slurm's own words as the reason.
 */
import type { NodeState } from '../../core/domain.ts';
import type { EngineJobState } from '../engine.ts';

/** Slurm's base job states and what they mean to suanli; flags (COMPLETING, ...) are not listed here. */
const JOB_STATES: Record<string, EngineJobState> = {
  PENDING: 'queued',
  REQUEUED: 'queued',
  REQUEUE_FED: 'queued',
  REQUEUE_HOLD: 'queued',
  RESV_DEL_HOLD: 'queued',
  CONFIGURING: 'running',
  RUNNING: 'running',
  SUSPENDED: 'running',
  STOPPED: 'running',
  SIGNALING: 'running',
  RESIZING: 'running',
  STAGE_OUT: 'running',
  COMPLETING: 'running',
  COMPLETED: 'succeeded',
  FAILED: 'failed',
  OUT_OF_MEMORY: 'failed',
  NODE_FAIL: 'failed',
  BOOT_FAIL: 'failed',
  DEADLINE: 'failed',
  SPECIAL_EXIT: 'failed',
  TIMEOUT: 'timeout',
  CANCELLED: 'cancelled',
  REVOKED: 'cancelled',
  PREEMPTED: 'preempted',
};

const FINAL: ReadonlySet<EngineJobState> = new Set([
  'succeeded',
  'failed',
  'timeout',
  'cancelled',
  'preempted',
  'lost',
]);

export function isFinalState(state: EngineJobState): boolean {
  return FINAL.has(state);
}

/** Decoded `exit_code` of the controller, which is a wait(2) status: exit code in the high byte, signal low. */
export function decodeWaitStatus(raw: number | null | undefined): { exitCode: number | null; signal: number | null } {
  if (raw === null || raw === undefined || !Number.isInteger(raw) || raw < 0) return { exitCode: null, signal: null };
  const signal = raw & 0x7f;
  if (signal !== 0) return { exitCode: null, signal };
  return { exitCode: (raw >> 8) & 0xff, signal: null };
}

export interface MappedJobState {
  state: EngineJobState;
  /** Slurm's words: the state when it is not plain, its reason, the exit code or signal. */
  reason: string | null;
}

/**
 * Maps a Slurm job state (a string in v0.0.38, a list of base state and flags from v0.0.39 on) and its reason.
 * An unknown state of a job Slurm still reports counts as running: the job exists, and calling it lost could
 * start a second copy.
 */
export function mapJobState(
  slurmState: string | string[] | null | undefined,
  slurmReason?: string | null,
  exit?: { exitCode: number | null; signal: number | null },
): MappedJobState {
  const words = (Array.isArray(slurmState) ? slurmState : [slurmState ?? ''])
    .flatMap((s) => s.split(/[\s,+]+/))
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s);
  const base = words.find((w) => w in JOB_STATES) ?? words[0] ?? 'UNKNOWN';
  const known = JOB_STATES[base];
  const state: EngineJobState = known ?? 'running';
  const reason = slurmReason && slurmReason !== 'None' ? slurmReason : null;
  const details: string[] = [];
  if (!known) details.push(`Slurm state ${base}`);
  else if (state === 'failed' && base !== 'FAILED') details.push(base);
  if (state === 'failed' || state === 'succeeded' || state === 'cancelled' || state === 'timeout') {
    if (exit?.signal) details.push(`signal ${exit.signal}`);
    else if (state === 'failed' && exit?.exitCode !== null && exit?.exitCode !== undefined && exit.exitCode !== 0) {
      details.push(`exit code ${exit.exitCode}`);
    }
  }
  if (reason) details.push(reason);
  return { state, reason: details.length ? details.join(': ') : null };
}

/**
 * Maps a node's state (v0.0.38: "idle", "mixed", "allocated", "down", ...; later versions: a list) and flags
 * (DRAIN, NOT_RESPONDING, ...). A draining node takes no new jobs, so it counts as drained.
 */
export function mapNodeState(state: string | string[] | null | undefined, flags: string[] = []): NodeState {
  const words = [...(Array.isArray(state) ? state : [state ?? '']), ...flags]
    .flatMap((s) => s.split(/[\s,+]+/))
    .map((s) =>
      s
        .trim()
        .toUpperCase()
        .replace(/[*~#%$@!^-]+$/, ''),
    )
    .filter((s) => s);
  const has = (w: string) => words.includes(w);
  if (has('DOWN') || has('NOT_RESPONDING') || has('FAIL') || has('FAILING') || has('POWERED_DOWN')) return 'down';
  if (has('POWERING_DOWN') || has('INVAL') || has('INVALID') || has('FUTURE') || has('UNKNOWN') || has('ERROR')) {
    return 'down';
  }
  if (has('DRAIN') || has('DRAINED') || has('DRAINING') || has('MAINTENANCE')) return 'drained';
  if (has('MIXED') || has('MIX')) return 'mixed';
  if (has('ALLOCATED') || has('ALLOC') || has('COMPLETING')) return 'allocated';
  if (has('IDLE')) return 'idle';
  return 'down';
}
