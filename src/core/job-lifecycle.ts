/**
 * The job state machine, as one table. Every state change in the control plane goes through
 * `assertTransition`, so a transition missing here is a bug caught at the point it happens,
 * not a job stuck in an impossible state later.
 */
import type { JobState } from './domain.ts';

export const TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = {
  pending: ['admitted', 'cancelled'],
  admitted: [
    'dispatched',
    // A transient dispatch error, or the placement was withdrawn: the job queues again.
    'pending',
    // The engine refused the job in a way retrying cannot fix.
    'dispatch-failed',
    'cancelled',
  ],
  dispatched: [
    'running',
    // Short jobs can finish between two polls, so running may never be observed.
    'succeeded',
    'failed',
    'cancelled',
    'preempted',
    'lost',
    // Withdrawn before it started (e.g. the cluster turned unhealthy): safe to place elsewhere.
    'pending',
  ],
  running: ['succeeded', 'failed', 'cancelled', 'preempted', 'lost'],
  // A preempted job goes back to the queue; it is not an outcome.
  preempted: ['pending'],
  succeeded: [],
  failed: [],
  cancelled: [],
  'dispatch-failed': [],
  lost: [],
};

export const TERMINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled', 'dispatch-failed', 'lost'];

/** States in which the job holds accelerators (the scheduler counts them as taken). */
export const ACTIVE_STATES: readonly JobState[] = ['admitted', 'dispatched', 'running'];

export class InvalidTransition extends Error {
  readonly from: JobState;
  readonly to: JobState;

  constructor(from: JobState, to: JobState) {
    super(`invalid job state transition: ${from} -> ${to}`);
    this.name = 'InvalidTransition';
    this.from = from;
    this.to = to;
  }
}

export function canTransition(from: JobState, to: JobState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: JobState, to: JobState): void {
  if (!canTransition(from, to)) throw new InvalidTransition(from, to);
}

export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.includes(state);
}
