/**
 * What the engine needs from slurmrestd, independent of the OpenAPI version. Each version module (v0038.ts, ...)
 * implements SlurmApi and turns its own JSON into these shapes.
 */
import type { NodeState } from '../../core/domain.ts';

/** A job as the controller (slurmctld) reports it; it forgets finished jobs after MinJobAge. */
export interface SlurmJobInfo {
  id: string;
  name: string;
  /** Slurm's state word(s), e.g. "RUNNING" or ["RUNNING", "COMPLETING"]. */
  state: string | string[];
  reason: string | null;
  exitCode: number | null;
  signal: number | null;
  startedAt: Date | null;
  endedAt: Date | null;
  comment: string;
  partition: string;
  user: string | null;
  /** The StdOut path as Slurm stores it (may hold %j and friends). */
  stdout: string | null;
  /** The nodes allocated to it; empty while it waits. */
  nodeNames: string[];
}

/** A job as slurmdbd keeps it, for good. */
export interface SlurmDbJob {
  id: string;
  cluster: string;
  name: string;
  comment: string;
  state: string | string[];
  reason: string | null;
  /** Null when the database's answer cannot be trusted (see v0038.ts). */
  exitCode: number | null;
  signal: number | null;
  startedAt: Date | null;
  endedAt: Date | null;
  elapsedSeconds: number;
  partition: string;
  /** AllocTRES gres/gpu:<type>=N entries; type null for the untyped gres/gpu total. */
  gpus: Array<{ type: string | null; count: number }>;
}

export interface SlurmNodeInfo {
  name: string;
  state: NodeState;
  /** Slurm's own state words, for messages. */
  slurmState: string;
  reason: string;
  partitions: string[];
  /** GPUs by GRES type (node Gres=gpu:<type>:<count>). */
  gpus: Array<{ type: string; count: number }>;
}

export interface SlurmSubmission {
  script: string;
  name: string;
  partition: string;
  nodeNames: string[];
  nodes: number;
  /** e.g. "gpu:a100:2"; null for none. */
  gres: string | null;
  timeLimitMinutes: number;
  comment: string;
  environment: Record<string, string>;
  workDir: string;
  stdout: string;
}

export interface SlurmApi {
  readonly version: string;
  partitionNames(): Promise<string[]>;
  nodes(): Promise<SlurmNodeInfo[]>;
  /** Returns the new job's id. Throws EngineRejection when Slurm refuses the job as it stands. */
  submit(submission: SlurmSubmission): Promise<string>;
  jobs(): Promise<SlurmJobInfo[]>;
  /**
   * Every job the controller keeps if any job changed since `updateTime` (the controller's clock, epoch
   * seconds), null if none did. Not a filter: slurmctld answers all or nothing (see controller-jobs.ts).
   */
  jobsChangedSince(updateTime: number): Promise<SlurmJobInfo[] | null>;
  /** The controller's clock (epoch seconds) when it answered; null when the daemon does not say. */
  controllerTime(): Promise<number | null>;
  /** Null when the controller does not know the job (any more). */
  job(id: string): Promise<SlurmJobInfo | null>;
  cancel(id: string): Promise<void>;
  /**
   * Sends SIGTERM to a running job's batch script and steps without ending it ('sent'); 'pending' when the job has
   * not started (Slurm signals only running jobs); 'ended' when it has ended or is unknown.
   */
  terminate(id: string): Promise<'sent' | 'pending' | 'ended'>;
  /** Null when slurmdbd has no record of the job on this cluster (yet). */
  dbJob(id: string): Promise<SlurmDbJob | null>;
  /** This cluster's jobs in slurmdbd that ran or waited since `since`. */
  dbJobsSince(since: Date): Promise<SlurmDbJob[]>;
  /** slurmdbd's records of these jobs of this cluster (the last record of a requeued one); unknown ids are left out. */
  dbJobs(ids: readonly string[]): Promise<SlurmDbJob[]>;
}
