/**
 * The operator's reconciliation report: what each member cluster's engine holds under suanli's dispatch tags,
 * set against what suanli recorded. Read-only: it changes nothing, on the engines or in the store; each item is
 * for a person to look into.
 */
import type { Engine, EngineJobStatus } from '../engines/engine.ts';
import type { ClusterRecord } from '../store/federation.ts';
import type { Store, StoredJob, WithdrawnDispatch } from '../store/index.ts';
import type { RECONCILIATION_KINDS } from './schemas.ts';

/** How far back the report looks, on the engines (finished jobs) and in suanli's records. */
export const RECONCILE_DAYS = 30;

/** Every dispatch tag suanli writes starts so (see the loop's scheduling: `suanli-<job id>-<attempt>`). */
const TAG_PREFIX = 'suanli-';
const TAG_PATTERN = /^suanli-(.+)-(\d+)$/;

/** A kind of report item: RECONCILIATION_KINDS (schemas.ts, with the report's shape) says what each means. */
export type ReconciliationKind = (typeof RECONCILIATION_KINDS)[number];

export interface ReconciliationItem {
  kind: ReconciliationKind;
  clusterId: string;
  jobId: string | null;
  engineJobId: string | null;
  engineState: string | null;
  detail: string;
}

export interface ClusterCheck {
  id: string;
  name: string;
  reachable: boolean;
  error?: string;
}

export interface ReconciliationReport {
  checkedAt: Date;
  clusters: ClusterCheck[];
  items: ReconciliationItem[];
}

export interface EngineSource {
  for(cluster: ClusterRecord): Engine;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
const isActive = (status: EngineJobStatus) => status.state === 'queued' || status.state === 'running';

export function parseDispatchTag(tag: string): { jobId: string; attempt: number } | null {
  const match = TAG_PATTERN.exec(tag);
  return match?.[1] && match[2] ? { jobId: match[1], attempt: Number(match[2]) } : null;
}

/** What suanli recorded about the clusters, read before the engines are asked (see `strayCopy`). */
interface Records {
  active: StoredJob[];
  lost: StoredJob[];
  withdrawals: WithdrawnDispatch[];
}

export async function reconcile(
  store: Store,
  engines: EngineSource,
  clusters: ClusterRecord[],
  now: Date,
): Promise<ReconciliationReport> {
  const since = new Date(now.getTime() - RECONCILE_DAYS * 24 * 3600 * 1000);
  const ids = clusters.map((c) => c.id);
  const [active, lost, withdrawals] = await Promise.all([
    store.jobs.onClusters(ids, ['dispatched', 'running']),
    store.jobs.onClusters(ids, ['lost'], since),
    store.jobs.withdrawals(ids, since),
  ]);
  const records: Records = { active, lost, withdrawals };
  const listed = await Promise.all(
    clusters.map(async (cluster) => {
      try {
        return { cluster, jobs: await engines.for(cluster).listTagged(TAG_PREFIX, since) };
      } catch (error) {
        return { cluster, error: messageOf(error) };
      }
    }),
  );
  const tagged = listed.flatMap((l) => l.jobs ?? []);
  const known = await knownJobs(store, tagged);
  const items = listed.flatMap(({ cluster, jobs }) => clusterItems(cluster, jobs ?? null, records, known, now));
  return {
    checkedAt: now,
    clusters: listed.map(({ cluster, error }) => ({
      id: cluster.id,
      name: cluster.name,
      reachable: error === undefined,
      ...(error === undefined ? {} : { error }),
    })),
    items,
  };
}

async function knownJobs(store: Store, tagged: EngineJobStatus[]): Promise<Map<string, StoredJob>> {
  const ids = new Set(tagged.flatMap((s) => parseDispatchTag(s.tag)?.jobId ?? []));
  return new Map((await store.jobs.byIds([...ids])).map((j) => [j.id, j]));
}

/** `listed` is null when the cluster's engine did not answer: only what suanli recorded is reported then. */
function clusterItems(
  cluster: ClusterRecord,
  listed: EngineJobStatus[] | null,
  records: Records,
  known: Map<string, StoredJob>,
  now: Date,
): ReconciliationItem[] {
  const onEngine = new Map((listed ?? []).map((s) => [s.engineJobId, s]));
  const withdrawn = records.withdrawals.filter((w) => w.clusterId === cluster.id);
  const withdrawnIds = new Set(withdrawn.map((w) => w.engineJobId));
  const item = (
    kind: ReconciliationKind,
    jobId: string | null,
    engineJobId: string | null,
    detail: string,
  ): ReconciliationItem => ({
    kind,
    clusterId: cluster.id,
    jobId,
    engineJobId,
    engineState: engineJobId === null ? null : (onEngine.get(engineJobId)?.state ?? null),
    detail,
  });
  const items: ReconciliationItem[] = [];

  for (const status of listed ?? []) {
    const parsed = parseDispatchTag(status.tag);
    const job = parsed ? known.get(parsed.jobId) : undefined;
    if (!parsed || !job) {
      const what = parsed ? `job ${parsed.jobId}` : 'no job id suanli can read';
      items.push(item('unknown-to-suanli', parsed?.jobId ?? null, status.engineJobId, `tag ${status.tag}: ${what}`));
      continue;
    }
    // A withdrawn dispatch's copy is reported once, as withdrawn.
    if (withdrawnIds.has(status.engineJobId)) continue;
    const stray = strayCopy(cluster, status, job, parsed.attempt, now);
    if (stray) items.push(item('stray-copy', job.id, status.engineJobId, stray));
  }

  for (const job of records.lost.filter((j) => j.clusterId === cluster.id)) {
    items.push(item('lost', job.id, job.engineJobId, job.reason ?? 'lost, no reason recorded'));
  }

  for (const w of withdrawn) {
    if (w.outcome === 'cancelled') continue;
    const at = w.withdrawnAt.toISOString();
    const detail = w.settledAt
      ? `withdrawn ${at}; ${w.outcome ?? 'settled'}: ${w.detail ?? 'no detail'}`
      : `withdrawn ${at}; not settled yet: the copy there is cancelled once ${cluster.name} answers the control loop`;
    items.push(item('withdrawn', w.jobId, w.engineJobId, detail));
  }

  if (listed) {
    for (const job of records.active.filter((j) => j.clusterId === cluster.id)) {
      if (!job.engineJobId || onEngine.has(job.engineJobId)) continue;
      items.push(
        item(
          'untracked-active',
          job.id,
          job.engineJobId,
          `suanli has it ${job.state} as ${job.engineJobId} (tag ${job.dispatchTag ?? '-'}); the engine does not list it`,
        ),
      );
    }
  }
  return items;
}

/**
 * Why an engine job of a known suanli job is a copy left behind, or null when it is not: it is still queued or
 * running there, and it is not the job's live dispatch. Jobs changed since the report began are passed over: the
 * engine was read before them, so the two views may straddle a change the control loop is making.
 */
function strayCopy(
  cluster: ClusterRecord,
  status: EngineJobStatus,
  job: StoredJob,
  attempt: number,
  now: Date,
): string | null {
  if (!isActive(status) || job.updatedAt >= now) return null;
  const current =
    job.clusterId === cluster.id &&
    job.dispatchTag === status.tag &&
    (job.engineJobId === null || job.engineJobId === status.engineJobId);
  const live = job.state === 'admitted' || job.state === 'dispatched' || job.state === 'running';
  if (current && live) return null;
  const where = job.clusterId
    ? `${job.state} on ${job.clusterId === cluster.id ? 'this cluster' : job.clusterId}`
    : job.state;
  if (current) return `attempt ${attempt} is still ${status.state} here, but suanli recorded the job ${job.state}`;
  return (
    `attempt ${attempt} is still ${status.state} here; suanli's job is ${where}` +
    ` (attempt ${job.attempt}${job.engineJobId ? `, engine job ${job.engineJobId}` : ''})`
  );
}
