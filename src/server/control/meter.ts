/**
 * Turns the engine's own accounting of ended runs into usage records. A run is queued for metering when it ends
 * (its accelerators are free from then on); this pass asks the engine for the accounting of all queued runs of a
 * cluster at once and stores one usage record per accelerator model, idempotently. Runs whose accounting has not
 * arrived yet (slurmdbd lags the controller) stay queued for the next pass.
 */
import { findAccelerator } from '../../core/accelerators.ts';
import { gflopFor } from '../../core/compute.ts';
import type { RunOutcome } from '../../core/domain.ts';
import type { Engine, EngineAccountingRecord } from '../../engines/engine.ts';
import { uuidv7 } from '../../store/ids.ts';
import type { ClusterRecord } from '../../store/federation.ts';
import type { LoopContext } from './loop.ts';

interface MeteredRun {
  jobId: string;
  tenantId: string;
  projectId: string;
  poolId: string | null;
  outcome: RunOutcome | null;
}

async function recordUsage(
  context: LoopContext,
  run: MeteredRun,
  cluster: ClusterRecord,
  account: EngineAccountingRecord,
) {
  for (const { model, count } of account.accelerators) {
    const known = findAccelerator(model);
    const acceleratorSeconds = account.elapsedSeconds * count;
    if (!known)
      context.log.warn({ job: run.jobId, model }, 'accelerator model not in the catalogue: usage kept, P·h is 0');
    await context.store.usage.record({
      id: uuidv7(context.now.getTime()),
      jobId: run.jobId,
      tenantId: run.tenantId,
      projectId: run.projectId,
      clusterId: cluster.id,
      poolId: run.poolId ?? '',
      engineJobId: account.engineJobId,
      acceleratorModel: known?.model ?? model,
      acceleratorCount: count,
      startedAt: account.startedAt,
      endedAt: account.endedAt,
      elapsedSeconds: account.elapsedSeconds,
      acceleratorSeconds,
      gflop: known ? gflopFor(known.model, acceleratorSeconds) : 0n,
      outcome: run.outcome,
    });
  }
}

/** Returns how many runs were metered. */
export async function meterCluster(context: LoopContext, cluster: ClusterRecord, engine: Engine): Promise<number> {
  const queue = await context.store.jobs.awaitingMetering(cluster.id);
  if (queue.length === 0) return 0;
  const accounts = new Map(
    (await engine.accountingMany(queue.map((q) => q.engineJobId))).map((a) => [a.engineJobId, a]),
  );
  let metered = 0;
  for (const run of queue) {
    const account = accounts.get(run.engineJobId);
    if (!account) continue;
    await recordUsage(context, run, cluster, account);
    await context.store.jobs.metered(cluster.id, run.engineJobId);
    metered++;
  }
  return metered;
}
