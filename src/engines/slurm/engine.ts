/**
 * The Slurm engine: drives one member cluster through its slurmrestd (JWT), mapping suanli's pools onto
 * partitions (one pool per partition and GPU type) and its jobs onto batch jobs tagged with the dispatch tag in
 * Slurm's comment. The controller answers for current jobs; slurmdbd for finished ones, and for accounting.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { findAccelerator } from '../../core/accelerators.ts';
import type { EngineKind } from '../../core/domain.ts';
import type {
  CancelOptions,
  Engine,
  EngineAccountingRecord,
  EngineInventory,
  EngineJobStatus,
  EngineSubmitRequest,
  InventoryPool,
} from '../engine.ts';
import { EngineRejection } from '../engine.ts';
import type { SlurmApi, SlurmDbJob, SlurmJobInfo } from './api.ts';
import { SlurmClient } from './client.ts';
import { ControllerJobCache } from './controller-jobs.ts';
import {
  DEFAULT_ACCOUNTING_DELAY_MS,
  DEFAULT_TIMEOUT_SECONDS,
  DEFAULT_WORK_DIR,
  TokenSource,
  validateSlurmEngineConfig,
} from './config.ts';
import type { SlurmEngineConfig } from './config.ts';
import { batchScript, expandOutputPath, jobEnvironment, outputPattern, timeLimitMinutes } from './script.ts';
import { isFinalState, mapJobState } from './states.ts';
import { SlurmApiV0038 } from './v0038.ts';
import { detectVersion } from './versions.ts';
import type { SupportedVersion } from './versions.ts';

export type { SlurmEngineConfig } from './config.ts';

/** How far back findByTag searches slurmdbd for a job the controller has forgotten, when not told when it was sent. */
const TAG_SEARCH_DAYS = 30;

/**
 * Up to this many jobs, status() asks the controller about each (GET /job/{id}, ~4 kB, 2-6 ms on the lab)
 * rather than for its list (GET /jobs: every job it keeps, 35-57 ms for 200 jobs on the lab, more when busy).
 */
const FEW_JOBS = 8;

const API_BY_VERSION: Record<SupportedVersion, (client: SlurmClient) => SlurmApi> = {
  '0.0.38': (client) => new SlurmApiV0038(client),
};

/** A pool's place in Slurm. */
interface PoolTarget {
  partition: string;
  gresType: string;
  model: string;
}

export function modelForGresType(type: string): string {
  return findAccelerator(type)?.model ?? type;
}

export class SlurmEngine implements Engine {
  readonly kind: EngineKind = 'slurm';
  private readonly client: SlurmClient;
  private readonly label: string;
  private readonly workDir: string;
  private api: Promise<SlurmApi> | null = null;
  private readonly pools = new Map<string, PoolTarget>();
  private readonly controllerJobs = new ControllerJobCache();
  /**
   * Jobs this process sent SIGTERM for a preemption's grace (in memory: after a restart a job still in its grace is
   * signalled once more, which a checkpointing script takes as the same request).
   */
  private readonly terminated = new Map<string, number>();
  private closed = false;

  constructor(private readonly config: SlurmEngineConfig) {
    validateSlurmEngineConfig(config);
    this.label = config.name ?? config.restUrl;
    this.workDir = config.workDir ?? DEFAULT_WORK_DIR;
    this.client = new SlurmClient({
      restUrl: config.restUrl,
      user: config.user,
      tokens: new TokenSource(config),
      label: this.label,
      timeoutMs: (config.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
    });
  }

  /** The OpenAPI version in use ("0.0.38"), detected on first use. */
  async version(): Promise<string> {
    return (await this.slurm()).version;
  }

  async inventory(): Promise<EngineInventory> {
    const api = await this.slurm();
    const [partitionNames, nodes] = await Promise.all([api.partitionNames(), api.nodes()]);
    const wanted = this.config.partitions ? new Set(this.config.partitions) : null;
    const partitions = partitionNames.filter((p) => !wanted || wanted.has(p));
    const pools: InventoryPool[] = [];
    this.pools.clear();
    for (const partition of partitions) {
      const members = nodes.filter((n) => n.partitions.includes(partition));
      const types = [...new Set(members.flatMap((n) => n.gpus.map((g) => g.type)))].sort();
      for (const gresType of types) {
        const name = types.length === 1 ? partition : `${partition}:${gresType}`;
        const model = modelForGresType(gresType);
        this.pools.set(name, { partition, gresType, model });
        pools.push({
          name,
          acceleratorModel: model,
          nodes: members.flatMap((n) => {
            const count = n.gpus.filter((g) => g.type === gresType).reduce((sum, g) => sum + g.count, 0);
            return count > 0 ? [{ name: n.name, accelerators: count, state: n.state }] : [];
          }),
        });
      }
    }
    return { pools };
  }

  async submit(request: EngineSubmitRequest): Promise<{ engineJobId: string }> {
    if (this.closed) throw new Error(`slurm cluster ${this.label}: engine closed`);
    const { spec } = request;
    const script = batchScript(spec); // rejects images before any call
    const target = await this.target(request.pool);
    if (request.nodeNames.length !== 0 && request.nodeNames.length !== spec.nodes) {
      throw new EngineRejection(
        `slurm cluster ${this.label}: ${request.nodeNames.length} nodes named for a job of ${spec.nodes} nodes`,
      );
    }
    const api = await this.slurm();
    const engineJobId = await api.submit({
      script,
      name: spec.name || `suanli-${request.jobId}`,
      partition: target.partition,
      nodeNames: request.nodeNames,
      nodes: spec.nodes,
      gres: spec.acceleratorsPerNode > 0 ? `gpu:${target.gresType}:${spec.acceleratorsPerNode}` : null,
      timeLimitMinutes: timeLimitMinutes(spec.timeLimitSeconds),
      comment: request.tag,
      environment: jobEnvironment(spec, request.jobId, request.tag),
      workDir: this.workDir,
      stdout: outputPattern(this.workDir, request.tag),
    });
    return { engineJobId };
  }

  async findByTag(tag: string, dispatchedSince?: Date): Promise<EngineJobStatus | null> {
    if (!tag) return null;
    const api = await this.slurm();
    const current = (await api.jobs()).filter((j) => j.comment === tag);
    const newest = current.sort((a, b) => Number(b.id) - Number(a.id))[0];
    if (newest) return fromController(newest);
    // A month of a busy centre's accounting is tens of thousands of jobs; the dispatch's own start bounds the search.
    const since = dispatchedSince ?? new Date(Date.now() - TAG_SEARCH_DAYS * 24 * 3600 * 1000);
    const recorded = (await api.dbJobsSince(since)).filter((j) => j.comment === tag);
    const last = recorded.sort((a, b) => Number(b.id) - Number(a.id))[0];
    return last ? fromDatabase(last) : null;
  }

  /** The controller's jobs and slurmdbd's since `since`; a job in both is the controller's (it is fresher). */
  async listTagged(prefix: string, since: Date): Promise<EngineJobStatus[]> {
    const api = await this.slurm();
    const [current, recorded] = await Promise.all([api.jobs(), api.dbJobsSince(since)]);
    const byId = new Map<string, EngineJobStatus>();
    for (const job of recorded) if (job.comment.startsWith(prefix)) byId.set(job.id, fromDatabase(job));
    for (const job of current) if (job.comment.startsWith(prefix)) byId.set(job.id, fromController(job));
    return [...byId.values()];
  }

  async status(engineJobIds: string[]): Promise<EngineJobStatus[]> {
    const valid = [...new Set(engineJobIds.filter(isJobId))];
    const api = valid.length > 0 ? await this.slurm() : null;
    let known: ReadonlyMap<string, SlurmJobInfo> = new Map();
    let listReused = false;
    if (api && valid.length <= FEW_JOBS) {
      // One small answer per job beats the controller's whole list, which holds every job of MinJobAge.
      const answers = await Promise.all(valid.map((id) => api.job(id)));
      known = new Map(answers.flatMap((job) => (job ? [[job.id, job] as const] : [])));
    } else if (api) {
      ({ jobs: known, reused: listReused } = await this.controllerJobs.read(api));
    }
    return Promise.all(
      engineJobIds.map(async (id) => {
        const job = known.get(id);
        if (job) return fromController(job);
        if (!api || !isJobId(id)) return lost(id, 'not a Slurm job id');
        // Forgotten by the controller (MinJobAge): slurmdbd keeps it.
        const recorded = await api.dbJob(id);
        if (recorded) return fromDatabase(recorded);
        // "lost" may start the job again elsewhere: an earlier list is not enough to say the controller has no
        // such job, so ask it about this one.
        const live = listReused ? await api.job(id) : null;
        return live ? fromController(live) : lost(id, 'unknown to slurmctld and slurmdbd');
      }),
    );
  }

  /**
   * Without a grace (a user's cancel, or a preemption's grace spent): a plain cancel, where slurmctld sends SIGTERM and
   * SIGKILL after the cluster's `KillWait`. With `graceSeconds` > 0 (a preemption): SIGTERM only, once, so the job can
   * checkpoint; the control loop cancels it when the grace is over (docs/slurm.md, "Preemption's grace period"). A
   * job that has not started has nothing to save and is cancelled at once.
   */
  async cancel(engineJobId: string, options: CancelOptions = {}): Promise<void> {
    if (!isJobId(engineJobId)) return;
    const api = await this.slurm();
    if ((options.graceSeconds ?? 0) > 0) {
      if (this.terminated.has(engineJobId)) return;
      const answer = await api.terminate(engineJobId);
      if (answer === 'sent') this.rememberTerminated(engineJobId);
      if (answer !== 'pending') return;
    }
    await api.cancel(engineJobId);
    this.terminated.delete(engineJobId);
  }

  /** Notes a job sent SIGTERM for its grace; once there are many, those signalled over a day ago are forgotten. */
  private rememberTerminated(engineJobId: string): void {
    const now = Date.now();
    if (this.terminated.size >= 1_000) {
      for (const [id, at] of this.terminated) if (now - at > 86_400_000) this.terminated.delete(id);
    }
    this.terminated.set(engineJobId, now);
  }

  async accounting(engineJobId: string): Promise<EngineAccountingRecord | null> {
    if (!isJobId(engineJobId)) return null;
    const api = await this.slurm();
    const recorded = await api.dbJob(engineJobId);
    return recorded ? this.toAccount(api, engineJobId, recorded) : null;
  }

  async accountingMany(engineJobIds: string[]): Promise<EngineAccountingRecord[]> {
    const wanted = new Set(engineJobIds.filter(isJobId));
    if (wanted.size === 0) return [];
    const api = await this.slurm();
    // One slurmdbd query for the whole batch (each /slurmdb call costs hundreds of milliseconds, whatever its size),
    // naming the jobs: a time window would bring every other job in it too.
    const recorded = (await api.dbJobs([...wanted])).filter((j) => wanted.has(j.id));
    const accounts = await Promise.all(recorded.map((r) => this.toAccount(api, r.id, r)));
    return accounts.filter((a): a is EngineAccountingRecord => a !== null);
  }

  private async toAccount(
    api: SlurmApi,
    engineJobId: string,
    recorded: SlurmDbJob,
  ): Promise<EngineAccountingRecord | null> {
    if (!recorded.endedAt) return null;
    const mapped = mapJobState(recorded.state, recorded.reason);
    if (!isFinalState(mapped.state)) return null;
    const delay = this.config.accountingDelayMs ?? DEFAULT_ACCOUNTING_DELAY_MS;
    // slurmdbd writes the times first and the name and comment a few seconds later.
    if (!recorded.comment && Date.now() - recorded.endedAt.getTime() < delay) return null;
    let exitCode = recorded.exitCode;
    if (exitCode === null && recorded.signal === null) {
      // The controller's exit status is right where 22.05's database answer is not; it keeps it for MinJobAge.
      const live = await api.job(engineJobId).catch(() => null);
      if (live) exitCode = live.exitCode;
    }
    return {
      engineJobId,
      tag: recorded.comment,
      startedAt: recorded.startedAt ?? recorded.endedAt,
      endedAt: recorded.endedAt,
      elapsedSeconds: recorded.elapsedSeconds,
      accelerators: this.accelerators(recorded),
      exitCode,
      state: mapped.state,
    };
  }

  async logs(engineJobId: string, options?: { tailBytes?: number }): Promise<string> {
    if (!isJobId(engineJobId)) throw new Error(`slurm cluster ${this.label}: not a Slurm job id: ${engineJobId}`);
    const api = await this.slurm();
    let path: string | null = null;
    const live = await api.job(engineJobId);
    if (live?.stdout) {
      path = expandOutputPath(live.stdout, { id: engineJobId, name: live.name, user: live.user ?? undefined });
    } else {
      const recorded = await api.dbJob(engineJobId);
      if (recorded?.comment)
        path = expandOutputPath(outputPattern(this.workDir, recorded.comment), { id: engineJobId });
    }
    if (path && existsSync(path)) return readTail(path, options?.tailBytes);
    return (
      `slurm cluster ${this.label}: the output of job ${engineJobId} is kept on the centre's nodes` +
      `${path ? ` (${path})` : ''} and cannot be read from here`
    );
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** The version module, detected once; a failed detection is retried on the next call. */
  private slurm(): Promise<SlurmApi> {
    if (!this.api) {
      this.api = detectVersion(this.client).then((version) => API_BY_VERSION[version](this.client));
      this.api.catch(() => {
        this.api = null;
      });
    }
    return this.api;
  }

  private async target(pool: string): Promise<PoolTarget> {
    if (!this.pools.has(pool)) await this.inventory();
    const target = this.pools.get(pool);
    if (!target) {
      throw new EngineRejection(
        `slurm cluster ${this.label}: no pool "${pool}" (pools: ${[...this.pools.keys()].join(', ') || 'none'})`,
      );
    }
    return target;
  }

  private accelerators(job: SlurmDbJob): Array<{ model: string; count: number }> {
    const typed = job.gpus.filter((g) => g.type !== null);
    if (typed.length > 0) return typed.map((g) => ({ model: modelForGresType(g.type ?? ''), count: g.count }));
    const total = job.gpus.find((g) => g.type === null)?.count ?? 0;
    if (total === 0) return [];
    const pool = [...this.pools.values()].find((p) => p.partition === job.partition);
    return [{ model: pool?.model ?? 'gpu', count: total }];
  }
}

function isJobId(id: string): boolean {
  return /^\d+$/.test(id);
}

function lost(engineJobId: string, reason: string): EngineJobStatus {
  return { engineJobId, tag: '', state: 'lost', reason, startedAt: null, endedAt: null, exitCode: null };
}

export function fromController(job: SlurmJobInfo): EngineJobStatus {
  const mapped = mapJobState(job.state, job.reason, { exitCode: job.exitCode, signal: job.signal });
  const final = isFinalState(mapped.state);
  return {
    engineJobId: job.id,
    tag: job.comment,
    state: mapped.state,
    reason: mapped.reason,
    // Slurm fills these with expected times for jobs that have not started or ended.
    startedAt: mapped.state === 'queued' ? null : job.startedAt,
    endedAt: final ? job.endedAt : null,
    exitCode: final ? job.exitCode : null,
    ...(job.nodeNames.length > 0 ? { nodeNames: job.nodeNames } : {}),
  };
}

export function fromDatabase(job: SlurmDbJob): EngineJobStatus {
  const mapped = mapJobState(job.state, job.reason, { exitCode: job.exitCode, signal: job.signal });
  const final = isFinalState(mapped.state);
  return {
    engineJobId: job.id,
    tag: job.comment,
    state: mapped.state,
    reason: mapped.reason,
    startedAt: mapped.state === 'queued' ? null : job.startedAt,
    endedAt: final ? job.endedAt : null,
    exitCode: final ? job.exitCode : null,
  };
}

function readTail(path: string, tailBytes?: number): string {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = tailBytes !== undefined ? Math.min(size, Math.max(0, tailBytes)) : size;
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export function createSlurmEngine(config: SlurmEngineConfig): SlurmEngine {
  return new SlurmEngine(config);
}
