/**
 * Hands admitted jobs to their cluster's engine, at most once each. The claim (a conditional update that also checks
 * the lease) comes before the submit; a job claimed but never confirmed is "in doubt" and is settled by asking the
 * engine for its dispatch tag, never by submitting blindly again.
 */
import { EngineRejection, type Engine } from '../../engines/engine.ts';
import type { JobPatch, StoredJob } from '../../store/index.ts';
import type { ClusterRecord } from '../../store/federation.ts';
import { CONTROL_LEASE, type LoopContext } from './loop.ts';

const CLEARED_PLACEMENT: JobPatch = {
  clusterId: null,
  poolId: null,
  nodeNames: [],
  dispatchStartedAt: null,
  engineJobId: null,
};

function poolName(job: StoredJob): string {
  return (job.poolId ?? '').slice((job.clusterId ?? '').length + 1);
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function backToPending(context: LoopContext, job: StoredJob, reason: string): Promise<void> {
  await context.store.jobs.transition(job.id, 'admitted', 'pending', {
    reason,
    actor: context.holder,
    now: context.now,
    patch: CLEARED_PLACEMENT,
  });
}

async function confirm(context: LoopContext, job: StoredJob, cluster: ClusterRecord, engineJobId: string, how: string) {
  return context.store.jobs.transition(job.id, 'admitted', 'dispatched', {
    reason: `${how} ${cluster.name} as ${engineJobId}`,
    actor: context.holder,
    now: context.now,
    patch: { engineJobId },
  });
}

/** Returns true when the job was submitted and recorded as dispatched. */
export async function dispatchJob(context: LoopContext, job: StoredJob, cluster: ClusterRecord): Promise<boolean> {
  const { store, now, holder } = context;
  if (!cluster.healthy) {
    await backToPending(context, job, `${cluster.name} became unhealthy before dispatch; placing the job again`);
    return false;
  }
  if (!job.dispatchTag) throw new Error(`job ${job.id} is admitted without a dispatch tag`);
  if (!(await store.jobs.claimDispatch(job.id, CONTROL_LEASE, holder, now))) return false;
  let engine;
  try {
    engine = context.engines.for(cluster);
  } catch (error) {
    await backToPending(context, job, messageOf(error));
    return false;
  }
  try {
    const { engineJobId } = await engine.submit({
      jobId: job.id,
      tag: job.dispatchTag,
      spec: job.spec,
      pool: poolName(job),
      nodeNames: job.nodeNames,
    });
    return (await confirm(context, job, cluster, engineJobId, 'dispatched to')) !== null;
  } catch (error) {
    if (error instanceof EngineRejection) {
      await store.jobs.transition(job.id, 'admitted', 'dispatch-failed', {
        reason: `${cluster.name} refused the job: ${error.message}`,
        actor: holder,
        now,
        patch: { endedAt: now },
      });
      return false;
    }
    // The submit may have reached the engine before failing; ask before trying again.
    try {
      const found = await engine.findByTag(job.dispatchTag);
      if (found) return (await confirm(context, job, cluster, found.engineJobId, 'found on')) !== null;
      await backToPending(context, job, `dispatch to ${cluster.name} failed (${messageOf(error)}); placing again`);
    } catch {
      context.log.warn({ job: job.id, err: messageOf(error) }, 'dispatch in doubt; recovery will ask the engine');
    }
    return false;
  }
}

/**
 * Settles jobs claimed for dispatch on this cluster longer ago than a lease lifetime and never confirmed: their
 * dispatcher died or lost the lease between the engine's answer and the database write. It runs only while the
 * cluster answers: an unreachable cluster cannot say whether it has the job.
 */
export async function recoverInDoubt(context: LoopContext, cluster: ClusterRecord, engine: Engine): Promise<void> {
  const { store, now } = context;
  const cutoff = now.getTime() - context.leaseTtlMs;
  const inDoubt = (await store.jobs.inStates(['admitted'], cluster.id)).filter(
    (j) => j.dispatchStartedAt && j.dispatchStartedAt.getTime() < cutoff,
  );
  for (const job of inDoubt) {
    if (!job.dispatchTag) continue;
    try {
      const found = await engine.findByTag(job.dispatchTag);
      if (found) {
        await confirm(context, job, cluster, found.engineJobId, 'recovered: found on');
      } else {
        // The engine never got it: release the claim so the next tick submits it (same tag).
        await store.jobs.annotate(job.id, 'admitted', { dispatchStartedAt: null }, now);
      }
    } catch (error) {
      context.log.warn({ job: job.id, err: messageOf(error) }, 'could not settle in-doubt dispatch yet');
    }
  }
}
