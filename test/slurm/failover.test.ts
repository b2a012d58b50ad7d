/**
 * A member cluster whose slurmctld stops, on the real Slurm lab (scripts/slurm-up): a job suanli dispatched there,
 * still queued behind GPUs that Slurm gave to someone else, is withdrawn and run on the other lab cluster; when the
 * controller is back, the copy it still holds is cancelled there and the withdrawal is settled. Runs when
 * SUANLI_SLURM_LAB (default /tmp/suanli-slurm-lab/lab.json) exists; skipped with a visible title otherwise; with
 * CI=true and SUANLI_SLURM_LAB set, a missing lab is an error.
 *
 * As in platform.test.ts, the demo's local clusters at hefei-aicc and wuhu-hub are moved to suzhou-wanbei, so that a
 * job constrained to hefei-aicc or wuhu-hub can only land on a Slurm cluster. wuhu is connected only once the job
 * sits dispatched on hefei: with both connected from the start, which one suanli picks would depend on scoring.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobState } from '../../src/core/domain.ts';
import type { JobView } from '../../src/server/views.ts';
import { ALL, createStore, type Store } from '../../src/store/index.ts';
import { startPlatform, type TestPlatform } from '../helpers/platform.ts';

interface LabCluster {
  name: string;
  restUrl: string;
  user: string;
  token: string;
  partitions: string[];
  nodes: string[];
  gres: { type: string; perNode: number };
  slurmConf: string;
}
interface Lab {
  dir: string;
  clusters: LabCluster[];
}

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const LAB_FILE = process.env.SUANLI_SLURM_LAB ?? '/tmp/suanli-slurm-lab/lab.json';
const haveLab = existsSync(LAB_FILE);
if (!haveLab && process.env.CI === 'true' && process.env.SUANLI_SLURM_LAB) {
  throw new Error(`SUANLI_SLURM_LAB=${LAB_FILE} but there is no lab there: run scripts/slurm-up first`);
}
const describeLab = haveLab ? describe : describe.skip;
const labTitle = haveLab
  ? `failover on the Slurm lab (${LAB_FILE})`
  : `failover on the Slurm lab: SKIPPED, no ${LAB_FILE} (run scripts/slurm-up)`;
if (!haveLab) console.warn(`[slurm] ${labTitle}`);

const lab: Lab = haveLab ? (JSON.parse(readFileSync(LAB_FILE, 'utf8')) as Lab) : { dir: '', clusters: [] };
function labCluster(name: string): LabCluster {
  const found = lab.clusters.find((c) => c.name === name);
  if (!found) throw new Error(`the lab has no cluster ${name}`);
  return found;
}

/** suanli cluster id → the lab cluster and the demo provider it is registered under. */
const CONNECTIONS = [
  { id: 'hefei-slurm', lab: 'hefei', providerId: 'hefei-aicc', model: 'A100-80GB', pool: 'a100' },
  { id: 'wuhu-slurm', lab: 'wuhu', providerId: 'wuhu-hub', model: 'H100-SXM', pool: 'h100' },
] as const;
type Connection = (typeof CONNECTIONS)[number];
const HEFEI = CONNECTIONS[0];
const WUHU = CONNECTIONS[1];

const FINAL: JobState[] = ['succeeded', 'failed', 'cancelled', 'lost', 'dispatch-failed'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// --- the lab's own view: slurmrestd with the lab token, and the lab's daemons ---------------------------------

interface SlurmJob {
  job_id: number;
  job_state: string;
  comment?: string;
}
interface SlurmDbJob {
  job_id: number;
  state?: { current?: string };
}

function slurmHeaders(cluster: LabCluster): Record<string, string> {
  return { 'X-SLURM-USER-NAME': cluster.user, 'X-SLURM-USER-TOKEN': cluster.token };
}

async function slurmGet<T>(cluster: LabCluster, path: string): Promise<T> {
  const response = await fetch(`${cluster.restUrl}${path}`, { headers: slurmHeaders(cluster) });
  if (!response.ok) throw new Error(`${cluster.name}: GET ${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

const controllerJob = async (cluster: LabCluster, id: string) =>
  (await slurmGet<{ jobs?: SlurmJob[] }>(cluster, `/slurm/v0.0.38/job/${id}`)).jobs?.find(
    (j) => String(j.job_id) === id,
  );
const databaseJob = async (cluster: LabCluster, id: string) =>
  (await slurmGet<{ jobs?: SlurmDbJob[] }>(cluster, `/slurmdb/v0.0.38/job/${id}`)).jobs
    ?.filter((j) => String(j.job_id) === id)
    .at(-1);

/** A job submitted straight to slurmrestd, outside suanli; answers its Slurm job id. */
async function submitDirect(cluster: LabCluster, job: Record<string, unknown>, script: string): Promise<string> {
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

async function cancelDirect(cluster: LabCluster, id: string): Promise<void> {
  await fetch(`${cluster.restUrl}/slurm/v0.0.38/job/${id}`, { method: 'DELETE', headers: slurmHeaders(cluster) });
}

/** The PID recorded for a lab daemon (DIR/pids/NAME.pid holds "<pid> <executable>"). */
function labPid(name: string): number {
  const [pid] = readFileSync(join(lab.dir, 'pids', `${name}.pid`), 'utf8')
    .trim()
    .split(' ');
  return Number(pid);
}

/** Whether PID runs; a zombie counts as gone (PID 1 here reaps late). */
function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** scripts/slurm-up: starts the lab's missing daemons and keeps the rest. */
function slurmUp(): void {
  execFileSync('bash', [join(REPO, 'scripts', 'slurm-up'), lab.dir], { stdio: 'pipe', timeout: 90_000 });
}

// --- the platform: connecting the lab, submitting and watching jobs through the API -------------------------

const files = haveLab ? mkdtempSync(join(tmpdir(), 'suanli-slurm-failover-')) : '';
const tokenFile = join(files, 'slurm.jwt');
const workDir = join(files, 'jobs');

function clusterBody(connection: Connection) {
  const c = labCluster(connection.lab);
  return {
    id: connection.id,
    providerId: connection.providerId,
    engine: 'slurm',
    config: { restUrl: c.restUrl, user: c.user, tokenFile, partitions: c.partitions, workDir },
  };
}

/** Moves the demo's local clusters at hefei-aicc and wuhu-hub to suzhou-wanbei. */
async function moveLocalClusters(platform: TestPlatform): Promise<void> {
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
async function connect(platform: TestPlatform, connection: Connection) {
  const response = await platform.app.inject({
    method: 'POST',
    url: '/api/v1/clusters',
    headers: { authorization: `Bearer ${platform.token('office')}` },
    payload: clusterBody(connection),
  });
  return { status: response.statusCode, body: response.json<Record<string, unknown>>() };
}

async function getJob(platform: TestPlatform, id: string): Promise<JobView> {
  const response = await platform.app.inject({
    method: 'GET',
    url: `/api/v1/jobs/${id}`,
    headers: { authorization: `Bearer ${platform.token('qiming-ai-admin')}` },
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<JobView>();
}

/** Polls the API (the loop runs in the background) until the job satisfies `done`. */
async function waitJob(
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

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

// ---------------------------------------------------------------------------------------------------------------

describeLab(labTitle, () => {
  let store: Store;
  let platform: TestPlatform;
  /** The direct job holding every hefei GPU, and suanli's copy left queued on hefei. */
  let blocker = '';
  let stale = '';
  let jobId = '';

  beforeAll(async () => {
    slurmUp();
    writeFileSync(tokenFile, `${labCluster('hefei').token}\n`, { mode: 0o600 });
    // Jobs run as the lab's Unix user and write their output here (mkdtemp made the parent 0700).
    chmodSync(files, 0o755);
    mkdirSync(workDir, { recursive: true });
    chmodSync(workDir, 0o1777);
    store = await createStore({});
    // Inventory every second: that poll is what notices the controller's absence and its return. While slurmctld
    // is stopped, slurmrestd takes ~9 s to answer each call, longer than startPlatform's 5 s lease: the loop must
    // go on placing and dispatching on wuhu all the same (it renews the lease and does not wait for hefei).
    platform = await startPlatform(store, { inventoryEveryMs: 1000 });
    await moveLocalClusters(platform);
  });

  afterAll(async () => {
    // Whatever happened, leave the lab as it was found: every daemon up, nothing of this file left running.
    try {
      slurmUp();
    } catch (error) {
      console.warn(`[slurm] slurm-up after the failover test failed: ${String(error)}`);
    }
    const hefei = labCluster('hefei');
    if (platform) {
      const job = jobId ? await store.jobs.get(ALL, jobId).catch(() => null) : null;
      if (job && !FINAL.includes(job.state) && job.engineJobId && job.clusterId) {
        const connection = CONNECTIONS.find((c) => c.id === job.clusterId);
        if (connection) await cancelDirect(labCluster(connection.lab), job.engineJobId).catch(() => undefined);
      }
      await platform.close();
      await store.close();
    }
    if (stale) await cancelDirect(hefei, stale).catch(() => undefined);
    if (blocker) await cancelDirect(hefei, blocker).catch(() => undefined);
    rmSync(files, { recursive: true, force: true });
  });

  it(
    "moves a stopped slurmctld's not-started jobs to the other cluster and reconciles its return",
    { timeout: 240_000 },
    async () => {
      const hefei = labCluster('hefei');
      const wuhu = labCluster('wuhu');

      // 1. hefei is connected (wuhu follows once the job sits on hefei).
      expect(await connect(platform, HEFEI)).toMatchObject({ status: 201, body: { registered: true } });

      // 2. Every GPU of hefei goes to a job outside suanli, so that what suanli sends there waits in Slurm's queue.
      blocker = await submitDirect(
        hefei,
        {
          name: 'outside-suanli',
          partition: HEFEI.pool,
          nodes: String(hefei.nodes.length),
          gres: `gpu:${hefei.gres.type}:${hefei.gres.perNode}`,
          time_limit: 15,
          current_working_directory: '/tmp',
          standard_output: '/dev/null',
          environment: { PATH: '/usr/local/bin:/usr/bin:/bin' },
          requeue: false,
        },
        '#!/bin/sh\nsleep 600\n',
      );
      await waitFor(
        `the blocking job ${blocker} to run on hefei`,
        async () => (await controllerJob(hefei, blocker))?.job_state === 'RUNNING',
        60_000,
      );

      // 3. A job that takes either model goes to hefei (the only cluster that has one yet) and queues there.
      platform.loop.start();
      const submitted = await platform.app.inject({
        method: 'POST',
        url: '/api/v1/jobs',
        headers: { authorization: `Bearer ${platform.token('qiming-ai-admin')}` },
        payload: {
          apiVersion: 'suanli.io/v1',
          kind: 'Job',
          metadata: { name: 'failover', project: 'demo' },
          spec: {
            resources: {
              accelerator: { anyOf: [HEFEI.model, WUHU.model] },
              acceleratorsPerNode: 1,
              nodes: 1,
            },
            timeLimit: '5m',
            script: 'echo "on $(hostname) gpus=$CUDA_VISIBLE_DEVICES"; sleep 2',
            constraints: { providers: [HEFEI.providerId, WUHU.providerId] },
          },
        },
      });
      expect(submitted.statusCode, submitted.body).toBe(201);
      jobId = submitted.json<JobView>().id;
      const dispatched = await waitJob(
        platform,
        jobId,
        (j) => FINAL.includes(j.state as JobState) || (j.state === 'dispatched' && !!j.engineJobId),
        30_000,
      );
      expect(dispatched).toMatchObject({ state: 'dispatched', clusterId: HEFEI.id });
      stale = dispatched.engineJobId!;
      await waitFor(
        `suanli's job ${stale} to be queued on hefei`,
        async () => (await controllerJob(hefei, stale))?.job_state === 'PENDING',
        20_000,
      );
      expect(await connect(platform, WUHU)).toMatchObject({ status: 201, body: { registered: true } });
      expect((await getJob(platform, jobId)).state).toBe('dispatched');

      // 4. hefei's controller stops: hefei is marked unhealthy, the job is withdrawn and runs on wuhu.
      const ctld = labPid('hefei-slurmctld');
      const stoppedAt = Date.now();
      process.kill(ctld, 'SIGTERM');
      await waitFor(`hefei's slurmctld (pid ${ctld}) to stop`, async () => !pidAlive(ctld), 30_000);
      await waitFor(
        'hefei to be marked unhealthy',
        async () => (await store.federation.getCluster(HEFEI.id))?.healthy === false,
        60_000,
      );
      const finished = await waitJob(platform, jobId, (j) => FINAL.includes(j.state as JobState), 90_000);
      const failoverSeconds = (Date.now() - stoppedAt) / 1000;
      expect(finished).toMatchObject({ state: 'succeeded', clusterId: WUHU.id, pool: WUHU.pool, exitCode: 0 });
      expect(finished.engineJobId).not.toBe(stale);
      const hefeiRecord = await store.federation.getCluster(HEFEI.id);
      expect(hefeiRecord?.healthy).toBe(false);
      expect(hefeiRecord?.healthReason).toMatch(/polls failed/);
      const events = await store.jobs.events(jobId);
      const withdrawal = events.find((e) => e.from === 'dispatched' && e.to === 'pending');
      expect(withdrawal?.reason).toMatch(/hefei/);
      expect(withdrawal?.reason).toMatch(/stopped answering/);
      // Ticks are slow while hefei is down (each poll waits ~9 s), so the short run may end between two polls of
      // wuhu: "running" is not always seen.
      expect(events.map((e) => e.to).slice(0, 6)).toEqual([
        'pending',
        'admitted',
        'dispatched',
        'pending',
        'admitted',
        'dispatched',
      ]);
      expect(events.at(-1)?.to).toBe('succeeded');
      expect((await databaseJob(wuhu, finished.engineJobId!))?.state?.current ?? 'COMPLETED').toBe('COMPLETED');
      await waitFor('usage metered', async () => (await store.usage.list(ALL, { jobId })).length > 0, 30_000);
      const usage = await store.usage.list(ALL, { jobId });
      expect(usage.map((u) => u.clusterId)).toEqual([WUHU.id]);
      console.info(`[slurm] failover: controller stopped → job succeeded on wuhu in ${failoverSeconds.toFixed(1)} s`);

      // 5. The controller comes back: hefei is healthy again and the copy it kept is cancelled there.
      slurmUp();
      expect(labPid('hefei-slurmctld')).not.toBe(ctld);
      await waitFor(
        'hefei to be healthy again',
        async () => (await store.federation.getCluster(HEFEI.id))?.healthy === true,
        60_000,
      );
      await waitFor(
        'the withdrawal to be settled',
        async () => (await store.jobs.unsettledWithdrawals(HEFEI.id)).length === 0,
        30_000,
      );
      const settled = await store.db.selectFrom('withdrawn_dispatches').selectAll().execute();
      expect(settled).toEqual([
        expect.objectContaining({ job_id: jobId, cluster_id: HEFEI.id, engine_job_id: stale, outcome: 'cancelled' }),
      ]);
      await waitFor(
        `the stale job ${stale} to be cancelled on hefei`,
        async () => (await controllerJob(hefei, stale))?.job_state === 'CANCELLED',
        20_000,
      );
      // Still one run charged: the withdrawn copy never ran and is not metered.
      expect((await store.usage.list(ALL, { jobId })).map((u) => u.clusterId)).toEqual([WUHU.id]);
      expect((await controllerJob(hefei, blocker))?.job_state).toBe('RUNNING');
      await cancelDirect(hefei, blocker);
      blocker = '';
      stale = '';
    },
  );
});
