/**
 * slurmrestd OpenAPI v0.0.38 (Slurm 22.05): endpoints and the mapping of its JSON onto the engine's shapes.
 *
 * Quirks of 22.05.8 met on real daemons:
 * - The submission has no documented key for a node list; the option name "nodelist" is accepted
 *   ("required_nodes" is disabled). `nodes` is a count string ("2"): the [min, max] array form is ignored.
 * - #SBATCH lines in the script are not read.
 * - The controller's `exit_code` is a wait(2) status (768 = exit 3). slurmdbd's `exit_code` reports
 *   SUCCESS/0 even for a failed job, so the database's exit code is only trusted for COMPLETED jobs.
 * - A non-numeric job id on /slurmdb/.../job/{id} makes slurmrestd exit (fatal): the engine sends numeric ids only.
 * - /slurmdb/.../job/{id} answers for the daemon's own cluster only (job ids restart on every cluster).
 * - GET /jobs?update_time=T is no "changed since" filter: HTTP 304 with an empty body when no job changed since
 *   T (slurmctld's last_job_update < T), otherwise every job the controller keeps.
 */
import { expandHostlist } from './hostlist.ts';
import { EngineRejection } from '../engine.ts';
import { SLURM_ERRNO } from './client.ts';
import type { SlurmClient, SlurmErrorEntry, SlurmResponse } from './client.ts';
import type { SlurmApi, SlurmDbJob, SlurmJobInfo, SlurmNodeInfo, SlurmSubmission } from './api.ts';
import { decodeWaitStatus, mapNodeState } from './states.ts';

const V = 'v0.0.38';
const CTLD = `/slurm/${V}`;
const DBD = `/slurmdb/${V}`;

interface CtldJob {
  job_id?: number;
  name?: string;
  job_state?: string;
  state_reason?: string;
  state_description?: string;
  exit_code?: number;
  start_time?: number;
  end_time?: number;
  comment?: string;
  partition?: string;
  user_name?: string;
  standard_output?: string;
  /** The allocated nodes as a hostlist ("hf[1-2]"); empty while pending. */
  nodes?: string;
}

interface CtldNode {
  name?: string;
  state?: string;
  state_flags?: string[];
  reason?: string;
  partitions?: string[];
  gres?: string;
}

interface DbJob {
  job_id?: number;
  cluster?: string;
  name?: string;
  partition?: string;
  comment?: { job?: string | null } | null;
  state?: { current?: string; reason?: string };
  exit_code?: { status?: string; return_code?: number; signal?: { signal_id?: number } };
  time?: { start?: number; end?: number; elapsed?: number };
  tres?: { allocated?: Array<{ type?: string; name?: string | null; count?: number | null }> };
}

/** Slurm errors (slurm_errno.h) meaning the job can never run as submitted. */
const PERMANENT_SUBMIT_ERRORS = new Set([
  2000, // invalid partition name
  2002, // access denied (partition)
  2004, // requested nodes not in partition
  2005, // too many requested CPUs
  2006, // invalid node count
  2014, // requested node configuration is not available
  2015, // requested partition configuration not available
  2018, // invalid node name
  2051, // invalid time limit
  2072, // invalid generic resource (gres) specification
]);

function date(seconds: number | undefined | null): Date | null {
  return seconds && seconds > 0 ? new Date(seconds * 1000) : null;
}

function hasError(response: SlurmResponse<unknown>, errno: number): boolean {
  return (response.data.errors ?? []).some((e: SlurmErrorEntry) => (e.error_number ?? e.error_code) === errno);
}

/** "gpu:a100:4(S:0-1),gpu:h100:2,mps:100" gives [{a100, 4}, {h100, 2}]; an untyped "gpu:4" gives type "gpu". */
export function parseGpuGres(gres: string | undefined): Array<{ type: string; count: number }> {
  if (!gres || gres === '(null)') return [];
  const out: Array<{ type: string; count: number }> = [];
  for (const item of gres.split(/,(?![^(]*\))/)) {
    const fields = item.replace(/\(.*\)$/, '').split(':');
    if (fields[0] !== 'gpu') continue;
    const count = Number(fields.at(-1));
    if (!Number.isFinite(count)) continue;
    out.push({ type: fields.length >= 3 ? (fields[1] ?? 'gpu') : 'gpu', count });
  }
  return out;
}

export function toJobInfo(job: CtldJob): SlurmJobInfo {
  const { exitCode, signal } = decodeWaitStatus(job.exit_code);
  const reason = job.state_description || job.state_reason || null;
  return {
    id: String(job.job_id ?? ''),
    name: job.name ?? '',
    state: job.job_state ?? 'UNKNOWN',
    reason: reason === 'None' ? null : reason,
    exitCode,
    signal,
    startedAt: date(job.start_time),
    endedAt: date(job.end_time),
    comment: job.comment ?? '',
    partition: job.partition ?? '',
    user: job.user_name ?? null,
    stdout: job.standard_output || null,
    nodeNames: job.nodes ? expandHostlist(job.nodes) : [],
  };
}

export function toDbJob(job: DbJob): SlurmDbJob {
  const state = job.state?.current ?? 'UNKNOWN';
  const exit = job.exit_code ?? {};
  const signal = exit.signal?.signal_id && exit.signal.signal_id > 0 ? exit.signal.signal_id : null;
  // 22.05's dbv0.0.38 reports SUCCESS/0 for failed jobs too: only a COMPLETED job's 0 is believable.
  let exitCode: number | null = exit.return_code ?? null;
  if (exit.status === 'SUCCESS' && exitCode === 0 && state !== 'COMPLETED') exitCode = null;
  const gpus: SlurmDbJob['gpus'] = [];
  for (const t of job.tres?.allocated ?? []) {
    if (t.type !== 'gres' || !t.name || !t.count) continue;
    if (t.name === 'gpu') gpus.push({ type: null, count: t.count });
    else if (t.name.startsWith('gpu:')) gpus.push({ type: t.name.slice(4), count: t.count });
  }
  return {
    id: String(job.job_id ?? ''),
    cluster: job.cluster ?? '',
    name: job.name ?? '',
    comment: job.comment?.job ?? '',
    state,
    reason: job.state?.reason && job.state.reason !== 'None' ? job.state.reason : null,
    exitCode: signal ? null : exitCode,
    signal,
    startedAt: date(job.time?.start),
    endedAt: date(job.time?.end),
    elapsedSeconds: job.time?.elapsed ?? 0,
    partition: job.partition ?? '',
    gpus,
  };
}

export function toNodeInfo(node: CtldNode): SlurmNodeInfo {
  const flags = node.state_flags ?? [];
  return {
    name: node.name ?? '',
    state: mapNodeState(node.state, flags),
    slurmState: [node.state ?? '', ...flags].filter((s) => s).join('+'),
    reason: node.reason ?? '',
    partitions: node.partitions ?? [],
    gpus: parseGpuGres(node.gres),
  };
}

/** The v0.0.38 body of POST /slurm/v0.0.38/job/submit. */
export function submissionBody(s: SlurmSubmission): Record<string, unknown> {
  const job: Record<string, unknown> = {
    name: s.name,
    partition: s.partition,
    nodes: String(s.nodes),
    time_limit: s.timeLimitMinutes,
    comment: s.comment,
    current_working_directory: s.workDir,
    environment: s.environment,
    standard_output: s.stdout,
    requeue: false,
  };
  if (s.nodeNames.length > 0) job.nodelist = s.nodeNames.join(',');
  if (s.gres) job.gres = s.gres;
  return { script: s.script, job };
}

export class SlurmApiV0038 implements SlurmApi {
  readonly version = '0.0.38';

  constructor(private readonly client: SlurmClient) {}

  async partitionNames(): Promise<string[]> {
    const path = `${CTLD}/partitions`;
    const response = await this.client.request<{ partitions?: Array<{ name?: string }> }>('GET', path);
    if (response.status !== 200) throw this.client.failure('GET', path, response);
    return (response.data.partitions ?? []).map((p) => p.name ?? '').filter((n) => n);
  }

  async nodes(): Promise<SlurmNodeInfo[]> {
    const path = `${CTLD}/nodes`;
    const response = await this.client.request<{ nodes?: CtldNode[] }>('GET', path);
    if (response.status !== 200) throw this.client.failure('GET', path, response);
    return (response.data.nodes ?? []).map(toNodeInfo);
  }

  async submit(submission: SlurmSubmission): Promise<string> {
    const path = `${CTLD}/job/submit`;
    const response = await this.client.request<{ job_id?: number }>('POST', path, submissionBody(submission));
    if (response.status === 200 && response.data.job_id !== undefined && !(response.data.errors ?? []).length) {
      return String(response.data.job_id);
    }
    const error = this.client.failure('POST', path, response, 'Slurm refused the job');
    const permanent =
      response.status === 400 ||
      (response.data.errors ?? []).some((e) => PERMANENT_SUBMIT_ERRORS.has(e.error_number ?? e.error_code ?? 0));
    if (permanent) throw new EngineRejection(error.message);
    throw error;
  }

  async jobs(): Promise<SlurmJobInfo[]> {
    const path = `${CTLD}/jobs`;
    const response = await this.client.request<{ jobs?: CtldJob[] }>('GET', path);
    if (response.status !== 200) throw this.client.failure('GET', path, response);
    return (response.data.jobs ?? []).map(toJobInfo);
  }

  async jobsChangedSince(updateTime: number): Promise<SlurmJobInfo[] | null> {
    const path = `${CTLD}/jobs?update_time=${Math.floor(updateTime)}`;
    const response = await this.client.request<{ jobs?: CtldJob[] }>('GET', path);
    if (response.status === 304) return null;
    if (response.status !== 200) throw this.client.failure('GET', path, response);
    return (response.data.jobs ?? []).map(toJobInfo);
  }

  async controllerTime(): Promise<number | null> {
    // sdiag's statistics: req_time is slurmctld's time() when it answered. A few hundred bytes, one RPC.
    const path = `${CTLD}/diag`;
    const response = await this.client.request<{ statistics?: { req_time?: number } }>('GET', path);
    if (response.status !== 200) throw this.client.failure('GET', path, response);
    const time = response.data.statistics?.req_time;
    return typeof time === 'number' && time > 0 ? time : null;
  }

  async job(id: string): Promise<SlurmJobInfo | null> {
    const path = `${CTLD}/job/${numericId(id)}`;
    const response = await this.client.request<{ jobs?: CtldJob[] }>('GET', path);
    if (response.status === 200) {
      const job = (response.data.jobs ?? []).find((j) => String(j.job_id) === id);
      return job ? toJobInfo(job) : null;
    }
    if (hasError(response, SLURM_ERRNO.invalidJobId)) return null;
    throw this.client.failure('GET', path, response);
  }

  async cancel(id: string): Promise<void> {
    const path = `${CTLD}/job/${numericId(id)}`;
    const response = await this.client.request('DELETE', path);
    if (response.status === 200 && !(response.data.errors ?? []).length) return;
    // Finished or unknown: nothing left to cancel.
    if (hasError(response, SLURM_ERRNO.alreadyDone) || hasError(response, SLURM_ERRNO.invalidJobId)) return;
    throw this.client.failure('DELETE', path, response);
  }

  async terminate(id: string): Promise<'sent' | 'pending' | 'ended'> {
    const path = `${CTLD}/job/${numericId(id)}?signal=TERM`;
    const response = await this.client.request('DELETE', path);
    if (response.status === 200 && !(response.data.errors ?? []).length) return 'sent';
    if (hasError(response, SLURM_ERRNO.notNow)) return 'pending';
    if (hasError(response, SLURM_ERRNO.alreadyDone) || hasError(response, SLURM_ERRNO.invalidJobId)) return 'ended';
    throw this.client.failure('DELETE', path, response);
  }

  async dbJob(id: string): Promise<SlurmDbJob | null> {
    const path = `${DBD}/job/${numericId(id)}`;
    const response = await this.client.request<{ jobs?: DbJob[] }>('GET', path);
    if (response.status === 200) {
      // Several records for one id: a requeued job; the last is the current one.
      const jobs = (response.data.jobs ?? []).filter((j) => String(j.job_id) === id);
      const last = jobs.at(-1);
      return last ? toDbJob(last) : null;
    }
    if (hasError(response, SLURM_ERRNO.nothingFound)) return null;
    throw this.client.failure('GET', path, response);
  }

  async dbJobs(ids: readonly string[]): Promise<SlurmDbJob[]> {
    const unique = [...new Set(ids.map(numericId))];
    const chunks: string[][] = [];
    for (let i = 0; i < unique.length; i += DB_IDS_PER_QUERY) chunks.push(unique.slice(i, i + DB_IDS_PER_QUERY));
    // `step` is sacct's --jobs: only these jobs, not everything in a time window (each costs ~1 KB of JSON); the
    // steps themselves are not needed, the job's allocated TRES and exit code are on the job.
    const answers = await Promise.all(
      chunks.map(async (chunk) => {
        const path = `${DBD}/jobs?skip_steps=true&step=${encodeURIComponent(chunk.join(','))}`;
        const response = await this.client.request<{ jobs?: DbJob[] }>('GET', path);
        if (response.status === 200) return response.data.jobs ?? [];
        if (hasError(response, SLURM_ERRNO.nothingFound)) return [];
        throw this.client.failure('GET', path, response);
      }),
    );
    // Several records for one id: a requeued job; the last is the current one.
    const last = new Map<string, DbJob>();
    for (const job of answers.flat()) last.set(String(job.job_id), job);
    return [...last.values()].map(toDbJob);
  }

  async dbJobsSince(since: Date): Promise<SlurmDbJob[]> {
    // Relative to the daemon's own clock ("now-N" seconds), so its time zone does not matter; 5 minutes' margin
    // covers clock skew between suanli and the daemon. A wider window costs: slurmdbd answers with every job in it.
    const seconds = Math.max(0, Math.ceil((Date.now() - since.getTime()) / 1000)) + 300;
    const path = `${DBD}/jobs?start_time=now-${seconds}`;
    const response = await this.client.request<{ jobs?: DbJob[] }>('GET', path);
    if (response.status === 200) return (response.data.jobs ?? []).map(toDbJob);
    if (hasError(response, SLURM_ERRNO.nothingFound)) return [];
    throw this.client.failure('GET', path, response);
  }
}

/** Job ids per slurmdbd query: the list travels in the URL. */
const DB_IDS_PER_QUERY = 200;

function numericId(id: string): string {
  if (!/^\d+$/.test(id)) throw new Error(`not a Slurm job id: ${JSON.stringify(id)}`);
  return id;
}
