/**
 * Follows dispatched jobs on one cluster: maps the engine's states onto the job state machine and, when a run ends,
 * stores the engine's own accounting as usage records before the job is marked finished (so a crash in between
 * only repeats an idempotent insert).
 */
import { findAccelerator } from '../../core/accelerators.ts';
import { gflopFor } from '../../core/compute.ts';
import type { JobState } from '../../core/domain.ts';
import { formatDuration } from '../../core/job-spec.ts';
import type { Engine, EngineAccountingRecord, EngineJobStatus } from '../../engines/engine.ts';
import { uuidv7 } from '../../store/ids.ts';
import type { StoredJob } from '../../store/index.ts';
import type { ClusterRecord } from '../../store/federation.ts';
import type { LoopContext } from './loop.ts';

function finalState(status: EngineJobStatus, job: StoredJob): { to: JobState; reason: string } | null {
  switch (status.state) {
    case 'succeeded':
      return { to: 'succeeded', reason: 'completed with exit code 0' };
    case 'failed':
      return { to: 'failed', reason: status.reason ?? `exit code ${status.exitCode ?? 'unknown'}` };
    case 'timeout':
      return { to: 'failed', reason: `time limit of ${formatDuration(job.spec.timeLimitSeconds)} reached` };
    case 'cancelled':
      if (job.preemptRequestedAt && !job.cancelRequested) {
        return { to: 'preempted', reason: `preempted: ${job.preemptReason ?? 'by the scheduler'}` };
      }
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

async function recordUsage(
  context: LoopContext,
  job: StoredJob,
  cluster: ClusterRecord,
  account: EngineAccountingRecord,
) {
  for (const { model, count } of account.accelerators) {
    const known = findAccelerator(model);
    const acceleratorSeconds = account.elapsedSeconds * count;
    if (!known)
      context.log.warn({ job: job.id, model }, 'accelerator model not in the catalogue: usage kept, P·h is 0');
    await context.store.usage.record({
      id: uuidv7(context.now.getTime()),
      jobId: job.id,
      tenantId: job.tenantId,
      projectId: job.projectId,
      clusterId: cluster.id,
      poolId: job.poolId ?? '',
      engineJobId: account.engineJobId,
      acceleratorModel: known?.model ?? model,
      acceleratorCount: count,
      startedAt: account.startedAt,
      endedAt: account.endedAt,
      elapsedSeconds: account.elapsedSeconds,
      acceleratorSeconds,
      gflop: known ? gflopFor(known.model, acceleratorSeconds) : 0n,
    });
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
  let finished = 0;
  for (const job of withIds) {
    const status = statuses.get(job.engineJobId!);
    if (!status || status.state === 'queued') continue;
    if (status.state === 'running') {
      if (job.state === 'dispatched') {
        await store.jobs.transition(job.id, 'dispatched', 'running', {
          reason: `running on ${cluster.name} (${job.nodeNames.join(', ')})`,
          actor: holder,
          now,
          patch: { startedAt: status.startedAt ?? now },
        });
      }
      continue;
    }
    const end = finalState(status, job);
    if (!end) continue;
    let account: EngineAccountingRecord | null = null;
    if (status.state !== 'lost') {
      account = await engine.accounting(job.engineJobId!);
      // A run that started has an account; wait for it (Slurm's database lags its controller).
      if (!account && status.startedAt) continue;
      if (account) await recordUsage(context, job, cluster, account);
    }
    const moved = await store.jobs.transition(job.id, job.state, end.to, {
      reason: end.reason,
      actor: holder,
      now,
      patch: {
        startedAt: account?.startedAt ?? status.startedAt ?? job.startedAt,
        endedAt: account?.endedAt ?? status.endedAt ?? now,
        exitCode: account?.exitCode ?? status.exitCode,
      },
    });
    if (moved && end.to === 'preempted') {
      await store.jobs.transition(job.id, 'preempted', 'pending', {
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
        },
      });
    }
    if (moved) finished++;
  }
  return finished;
}
