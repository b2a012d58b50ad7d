/**
 * The local engine: runs a job's command as child processes on this machine, one per (virtual) node.
 * All state lives in files under `workDir`, so a new instance re-attaches to jobs an earlier one started.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { EngineKind } from '../../core/domain.ts';
import type {
  CancelOptions,
  Engine,
  EngineAccountingRecord,
  EngineInventory,
  EngineJobStatus,
  EngineSubmitRequest,
} from '../engine.ts';
import { assignAccelerators, checkRequest, nodeKey } from './allocate.ts';
import type { BusyIndices } from './allocate.ts';
import { DEFAULT_KILL_GRACE_SECONDS, DEFAULT_PASS_ENV, validateLocalEngineConfig } from './config.ts';
import type { LocalEngineConfig } from './config.ts';
import {
  ENGINE_JOB_ID_PATTERN,
  jobPaths,
  jobsDir,
  newEngineJobId,
  readJsonIfPresent,
  writeJsonAtomic,
} from './files.ts';
import type { CancelMarker, RequestFile } from './files.ts';
import { signal } from './liveness.ts';
import { readLog } from './logs.ts';
import { spawnRunner } from './spawn.ts';
import { deriveJob } from './state.ts';
import type { DerivedJob } from './state.ts';

export type { LocalEngineConfig, LocalPoolConfig } from './config.ts';

interface JobRecord {
  request: RequestFile;
  /** Cached once the state can no longer change. */
  final: DerivedJob | null;
}

export class LocalEngine implements Engine {
  readonly kind: EngineKind = 'local';
  private readonly jobs = new Map<string, JobRecord>();
  private readonly byTag = new Map<string, string>();
  private readonly hostEnv: Record<string, string>;
  private closed = false;

  constructor(private readonly config: LocalEngineConfig) {
    validateLocalEngineConfig(config);
    mkdirSync(jobsDir(config.workDir), { recursive: true });
    const names = config.passEnv ?? DEFAULT_PASS_ENV;
    this.hostEnv = Object.fromEntries(
      names.flatMap((n) => (process.env[n] === undefined ? [] : [[n, process.env[n]]])),
    );
    this.refreshIndex();
  }

  async inventory(): Promise<EngineInventory> {
    this.refreshIndex();
    const busy = this.busyIndices();
    return {
      pools: this.config.pools.map((pool) => ({
        name: pool.name,
        acceleratorModel: pool.acceleratorModel,
        nodes: pool.nodes.map((node) => {
          const used = busy.get(nodeKey(pool.name, node.name))?.size ?? 0;
          const state = used === 0 ? 'idle' : used >= node.accelerators ? 'allocated' : 'mixed';
          return { name: node.name, accelerators: node.accelerators, state };
        }),
      })),
    };
  }

  /**
   * Everything up to the spawn is synchronous, so two submits in this process cannot take the same indices.
   * A tag seen before returns that job rather than starting a second copy.
   */
  async submit(request: EngineSubmitRequest): Promise<{ engineJobId: string }> {
    if (this.closed) throw new Error('local engine: closed');
    this.refreshIndex();
    const existing = this.byTag.get(request.tag);
    if (existing) return { engineJobId: existing };

    const pool = checkRequest(this.config.pools, request);
    const ranks = assignAccelerators(pool, request, this.busyIndices());
    const engineJobId = this.createJobDir();
    const paths = jobPaths(this.config.workDir, engineJobId);
    const record: RequestFile = {
      version: 1,
      engineJobId,
      jobId: request.jobId,
      tag: request.tag,
      pool: pool.name,
      acceleratorModel: pool.acceleratorModel,
      real: pool.real === true,
      spec: request.spec,
      ranks,
      killGraceSeconds: this.config.killGraceSeconds ?? DEFAULT_KILL_GRACE_SECONDS,
      submittedAt: new Date().toISOString(),
    };
    try {
      mkdirSync(paths.work);
      writeJsonAtomic(paths.request, record);
      this.remember(record);
      const runner = spawnRunner(paths.dir, paths.log, this.hostEnv);
      writeJsonAtomic(paths.runner, runner);
    } catch (error) {
      // Nothing runs: leave no trace that would hold accelerators or answer findByTag.
      this.forget(record);
      rmSync(paths.dir, { recursive: true, force: true });
      throw error;
    }
    return { engineJobId };
  }

  async findByTag(tag: string): Promise<EngineJobStatus | null> {
    if (!this.byTag.has(tag)) this.refreshIndex();
    const id = this.byTag.get(tag);
    return id ? this.derive(id).status : null;
  }

  async listTagged(prefix: string, since: Date): Promise<EngineJobStatus[]> {
    this.refreshIndex();
    const found: EngineJobStatus[] = [];
    for (const [id, record] of this.jobs) {
      if (!record.request.tag.startsWith(prefix)) continue;
      const { status } = this.derive(id);
      const current = status.state === 'queued' || status.state === 'running';
      // A job that ended without recording when (lost, say) counts from its submission.
      const ended = status.endedAt ?? new Date(record.request.submittedAt);
      if (current || ended >= since) found.push(status);
    }
    return found;
  }

  async status(engineJobIds: string[]): Promise<EngineJobStatus[]> {
    if (engineJobIds.some((id) => !this.jobs.has(id))) this.refreshIndex();
    return engineJobIds.map((id) => (this.jobs.has(id) ? this.derive(id).status : unknownJob(id)));
  }

  /**
   * Signals the runner, which sends SIGTERM to the ranks, SIGKILL after the grace (`options.graceSeconds`, else the
   * engine's `killGraceSeconds`) and records 'cancelled'. The grace travels in the cancel marker, which the runner
   * reads when the signal arrives; a repeated cancel changes nothing once the runner is stopping. Works on jobs of
   * earlier instances: the pids come from the job's files.
   */
  async cancel(engineJobId: string, options: CancelOptions = {}): Promise<void> {
    if (!this.jobs.has(engineJobId)) this.refreshIndex();
    if (!this.jobs.has(engineJobId)) return;
    const job = this.derive(engineJobId);
    if (job.final) return;
    const paths = jobPaths(this.config.workDir, engineJobId);
    if (job.status.state === 'lost') {
      // No runner to ask: stop whatever ranks it left behind, and keep reporting 'lost'.
      for (const pid of job.rankPids) signal(pid, 'SIGKILL', true);
      return;
    }
    // The marker covers a runner that has not yet installed its signal handler, or not yet started.
    const marker: CancelMarker = {
      requestedAt: new Date().toISOString(),
      ...(options.graceSeconds === undefined ? {} : { graceSeconds: Math.max(0, options.graceSeconds) }),
    };
    // The first request's marker stays: the runner reads it when the signal arrives, which may be after a repeated
    // cancel, and that must not change the grace the first one asked for.
    try {
      writeFileSync(paths.cancel, `${JSON.stringify(marker)}\n`, { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (job.runnerPid !== null && job.runnerAlive) signal(job.runnerPid, 'SIGTERM');
  }

  async accountingMany(engineJobIds: string[]): Promise<EngineAccountingRecord[]> {
    // Local files: one read per job is as cheap as it gets.
    const records = await Promise.all(engineJobIds.map((id) => this.accounting(id)));
    return records.filter((r): r is EngineAccountingRecord => r !== null);
  }

  async accounting(engineJobId: string): Promise<EngineAccountingRecord | null> {
    if (!this.jobs.has(engineJobId)) this.refreshIndex();
    const record = this.jobs.get(engineJobId);
    if (!record) return null;
    const { status, final } = this.derive(engineJobId);
    if (!final || !status.endedAt) return null;
    // Whole seconds, as Slurm accounts; a job cancelled before it started ran for none.
    const end = Math.floor(status.endedAt.getTime() / 1000);
    const start = Math.min(end, Math.floor((status.startedAt ?? status.endedAt).getTime() / 1000));
    const { spec, acceleratorModel } = record.request;
    const count = spec.acceleratorsPerNode * spec.nodes;
    return {
      engineJobId,
      tag: status.tag,
      startedAt: new Date(start * 1000),
      endedAt: new Date(end * 1000),
      elapsedSeconds: end - start,
      accelerators: count > 0 ? [{ model: acceleratorModel, count }] : [],
      exitCode: status.exitCode,
      state: status.state,
    };
  }

  async logs(engineJobId: string, options?: { tailBytes?: number }): Promise<string> {
    if (!this.jobs.has(engineJobId)) this.refreshIndex();
    if (!this.jobs.has(engineJobId)) throw new Error(`local engine: no such job ${engineJobId}`);
    return readLog(jobPaths(this.config.workDir, engineJobId).log, options?.tailBytes);
  }

  /** Leaves running jobs alone: they are detached on purpose and a later instance re-attaches. */
  async close(): Promise<void> {
    this.closed = true;
  }

  private derive(engineJobId: string): DerivedJob {
    const record = this.jobs.get(engineJobId);
    if (!record) throw new Error(`local engine: no such job ${engineJobId}`);
    if (record.final) return record.final;
    const derived = deriveJob(this.config.workDir, record.request);
    if (derived.final) record.final = derived;
    return derived;
  }

  private busyIndices(): BusyIndices {
    const busy: BusyIndices = new Map();
    for (const [id, record] of this.jobs) {
      if (record.final || !this.derive(id).holdsAccelerators) continue;
      for (const rank of record.request.ranks) {
        const key = nodeKey(record.request.pool, rank.node);
        const used = busy.get(key) ?? new Set<number>();
        for (const index of rank.accelerators) used.add(index);
        busy.set(key, used);
      }
    }
    return busy;
  }

  /** Picks up job folders written by other instances (earlier ones, or one running beside this). */
  private refreshIndex(): void {
    for (const name of readdirSync(jobsDir(this.config.workDir))) {
      if (this.jobs.has(name) || !ENGINE_JOB_ID_PATTERN.test(name)) continue;
      // A folder without request.json is still being created; a later refresh sees it.
      let request: RequestFile | null;
      try {
        request = readJsonIfPresent<RequestFile>(jobPaths(this.config.workDir, name).request);
      } catch {
        // Written atomically, so unreadable means damaged by hand: skip it rather than stop serving every job.
        continue;
      }
      if (request) this.remember(request);
    }
  }

  private remember(request: RequestFile): void {
    this.jobs.set(request.engineJobId, { request, final: null });
    this.byTag.set(request.tag, request.engineJobId);
  }

  private forget(request: RequestFile): void {
    this.jobs.delete(request.engineJobId);
    if (this.byTag.get(request.tag) === request.engineJobId) this.byTag.delete(request.tag);
  }

  private createJobDir(): string {
    for (;;) {
      const id = newEngineJobId();
      try {
        mkdirSync(jobPaths(this.config.workDir, id).dir);
        return id;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
  }
}

export function createLocalEngine(config: LocalEngineConfig): LocalEngine {
  return new LocalEngine(config);
}

function unknownJob(engineJobId: string): EngineJobStatus {
  return {
    engineJobId,
    tag: '',
    state: 'lost',
    reason: 'no such job on this engine',
    startedAt: null,
    endedAt: null,
    exitCode: null,
  };
}
