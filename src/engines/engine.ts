/**
 * The one interface every member-cluster engine implements (local, slurm, kubernetes).
 * The control plane speaks only this; each engine maps it onto the cluster's own scheduler.
 */
import type { EngineKind, JobSpec, NodeState } from '../core/domain.ts';

export interface InventoryPool {
  /** The engine's name for the pool (a Slurm partition, a local pool). */
  name: string;
  acceleratorModel: string;
  nodes: Array<{ name: string; accelerators: number; state: NodeState }>;
}

export interface EngineInventory {
  pools: InventoryPool[];
}

export interface EngineSubmitRequest {
  /** suanli's job id. */
  jobId: string;
  /**
   * Identifies this dispatch attempt. The engine stores it with the job (a Slurm comment, a file) so that
   * `findByTag` can find a job whose submit answer the control plane never recorded.
   */
  tag: string;
  spec: JobSpec;
  /** Pool chosen by the scheduler (engine's name). */
  pool: string;
  /** Nodes chosen by the scheduler, `spec.nodes` of them. */
  nodeNames: string[];
}

export type EngineJobState =
  'queued' | 'running' | 'succeeded' | 'failed' | 'timeout' | 'cancelled' | 'preempted' | 'lost';

export interface EngineJobStatus {
  engineJobId: string;
  tag: string;
  state: EngineJobState;
  /** The engine's own words for the state, e.g. Slurm's reason or "exit code 3". */
  reason: string | null;
  startedAt: Date | null;
  endedAt: Date | null;
  exitCode: number | null;
  /** The nodes the engine runs it on, where it reports them (for jobs it placed itself). */
  nodeNames?: string[];
}

/** The engine's own account of a finished run (Slurm: sacct / slurmdbd). */
export interface EngineAccountingRecord {
  engineJobId: string;
  tag: string;
  startedAt: Date;
  endedAt: Date;
  /** Whole seconds, as the engine counts them. */
  elapsedSeconds: number;
  /** Accelerators allocated, by model (AllocTRES gres/gpu:<model>). */
  accelerators: Array<{ model: string; count: number }>;
  exitCode: number | null;
  state: EngineJobState;
}

/** A submit the engine will never accept as it stands (e.g. an image on an engine that cannot run images). */
export class EngineRejection extends Error {
  override readonly name = 'EngineRejection';
}

export interface CancelOptions {
  /**
   * Seconds the job gets from the stop signal (SIGTERM) to the kill, to checkpoint: a preemption's grace period.
   * Absent = the engine's own default. An engine that cannot honour it says so in its documentation.
   */
  graceSeconds?: number;
}

export interface Engine {
  readonly kind: EngineKind;
  inventory(): Promise<EngineInventory>;
  /** Throws EngineRejection for a permanent refusal; any other error is transient and may be retried. */
  submit(request: EngineSubmitRequest): Promise<{ engineJobId: string }>;
  /**
   * The job carrying this dispatch tag, if the engine has one. `dispatchedSince`: the dispatch started then, so the
   * job cannot be older (an engine searching its accounting searches from there, not over weeks of other jobs).
   */
  findByTag(tag: string, dispatchedSince?: Date): Promise<EngineJobStatus | null>;
  /**
   * Every job the engine knows whose tag starts with `prefix`: current ones, and finished ones that ended since
   * `since`. For the operator's reconciliation of what the engine holds against what suanli recorded.
   */
  listTagged(prefix: string, since: Date): Promise<EngineJobStatus[]>;
  /** Current states; ids the engine does not know come back with state `lost`. */
  status(engineJobIds: string[]): Promise<EngineJobStatus[]>;
  /** Asks the job to stop; repeating the request is harmless (it neither restarts nor extends the grace). */
  cancel(engineJobId: string, options?: CancelOptions): Promise<void>;
  /** The accounting record of a finished job, or null while it has none yet. */
  accounting(engineJobId: string): Promise<EngineAccountingRecord | null>;
  /**
   * The accounting records available now for these finished jobs, in as few calls to the cluster as it allows:
   * metering many jobs must not cost a round trip each. Jobs without a record yet are left out.
   */
  accountingMany(engineJobIds: string[]): Promise<EngineAccountingRecord[]>;
  /** The job's combined stdout and stderr (the tail of it when `tailBytes` is given). */
  logs(engineJobId: string, options?: { tailBytes?: number }): Promise<string>;
  close(): Promise<void>;
}
