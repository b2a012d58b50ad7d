/**
 * What the loop does when a member cluster stops answering, and when it answers again. Jobs dispatched there that
 * had not started are taken back and placed elsewhere; running ones are left alone (the cluster may well still run
 * them) and are followed again on its return. On return, the engine jobs of withdrawn dispatches are cancelled there,
 * and what became of each is recorded for the operator. Nothing of a withdrawn dispatch is metered: the job's
 * charged run is the one it got after withdrawal.
 */
import type { Engine } from '../../engines/engine.ts';
import type { ClusterRecord } from '../../store/federation.ts';
import type { LoopContext } from './loop.ts';

export async function withdrawFromUnhealthy(context: LoopContext, cluster: ClusterRecord): Promise<number> {
  const { store, holder, now } = context;
  let withdrawn = 0;
  for (const job of await store.jobs.inStates(['dispatched'])) {
    if (job.clusterId !== cluster.id || job.cancelRequested) continue;
    const reason = `${cluster.name} stopped answering before the job started there; placing it elsewhere`;
    if (await store.jobs.withdraw(job, reason, holder, now)) withdrawn++;
  }
  return withdrawn;
}

export async function settleWithdrawals(context: LoopContext, cluster: ClusterRecord, engine: Engine): Promise<void> {
  const { store, now, log } = context;
  const pending = await store.jobs.unsettledWithdrawals(cluster.id);
  if (pending.length === 0) return;
  const statuses = new Map((await engine.status(pending.map((w) => w.engineJobId))).map((s) => [s.engineJobId, s]));
  for (const { engineJobId, jobId } of pending) {
    const status = statuses.get(engineJobId);
    const state = status?.state ?? 'lost';
    if (state === 'lost') {
      await store.jobs.settleWithdrawal(cluster.id, engineJobId, 'gone', 'the cluster no longer knows this job', now);
      continue;
    }
    if (state === 'queued' || state === 'running') await engine.cancel(engineJobId);
    const outcome = state === 'queued' ? 'cancelled' : 'ran-while-withdrawn';
    const detail =
      state === 'queued'
        ? 'cancelled on the cluster’s return; it never started there'
        : `it ${state === 'running' ? 'was running' : `had ended (${state})`} there when the cluster answered again` +
          `${status?.startedAt ? `, started ${status.startedAt.toISOString()}` : ''}; not charged`;
    if (outcome !== 'cancelled') log.warn({ job: jobId, cluster: cluster.name, engineJobId }, detail);
    await store.jobs.settleWithdrawal(cluster.id, engineJobId, outcome, detail, now);
  }
}
