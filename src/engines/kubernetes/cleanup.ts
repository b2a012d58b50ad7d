/**
 * Removes the Jobs a cancel suspended once they have been kept as long as finished ones. A cancel suspends a Job so
 * that it stays as the run's accounting record (engine.ts), but a suspended Job is not finished, so Kubernetes' TTL
 * controller never deletes it. suanli deletes its own (label `app.kubernetes.io/managed-by=suanli`) once their
 * `Suspended` condition is `finishedJobTtlSeconds` old: the retention finished Jobs get, so metering has had as long.
 */
import type { KubeClient } from './client.ts';
import { MANAGED_BY, MANAGED_BY_LABEL } from './manifests.ts';
import type { KubeJob, KubeList } from './objects.ts';
import { isFinished, suspendedAt } from './states.ts';

/** How often the engine looks for such Jobs: one list of suanli's Jobs per cluster an hour is cheap. */
export const CLEANUP_EVERY_MS = 3_600_000;
/**
 * Deletes per round: a namespace that kept its suspended Jobs for months is emptied over a few rounds, each of which
 * holds up the call it rides on (an inventory) for a bounded time.
 */
export const MAX_DELETES_PER_ROUND = 50;

/**
 * The names of the Jobs suanli created that are suspended (and not finished: those have their own TTL) with a
 * `Suspended` condition at least `ttlSeconds` old at `nowMs`. A Job with no readable time for its suspension is kept.
 */
export function expiredSuspendedJobs(jobs: KubeJob[], nowMs: number, ttlSeconds: number): string[] {
  return jobs
    .filter((job) => {
      if (job.metadata.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY || !job.spec.suspend || isFinished(job)) return false;
      const since = suspendedAt(job);
      return since !== null && nowMs - since.getTime() >= ttlSeconds * 1000;
    })
    .map((job) => job.metadata.name ?? '')
    .filter((name) => name !== '');
}

export interface SuspendedJobCleanupOptions {
  client: KubeClient;
  /** The namespace's Jobs collection, `/apis/batch/v1/namespaces/{ns}/jobs`. */
  jobsPath: string;
  ttlSeconds: number;
  everyMs: number;
  /** Milliseconds since the epoch, on the clock the Jobs' condition times are compared with. */
  now: () => number;
  /** A failed list or delete (which ends the round): the call it rides on goes on, and the next round retries. */
  onError: (error: unknown) => void;
}

export class SuspendedJobCleanup {
  /**
   * The first round comes one interval after the engine is built, so an engine that lives for one call (the probe of
   * `suanli clusters add --dry-run`) deletes nothing.
   */
  private nextAt: number;

  constructor(private readonly options: SuspendedJobCleanupOptions) {
    this.nextAt = options.now() + options.everyMs;
  }

  /** Deletes the expired suspended Jobs if a round is due; returns how many it deleted. Never throws. */
  async runIfDue(): Promise<number> {
    const { client, jobsPath, ttlSeconds, everyMs, now, onError } = this.options;
    if (now() < this.nextAt) return 0;
    this.nextAt = now() + everyMs;
    let jobs: KubeJob[];
    try {
      const selector = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;
      jobs = (await client.json<KubeList<KubeJob>>('GET', jobsPath, { query: { labelSelector: selector } })).body.items;
    } catch (error) {
      onError(error);
      return 0;
    }
    const expired = expiredSuspendedJobs(jobs, now(), ttlSeconds);
    let deleted = 0;
    for (const name of expired.slice(0, MAX_DELETES_PER_ROUND)) {
      try {
        // Background: the garbage collector removes the Job's pods and its headless Service (owned by the Job).
        await client.json('DELETE', `${jobsPath}/${name}`, {
          query: { propagationPolicy: 'Background' },
          accept: [404],
        });
        deleted++;
      } catch (error) {
        // A refusal (no delete right) or a timeout would meet the rest too: one report, and the round ends.
        onError(error);
        return deleted;
      }
    }
    // More than a round deletes: the next call goes on with the rest rather than wait an interval.
    if (expired.length > MAX_DELETES_PER_ROUND) this.nextAt = now();
    return deleted;
  }
}
