/**
 * The Slurm lab (scripts/slurm-up) as the tests see it: its lab.json, whether to run or skip, the lab's own view
 * of its jobs through slurmrestd with the lab token (outside suanli), its daemons, and the platform plumbing the
 * lab tests share (connecting the lab's clusters through the API, following a job through the API).
 *
 * SUANLI_SLURM_LAB names the lab.json (default /tmp/suanli-slurm-lab/lab.json). Without it the lab suites are
 * skipped with a title that says so; with CI=true and SUANLI_SLURM_LAB set, a missing lab fails the run, as a
 * CI job that asked for the lab must not pass by skipping it.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect } from 'vitest';
import type { JobState } from '../../src/core/domain.ts';
import type { JobView } from '../../src/server/views.ts';
import type { TestPlatform } from './platform.ts';

/** One cluster of lab.json (docs/slurm.md shows the whole file). */
export interface LabCluster {
  name: string;
  restUrl: string;
  user: string;
  token: string;
  partitions: string[];
  nodes: string[];
  gres: { type: string; perNode: number };
  slurmConf: string;
  pids: Record<string, number>;
}

export interface Lab {
  dir: string;
  clusters: LabCluster[];
}

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export const LAB_FILE = process.env.SUANLI_SLURM_LAB ?? '/tmp/suanli-slurm-lab/lab.json';
export const haveLab = existsSync(LAB_FILE);
if (!haveLab && process.env.CI === 'true' && process.env.SUANLI_SLURM_LAB) {
  throw new Error(`SUANLI_SLURM_LAB=${LAB_FILE} but there is no lab there: run scripts/slurm-up first`);
}
export const describeLab = haveLab ? describe : describe.skip;

/** The title of a lab suite; without a lab it says the suite was skipped, and says so on stderr too. */
export function labTitle(suite: string): string {
  if (haveLab) return `${suite} (${LAB_FILE})`;
  const title = `${suite}: SKIPPED, no ${LAB_FILE} (run scripts/slurm-up)`;
  console.warn(`[slurm] ${title}`);
  return title;
}

export const lab: Lab = haveLab ? (JSON.parse(readFileSync(LAB_FILE, 'utf8')) as Lab) : { dir: '', clusters: [] };

export function labCluster(name: string): LabCluster {
  const found = lab.clusters.find((c) => c.name === name);
  if (!found) throw new Error(`the lab has no cluster ${name}`);
  return found;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/**
 * Polls `probe` every 200 ms until `done` accepts its answer, and returns that answer. A probe that throws counts
 * as "not yet" (a daemon the test stopped or restarted answers errors for a while); the timeout's message carries
 * the last answer or error, so a probe that always throws still fails the test, with its reason.
 */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T>,
  done: (answer: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: string;
    try {
      const answer = await probe();
      if (done(answer)) return answer;
      last = `last answer ${JSON.stringify(answer)}`;
    } catch (error) {
      last = `last error ${String(error)}`;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${last}`);
    await sleep(200);
  }
}

export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  await waitUntil(what, probe, (yes) => yes, timeoutMs);
}

// --- the lab's own view: slurmrestd with the lab token, the Slurm commands and the lab's daemons -------------

/** A job as the controller's v0.0.38 JSON has it (only what the tests read). */
export interface ControllerJob {
  job_id: number;
  job_state: string;
  comment?: string;
}

/** A job as slurmdbd's v0.0.38 JSON has it (only what the tests read). */
export interface DatabaseJob {
  job_id: number;
  comment?: { job?: string | null };
  state?: { current?: string };
  time?: { elapsed?: number };
  tres?: { allocated?: Array<{ type: string; name?: string; count: number }> };
}

export function slurmHeaders(cluster: LabCluster): Record<string, string> {
  return { 'X-SLURM-USER-NAME': cluster.user, 'X-SLURM-USER-TOKEN': cluster.token };
}

export async function slurmGet<T>(cluster: LabCluster, path: string): Promise<T> {
  const response = await fetch(`${cluster.restUrl}${path}`, { headers: slurmHeaders(cluster) });
  if (!response.ok) throw new Error(`${cluster.name}: GET ${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

export async function controllerJob(cluster: LabCluster, id: string): Promise<ControllerJob | undefined> {
  const answer = await slurmGet<{ jobs?: ControllerJob[] }>(cluster, `/slurm/v0.0.38/job/${id}`);
  return answer.jobs?.find((j) => String(j.job_id) === id);
}

export async function controllerJobsTagged(cluster: LabCluster, tag: string): Promise<ControllerJob[]> {
  const answer = await slurmGet<{ jobs?: ControllerJob[] }>(cluster, '/slurm/v0.0.38/jobs');
  return (answer.jobs ?? []).filter((j) => j.comment === tag);
}

/** slurmdbd's record of a job; the last one when it has several (a requeued job). */
export async function databaseJob(cluster: LabCluster, id: string): Promise<DatabaseJob | undefined> {
  const answer = await slurmGet<{ jobs?: DatabaseJob[] }>(cluster, `/slurmdb/v0.0.38/job/${id}`);
  return answer.jobs?.filter((j) => String(j.job_id) === id).at(-1);
}

/** A job submitted straight to slurmrestd, outside suanli; answers its Slurm job id. */
export async function submitDirect(cluster: LabCluster, job: Record<string, unknown>, script: string): Promise<string> {
  const response = await fetch(`${cluster.restUrl}/slurm/v0.0.38/job/submit`, {
    method: 'POST',
    headers: { ...slurmHeaders(cluster), 'content-type': 'application/json' },
    body: JSON.stringify({ script, job }),
  });
  const body = (await response.json()) as { job_id?: number; errors?: unknown[] };
  if (!response.ok || body.job_id === undefined || (body.errors ?? []).length > 0) {
    throw new Error(`${cluster.name}: direct submit: HTTP ${response.status}: ${JSON.stringify(body)}`);
  }
  return String(body.job_id);
}

export async function cancelDirect(cluster: LabCluster, id: string): Promise<void> {
  await fetch(`${cluster.restUrl}/slurm/v0.0.38/job/${id}`, { method: 'DELETE', headers: slurmHeaders(cluster) });
}

/** A Slurm command (scontrol, sacct, ...) on one lab cluster; answers its standard output. */
export function slurmCommand(cluster: LabCluster, command: string, ...args: string[]): string {
  return execFileSync(command, args, {
    env: { ...process.env, SLURM_CONF: cluster.slurmConf },
    encoding: 'utf8',
    stdio: 'pipe',
  });
}

/** The PID recorded for a lab daemon (DIR/pids/NAME.pid holds "<pid> <executable>"). */
export function labPid(name: string): number {
  const [pid] = readFileSync(join(lab.dir, 'pids', `${name}.pid`), 'utf8')
    .trim()
    .split(' ');
  return Number(pid);
}

/** Whether PID runs; a zombie counts as gone (PID 1 here reaps late). */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** scripts/slurm-up: starts the lab's missing daemons and keeps the rest. */
export function slurmUp(): void {
  execFileSync('bash', [join(REPO, 'scripts', 'slurm-up'), lab.dir], { stdio: 'pipe', timeout: 90_000 });
}

// --- the platform: connecting the lab, following jobs through the API ---------------------------------------

/** suanli cluster id → the lab cluster and the demo provider it is registered under. */
export const CONNECTIONS = [
  { id: 'hefei-slurm', lab: 'hefei', providerId: 'hefei-aicc', model: 'A100-80GB', pool: 'a100' },
  { id: 'wuhu-slurm', lab: 'wuhu', providerId: 'wuhu-hub', model: 'H100-SXM', pool: 'h100' },
] as const;
export type Connection = (typeof CONNECTIONS)[number];
export const HEFEI = CONNECTIONS[0];
export const WUHU = CONNECTIONS[1];

export const FINAL: JobState[] = ['succeeded', 'failed', 'cancelled', 'lost', 'dispatch-failed'];

/** Where a platform on the lab keeps the JWT file its clusters are registered with, and its jobs' output. */
export interface LabFiles {
  dir: string;
  tokenFile: string;
  workDir: string;
}

/** A fresh directory with the lab's JWT (every lab cluster takes the same key) and a job directory. */
export function labFiles(prefix: string): LabFiles {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const files = { dir, tokenFile: join(dir, 'slurm.jwt'), workDir: join(dir, 'jobs') };
  writeFileSync(files.tokenFile, `${labCluster('hefei').token}\n`, { mode: 0o600 });
  // Jobs run as the lab's Unix user and write their output here (mkdtemp made the parent 0700).
  chmodSync(dir, 0o755);
  mkdirSync(files.workDir, { recursive: true });
  chmodSync(files.workDir, 0o1777);
  return files;
}

/** The body of POST /api/v1/clusters for one lab cluster. */
export function clusterBody(connection: Connection, files: LabFiles) {
  const c = labCluster(connection.lab);
  return {
    id: connection.id,
    providerId: connection.providerId,
    engine: 'slurm',
    config: {
      restUrl: c.restUrl,
      user: c.user,
      tokenFile: files.tokenFile,
      partitions: c.partitions,
      workDir: files.workDir,
    },
  };
}

/**
 * Moves the demo's local clusters at hefei-aicc and wuhu-hub to suzhou-wanbei. They have the lab's accelerator
 * models (A100-80GB, H100-SXM): moved away, a job constrained to hefei-aicc or wuhu-hub can only land on Slurm.
 */
export async function moveLocalClusters(platform: TestPlatform): Promise<void> {
  for (const id of ['hefei-1', 'wuhu-1']) {
    const local = (await platform.store.federation.getCluster(id))!;
    await platform.store.federation.upsertCluster({
      id: local.id,
      name: local.name,
      engine: local.engine,
      config: local.config,
      providerId: 'suzhou-wanbei',
    });
  }
}

/** Connects one lab cluster through the API, as the operator. */
export async function connect(platform: TestPlatform, connection: Connection, files: LabFiles) {
  const response = await platform.app.inject({
    method: 'POST',
    url: '/api/v1/clusters',
    headers: { authorization: `Bearer ${platform.token('office')}` },
    payload: clusterBody(connection, files),
  });
  return { status: response.statusCode, body: response.json<Record<string, unknown>>() };
}

export async function getJob(platform: TestPlatform, id: string): Promise<JobView> {
  const response = await platform.app.inject({
    method: 'GET',
    url: `/api/v1/jobs/${id}`,
    headers: { authorization: `Bearer ${platform.token('qiming-ai-admin')}` },
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<JobView>();
}

/** Polls the API (the loop runs in the background) until the job satisfies `done`. */
export async function waitJob(
  platform: TestPlatform,
  id: string,
  done: (job: JobView) => boolean,
  timeoutMs = 30_000,
): Promise<JobView> {
  const deadline = Date.now() + timeoutMs;
  let job = await getJob(platform, id);
  while (!done(job)) {
    if (Date.now() > deadline) {
      throw new Error(`job ${id} did not get there in ${timeoutMs} ms: ${job.state} (${job.reason ?? ''})`);
    }
    await sleep(200);
    job = await getJob(platform, id);
  }
  return job;
}
