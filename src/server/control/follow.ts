/**
 * Follows dispatched jobs on one cluster: maps the engine's states onto the job state machine. A run that ends is
 * queued for metering in the same transaction as the job's final transition, so its usage cannot be forgotten.
 */
import type { JobState, RunOutcome } from '../../core/domain.ts';
import { formatDuration } from '../../core/job-spec.ts';
import type { Engine, EngineJobStatus } from '../../engines/engine.ts';
import type { StoredJob } from '../../store/index.ts';
import type { ManyTransition } from '../../store/jobs.ts';
import type { ClusterRecord } from '../../store/federation.ts';
import type { LoopContext } from './loop.ts';

/**
 * Whether a run ended because it was being preempted: it was asked to stop for a preemption (not by its user) and
 * ended after that. Given a grace period, a job stops on the stop signal itself, often with exit code 0 once it has
 * saved a checkpoint; Slurm then says COMPLETED (or FAILED), not CANCELLED. Such a run is requeued like any
 * preempted one, not taken for the job's end. One that ended before the preemption was asked for ended by itself.
 */
function endedByPreemption(status: EngineJobStatus, job: StoredJob): boolean {
  if (!job.preemptRequestedAt || job.cancelRequested) return false;
  if (status.state === 'cancelled') return true;
  if (!['succeeded', 'failed', 'timeout'].includes(status.state)) return false;
  // Engines count whole seconds (Slurm's end_time): a run that ended in the second of the request counts as stopped.
  const requestedSecond = Math.floor(job.preemptRequestedAt.getTime() / 1000) * 1000;
  return status.endedAt === null || status.endedAt.getTime() >= requestedSecond;
}

export function finalState(status: EngineJobStatus, job: StoredJob): { to: JobState; reason: string } | null {
  if (endedByPreemption(status, job)) {
    return { to: 'preempted', reason: `preempted: ${job.preemptReason ?? 'by the scheduler'}` };
  }
  switch (status.state) {
    case 'succeeded':
      return { to: 'succeeded', reason: 'completed with exit code 0' };
    case 'failed':
      return { to: 'failed', reason: status.reason ?? `exit code ${status.exitCode ?? 'unknown'}` };
    case 'timeout':
      return { to: 'failed', reason: `time limit of ${formatDuration(job.spec.timeLimitSeconds)} reached` };
    case 'cancelled':
      return {
        to: 'cancelled',
        reason: job.cancelRequested ? 'cancelled at the user’s request' : (status.reason ?? 'cancelled on the cluster'),
      };
    case 'preempted':
      return { to: 'preempted', reason: status.reason ?? 'preempted on the cluster' };
    case 'lost':
      return { to: 'lost', reason: status.reason ?? 'the cluster no longer knows this job' };
    default:
      return null;
  }
}

/**
 * How a run that ran ended, for the chip race (docs/chips.md): the engine's own word, except that a run stopped for a
 * preemption counts as preempted however the engine ended it.
 */
export function runOutcome(status: EngineJobStatus, to: JobState): RunOutcome {
  if (to === 'preempted') return 'preempted';
  switch (status.state) {
    case 'succeeded':
    case 'failed':
    case 'timeout':
    case 'cancelled':
    case 'preempted':
      return status.state;
    default:
      throw new Error(`a run in state ${status.state} has not ended`);
  }
}

/** Returns how many jobs reached the end of a run in this pass. */
export async function followCluster(
  context: LoopContext,
  cluster: ClusterRecord,
  engine: Engine,
  jobs: StoredJob[],
): Promise<number> {
  const { store, holder, now } = context;
  const withIds = jobs.filter((j) => j.engineJobId);
  if (withIds.length === 0) return 0;
  const statuses = new Map((await engine.status(withIds.map((j) => j.engineJobId!))).map((s) => [s.engineJobId, s]));
  // Every job's move goes into one statement: a burst of starts and ends costs one round trip.
  const moves: ManyTransition[] = [];
  const ends = new Map<string, JobState>();
  for (const job of withIds) {
    const status = statuses.get(job.engineJobId!);
    if (!status || status.state === 'queued') continue;
    if (status.state === 'running') {
      // A job queued ahead had no nodes until its engine chose them: record where it really runs.
      const placedByEngine = job.nodeNames.length === 0 && (status.nodeNames?.length ?? 0) > 0;
      const nodeNames = placedByEngine ? status.nodeNames! : job.nodeNames;
      if (job.state === 'dispatched') {
        moves.push({
          id: job.id,
          from: 'dispatched',
          to: 'running',
          reason: `running on ${cluster.name} (${nodeNames.join(', ')})`,
          patch: { startedAt: status.startedAt ?? now, ...(placedByEngine ? { nodeNames } : {}) },
        });
      } else if (placedByEngine) {
        await store.jobs.annotate(job.id, 'running', { nodeNames }, now);
      }
      continue;
    }
    const end = finalState(status, job);
    if (!end) continue;
    const startedAt = status.startedAt ?? job.startedAt;
    const endedAt = status.endedAt ?? now;
    // The accelerators are free as soon as the run ends; its usage is metered when the engine's accounting arrives
    // (meter.ts). A run that never started, or that the engine lost, has nothing to meter.
    const ran = startedAt !== null && status.state !== 'lost';
    moves.push({
      id: job.id,
      from: job.state,
      to: end.to,
      reason: end.reason,
      patch: { startedAt, endedAt, exitCode: status.exitCode },
      ...(ran
        ? {
            meter: {
              clusterId: cluster.id,
              engineJobId: job.engineJobId!,
              poolId: job.poolId,
              endedAt,
              outcome: runOutcome(status, end.to),
            },
          }
        : {}),
    });
    ends.set(job.id, end.to);
  }
  const moved = await store.jobs.transitionMany(moves, holder, now);
  let finished = 0;
  for (const id of moved) {
    const to = ends.get(id);
    if (to === undefined) continue;
    finished++;
    if (to === 'preempted') {
      await store.jobs.transition(id, 'preempted', 'pending', {
        reason: 'requeued after preemption',
        actor: holder,
        now,
        patch: {
          clusterId: null,
          poolId: null,
          nodeNames: [],
          engineJobId: null,
          dispatchStartedAt: null,
          preemptRequestedAt: null,
          preemptReason: null,
          preemptFor: null,
          preemptGraceSeconds: null,
        },
      });
    }
  }
  return finished;
}
