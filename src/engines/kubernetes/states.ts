/**
 * What a Job and its pods mean to suanli (pure): the run's state, its nodes, its accounting, and a node's state.
 * Kubernetes' own reasons (DeadlineExceeded, BackoffLimitExceeded, Unschedulable, ErrImagePull...) are kept.
 */
import type { NodeState } from '../../core/domain.ts';
import type { EngineAccountingRecord, EngineJobStatus } from '../engine.ts';
import { MODEL_ANNOTATION, RESOURCE_ANNOTATION, TAG_ANNOTATION } from './manifests.ts';
import type { Condition, KubeJob, KubeNode, KubePod } from './objects.ts';
import { COMPLETION_INDEX_ANNOTATION } from './objects.ts';

function condition(conditions: Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type && c.status === 'True');
}

function time(text: string | undefined): Date | null {
  if (!text) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Complete or Failed: the Job's TTL (ttlSecondsAfterFinished) runs from then. */
export function isFinished(job: KubeJob): boolean {
  return ['Complete', 'Failed'].some((type) => condition(job.status?.conditions, type) !== undefined);
}

/** When the Job was suspended (a cancel), or null while it is not. */
export function suspendedAt(job: KubeJob): Date | null {
  return time(condition(job.status?.conditions, 'Suspended')?.lastTransitionTime);
}

function podIndex(pod: KubePod): number {
  const index = Number(pod.metadata.annotations?.[COMPLETION_INDEX_ANNOTATION]);
  return Number.isInteger(index) ? index : Number.MAX_SAFE_INTEGER;
}

/** The Job's pods, rank 0 first. */
export function byRank(pods: KubePod[]): KubePod[] {
  return [...pods].sort(
    (a, b) => podIndex(a) - podIndex(b) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
  );
}

function terminated(pod: KubePod) {
  return pod.status?.containerStatuses?.find((c) => c.state?.terminated)?.state?.terminated;
}

function ended(pod: KubePod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** The first rank that failed, with its exit code. */
function firstFailure(pods: KubePod[]): { pod: KubePod; exitCode: number | null; signal: number | null } | null {
  for (const pod of byRank(pods)) {
    const end = terminated(pod);
    if (pod.status?.phase === 'Failed' || (end && end.exitCode !== 0)) {
      return { pod, exitCode: end?.exitCode ?? null, signal: end?.signal ?? null };
    }
  }
  return null;
}

/** Why the first pod that is not running yet waits: the scheduler's message or the container's waiting reason. */
function waitingReason(pods: KubePod[]): string | null {
  for (const pod of byRank(pods)) {
    const unscheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
    if (unscheduled) return [unscheduled.reason, unscheduled.message].filter(Boolean).join(': ') || null;
    const waiting = pod.status?.containerStatuses?.find((c) => c.state?.waiting)?.state?.waiting;
    if (waiting?.reason && waiting.reason !== 'ContainerCreating') {
      return [waiting.reason, waiting.message].filter(Boolean).join(': ');
    }
  }
  return null;
}

/**
 * The run's state. A Job that suanli suspended (its cancel) stays `running` while its pods still terminate (they hold
 * the accelerators through the grace period), then is `cancelled`. A Job whose failure is decided but whose pods
 * still terminate (Kubernetes' FailureTarget condition) is running until the Failed condition comes.
 */
export function jobStatus(engineJobId: string, job: KubeJob, pods: KubePod[]): EngineJobStatus {
  const conditions = job.status?.conditions;
  const tag = job.metadata.annotations?.[TAG_ANNOTATION] ?? '';
  const startedAt = time(job.status?.startTime);
  const nodeNames = byRank(pods).flatMap((p) => (p.spec.nodeName ? [p.spec.nodeName] : []));
  const base = { engineJobId, tag, startedAt, ...(nodeNames.length > 0 ? { nodeNames } : {}) };
  const complete = condition(conditions, 'Complete');
  if (complete) {
    const endedAt = time(job.status?.completionTime) ?? time(complete.lastTransitionTime);
    return { ...base, state: 'succeeded', reason: null, endedAt, exitCode: 0 };
  }
  const failed = condition(conditions, 'Failed');
  if (failed) {
    const endedAt = time(failed.lastTransitionTime);
    const words = [failed.reason, failed.message].filter(Boolean).join(': ') || null;
    if (failed.reason === 'DeadlineExceeded')
      return { ...base, state: 'timeout', reason: words, endedAt, exitCode: null };
    const failure = firstFailure(pods);
    const detail = failure
      ? failure.signal
        ? `signal ${failure.signal} on rank ${podIndex(failure.pod)}`
        : failure.exitCode !== null
          ? `exit code ${failure.exitCode} on rank ${podIndex(failure.pod)}`
          : null
      : null;
    return {
      ...base,
      state: 'failed',
      reason: [detail, words].filter(Boolean).join(': ') || null,
      endedAt,
      exitCode: failure?.exitCode ?? null,
    };
  }
  if (job.spec.suspend) {
    const stopping = pods.some((p) => !ended(p));
    if (stopping)
      return { ...base, state: 'running', reason: 'stopping: cancelled by suanli', endedAt: null, exitCode: null };
    const suspended = condition(conditions, 'Suspended');
    // Suspension deletes the pods, so whether one ever ran cannot be read any more; the Job's startTime is when its
    // controller began creating pods, not when one ran. No start is reported: the control plane meters the run only
    // if it saw it running, and a job cancelled while it waited for its pods is not charged.
    return {
      ...base,
      startedAt: null,
      state: 'cancelled',
      reason: suspended?.reason ?? 'JobSuspended',
      endedAt: time(suspended?.lastTransitionTime),
      exitCode: null,
    };
  }
  const ran = pods.some((p) => p.status?.phase === 'Running' || ended(p));
  if (ran) return { ...base, state: 'running', reason: null, endedAt: null, exitCode: null };
  const waiting = pods.length === 0 ? 'waiting for the Job controller to create pods' : waitingReason(pods);
  return { ...base, startedAt: null, state: 'queued', reason: waiting, endedAt: null, exitCode: null };
}

/** Whether the Job's run is over as far as the Job object says (used where its pods are not read). */
function endOf(job: KubeJob): { endedAt: Date; state: EngineAccountingRecord['state'] } | null {
  const conditions = job.status?.conditions;
  const complete = condition(conditions, 'Complete');
  if (complete) {
    const at = time(job.status?.completionTime) ?? time(complete.lastTransitionTime);
    return at ? { endedAt: at, state: 'succeeded' } : null;
  }
  const failed = condition(conditions, 'Failed');
  if (failed) {
    const at = time(failed.lastTransitionTime);
    return at ? { endedAt: at, state: failed.reason === 'DeadlineExceeded' ? 'timeout' : 'failed' } : null;
  }
  const suspended = condition(conditions, 'Suspended');
  // `terminating` counts pods still stopping (Kubernetes 1.29 on); until they are gone the run is not over.
  if (job.spec.suspend && suspended && (job.status?.active ?? 0) === 0 && (job.status?.terminating ?? 0) === 0) {
    const at = time(suspended.lastTransitionTime);
    return at ? { endedAt: at, state: 'cancelled' } : null;
  }
  return null;
}

/** The accelerators each pod of the Job holds: the limit of the pool's resource in its template. */
function acceleratorsPerPod(job: KubeJob): number {
  const resource = job.metadata.annotations?.[RESOURCE_ANNOTATION];
  const limit = resource ? job.spec.template.spec.containers[0]?.resources?.limits?.[resource] : undefined;
  const count = Number(limit ?? 0);
  return Number.isInteger(count) && count > 0 ? count : 0;
}

/**
 * The accounting of a finished run, from the Job alone (Kubernetes has no accounting database): from the Job's
 * start (status.startTime, when the Job controller began creating its pods) to its end (completionTime, or when the
 * Failed or Suspended condition came), whole seconds, times the accelerators its pods held. A Job that never started
 * has no record.
 */
export function accountingRecord(engineJobId: string, job: KubeJob): EngineAccountingRecord | null {
  const end = endOf(job);
  const startedAt = time(job.status?.startTime);
  if (!end || !startedAt) return null;
  const elapsedSeconds = Math.max(0, Math.floor((end.endedAt.getTime() - startedAt.getTime()) / 1000));
  const pods = job.spec.completions ?? job.spec.parallelism ?? 1;
  const perPod = acceleratorsPerPod(job);
  const model = job.metadata.annotations?.[MODEL_ANNOTATION];
  return {
    engineJobId,
    tag: job.metadata.annotations?.[TAG_ANNOTATION] ?? '',
    startedAt,
    endedAt: end.endedAt,
    elapsedSeconds,
    accelerators: model && perPod > 0 ? [{ model, count: perPod * pods }] : [],
    exitCode: end.state === 'succeeded' ? 0 : null,
    state: end.state,
  };
}

/**
 * A node of a pool: its accelerators are what the device plugin advertises as allocatable. Not Ready (or no
 * accelerators advertised: the device plugin is down) → down; cordoned (spec.unschedulable) → drained, like a Slurm
 * drain: running pods stay, no new ones come.
 */
export function nodeOf(node: KubeNode, resourceName: string): { name: string; accelerators: number; state: NodeState } {
  const raw = node.status?.allocatable?.[resourceName] ?? '0';
  const accelerators = /^\d+$/.test(raw) ? Number(raw) : 0;
  const ready = condition(node.status?.conditions, 'Ready') !== undefined;
  const state: NodeState = !ready || accelerators === 0 ? 'down' : node.spec?.unschedulable ? 'drained' : 'idle';
  return { name: node.metadata.name ?? '', accelerators, state };
}
