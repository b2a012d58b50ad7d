/**
 * Hands admitted jobs to their cluster's engine, at most once each. The claim (a conditional update that also checks
 * the lease) comes before the submit; a job claimed but never confirmed is "in doubt" and is settled by asking the
 * engine for its dispatch tag, never by submitting blindly again.
 */
import { EngineRejection, type Engine } from '../../engines/engine.ts';
import type { JobPatch, StoredJob } from '../../store/index.ts';
import type { ManyTransition } from '../../store/jobs.ts';
import type { ClusterRecord } from '../../store/federation.ts';
import type { LeaseKeeper } from './lease-keeper.ts';
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

/**
 * Confirmations of submits, written together: the first is written at once, and those that arrive while a write is
 * in flight go in the next one, so a burst of submits costs a few statements, not one each, and a lone submit waits
 * for nobody.
 */
export class Confirmations {
  private waiting: Array<{ item: ManyTransition; settle: (moved: boolean | Error) => void }> = [];
  private writing = false;

  constructor(private readonly context: () => LoopContext) {}

  /** Records the job as dispatched; false when it had left `admitted` meanwhile. */
  confirm(job: StoredJob, cluster: ClusterRecord, engineJobId: string, how: string): Promise<boolean> {
    const item: ManyTransition = {
      id: job.id,
      from: 'admitted',
      to: 'dispatched',
      reason: `${how} ${cluster.name} as ${engineJobId}`,
      patch: { engineJobId },
    };
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, settle: (moved) => (moved instanceof Error ? reject(moved) : resolve(moved)) });
      if (!this.writing) void this.write();
    });
  }

  private async write(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0);
      const { store, holder, now } = this.context();
      try {
        const moved = new Set(
          await store.jobs.transitionMany(
            batch.map((b) => b.item),
            holder,
            now,
          ),
        );
        for (const b of batch) b.settle(moved.has(b.item.id));
      } catch (error) {
        for (const b of batch) b.settle(error instanceof Error ? error : new Error(String(error)));
      }
    }
    this.writing = false;
  }
}

/** Jobs claimed per statement: enough to keep the submits flowing, few enough that a lost lease strands few. */
const CLAIM_CHUNK = 32;

export interface DispatchOptions {
  lease: LeaseKeeper;
  /** Submits in flight at once. */
  concurrency: number;
  confirmations: Confirmations;
  /** Stop taking new jobs (the loop is stopping). */
  stopped: () => boolean;
}

/**
 * Hands these admitted jobs to the cluster's engine: claims them a chunk at a time (one conditional statement that
 * also checks the lease), submits up to `concurrency` at once, and confirms each as the engine answers. Returns how
 * many were recorded as dispatched.
 */
export async function dispatchJobs(
  contextAt: () => LoopContext,
  jobs: readonly StoredJob[],
  cluster: ClusterRecord,
  options: DispatchOptions,
): Promise<number> {
  const context = contextAt();
  if (!cluster.healthy) {
    for (const job of jobs) {
      await backToPending(context, job, `${cluster.name} became unhealthy before dispatch; placing the job again`);
    }
    return 0;
  }
  let engine: Engine;
  try {
    engine = context.engines.for(cluster);
  } catch (error) {
    for (const job of jobs) await backToPending(context, job, messageOf(error));
    return 0;
  }
  const claimed: StoredJob[] = [];
  let next = 0;
  let claiming: Promise<void> | null = null;
  const claimChunk = async () => {
    const chunk = jobs.slice(next, next + CLAIM_CHUNK);
    next += chunk.length;
    if (!(await options.lease.keep())) {
      next = jobs.length;
      return;
    }
    const { store, holder, now } = contextAt();
    const ids = new Set(
      await store.jobs.claimDispatchMany(
        chunk.map((j) => j.id),
        CONTROL_LEASE,
        holder,
        now,
      ),
    );
    for (const job of chunk) if (ids.has(job.id)) claimed.push(job);
  };
  /** The next claimed job, claiming another chunk when none is left; null when all are done. */
  const take = async (): Promise<StoredJob | null> => {
    while (claimed.length === 0) {
      // A claim in flight may bring jobs even though `next` has already passed the last chunk.
      if (claiming) {
        await claiming;
        continue;
      }
      if (next >= jobs.length || options.stopped()) return null;
      claiming = claimChunk().finally(() => (claiming = null));
    }
    return claimed.shift()!;
  };
  // A worker goes on to its next submit while the database records the last one: the engine's answer is the slow part.
  const confirmed: Array<Promise<boolean>> = [];
  const worker = async () => {
    for (let job = await take(); job; job = await take()) {
      confirmed.push((await submitClaimed(contextAt(), job, cluster, engine, options.confirmations)).confirmed);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, jobs.length) }, worker));
  return (await Promise.all(confirmed)).filter(Boolean).length;
}

/**
 * Submits a claimed job. Resolves once the engine has answered, with the promise of the job's record as dispatched
 * (true) or not (false: refused, or it left `admitted`). A confirmation the database could not write leaves the job
 * in doubt: recovery asks the engine for its tag.
 */
async function submitClaimed(
  context: LoopContext,
  job: StoredJob,
  cluster: ClusterRecord,
  engine: Engine,
  confirmations: Confirmations,
): Promise<{ confirmed: Promise<boolean> }> {
  const { store, now, holder } = context;
  if (!job.dispatchTag) throw new Error(`job ${job.id} is admitted without a dispatch tag`);
  try {
    const { engineJobId } = await engine.submit({
      jobId: job.id,
      tag: job.dispatchTag,
      spec: job.spec,
      pool: poolName(job),
      nodeNames: job.nodeNames,
    });
    const confirmed = confirmations.confirm(job, cluster, engineJobId, 'dispatched to').catch((error: unknown) => {
      context.log.warn({ job: job.id, err: messageOf(error) }, 'dispatch not recorded; recovery will ask the engine');
      return false;
    });
    return { confirmed };
  } catch (error) {
    if (error instanceof EngineRejection) {
      await store.jobs.transition(job.id, 'admitted', 'dispatch-failed', {
        reason: `${cluster.name} refused the job: ${error.message}`,
        actor: holder,
        now,
        patch: { endedAt: now },
      });
      return { confirmed: Promise.resolve(false) };
    }
    // The submit may have reached the engine before failing; ask before trying again.
    try {
      const found = await engine.findByTag(job.dispatchTag, job.dispatchStartedAt ?? context.now);
      if (found) {
        return {
          confirmed: Promise.resolve((await confirm(context, job, cluster, found.engineJobId, 'found on')) !== null),
        };
      }
      await backToPending(context, job, `dispatch to ${cluster.name} failed (${messageOf(error)}); placing again`);
    } catch {
      context.log.warn({ job: job.id, err: messageOf(error) }, 'dispatch in doubt; recovery will ask the engine');
    }
    return { confirmed: Promise.resolve(false) };
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
      const found = await engine.findByTag(job.dispatchTag, job.dispatchStartedAt ?? undefined);
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
