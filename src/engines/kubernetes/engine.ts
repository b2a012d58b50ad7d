/**
 * The Kubernetes engine: drives one namespace of a member cluster through its API server. A dispatch becomes one
 * Indexed batch/v1 Job named after the dispatch tag, its pods pinned to the nodes suanli's scheduler chose; follow
 * reads Jobs and their pods; a cancel suspends the Job (the Job controller stops its pods, SIGTERM then SIGKILL after
 * the grace); accounting comes from the Job's own times. docs/kubernetes.md has the calls, the RBAC and the limits.
 */
import { requireAccelerator } from '../../core/accelerators.ts';
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
import { CLEANUP_EVERY_MS, SuspendedJobCleanup } from './cleanup.ts';
import { KubeApiError, KubeClient } from './client.ts';
import {
  DEFAULT_FINISHED_JOB_TTL_SECONDS,
  DEFAULT_TERMINATION_GRACE_SECONDS,
  DEFAULT_TIMEOUT_SECONDS,
  KubeTokenSource,
  readCa,
  validateKubernetesEngineConfig,
} from './config.ts';
import type { KubernetesEngineConfig, KubernetesPoolConfig } from './config.ts';
import {
  CONTAINER_NAME,
  ENGINE_JOB_LABEL,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  TAG_ANNOTATION,
  headlessService,
  isJobName,
  jobManifest,
  jobNameForTag,
} from './manifests.ts';
import type { KubeJob, KubeList, KubeNode, KubePod } from './objects.ts';
import { accountingRecord, byRank, isFinished, jobStatus, nodeOf } from './states.ts';

export type { KubernetesEngineConfig, KubernetesPoolConfig } from './config.ts';

/** What can be set besides the cluster's configuration (tests set the clock and the cleanup's interval). */
export interface KubernetesEngineOptions {
  /** Milliseconds since the epoch, the clock Jobs' times are compared with; the system's by default. */
  now?: () => number;
  /** How often `inventory` also removes suspended Jobs past their retention (cleanup.ts); hourly by default. */
  cleanupEveryMs?: number;
  /** A failed call of that cleanup, retried on its next round; said through `warn` by default. */
  onCleanupError?: (error: unknown) => void;
  /** Where the engine's warnings go: the server's log; a process warning without one. */
  warn?: (message: string) => void;
}

/** Job names per label selector: keeps a list call's URL a few kilobytes long. */
const NAMES_PER_LIST = 100;

function lost(engineJobId: string, reason: string): EngineJobStatus {
  return { engineJobId, tag: '', state: 'lost', reason, startedAt: null, endedAt: null, exitCode: null };
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The last `bytes` bytes of a text (a UTF-8 character cut in two at the start becomes U+FFFD). */
function tail(text: string, bytes: number): string {
  const buffer = Buffer.from(text, 'utf8');
  return buffer.length <= bytes ? text : buffer.subarray(buffer.length - bytes).toString('utf8');
}

export class KubernetesEngine implements Engine {
  readonly kind: EngineKind = 'kubernetes';
  private readonly client: KubeClient;
  private readonly label: string;
  private readonly pools: Map<string, KubernetesPoolConfig & { model: string }>;
  private readonly jobsPath: string;
  private readonly podsPath: string;
  private readonly cleanup: SuspendedJobCleanup;
  private closed = false;

  constructor(
    private readonly config: KubernetesEngineConfig,
    options: KubernetesEngineOptions = {},
  ) {
    validateKubernetesEngineConfig(config);
    this.label = config.name ?? config.apiUrl;
    this.pools = new Map(
      config.pools.map((p) => [p.name, { ...p, model: requireAccelerator(p.acceleratorModel).model }]),
    );
    this.jobsPath = `/apis/batch/v1/namespaces/${config.namespace}/jobs`;
    this.podsPath = `/api/v1/namespaces/${config.namespace}/pods`;
    this.client = new KubeClient({
      apiUrl: config.apiUrl,
      tokens: new KubeTokenSource(config, this.label),
      ca: readCa(config, this.label),
      label: this.label,
      timeoutMs: (config.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
    });
    this.cleanup = new SuspendedJobCleanup({
      client: this.client,
      jobsPath: this.jobsPath,
      ttlSeconds: config.finishedJobTtlSeconds ?? DEFAULT_FINISHED_JOB_TTL_SECONDS,
      everyMs: options.cleanupEveryMs ?? CLEANUP_EVERY_MS,
      now: options.now ?? Date.now,
      onError:
        options.onCleanupError ??
        ((error) =>
          (options.warn ?? ((message: string) => process.emitWarning(message)))(
            `kubernetes cluster ${this.label}: removing suspended Jobs past their retention failed (retried next round): ${error instanceof Error ? error.message : String(error)}`,
          )),
    });
  }

  /**
   * One node list per pool, by the pool's label selector. A node two selectors pick belongs to the first pool.
   * Housekeeping rides on it, as the control loop calls it regularly whether or not the cluster runs anything: at
   * most once per interval, the suspended Jobs past their retention are deleted (cleanup.ts), never failing this call.
   */
  async inventory(): Promise<EngineInventory> {
    const pools = [...this.pools.values()];
    const lists = await Promise.all(
      pools.map((pool) =>
        this.client.json<KubeList<KubeNode>>('GET', '/api/v1/nodes', { query: { labelSelector: pool.nodeSelector } }),
      ),
    );
    const taken = new Set<string>();
    const inventory = {
      pools: pools.map((pool, i): InventoryPool => {
        const nodes = lists[i]!.body.items.map((node) => nodeOf(node, pool.resourceName));
        const own = nodes.filter((n) => !taken.has(n.name)).sort((a, b) => a.name.localeCompare(b.name));
        for (const node of own) taken.add(node.name);
        return { name: pool.name, acceleratorModel: pool.model, nodes: own };
      }),
    };
    if (!this.closed) await this.cleanup.runIfDue();
    return inventory;
  }

  async submit(request: EngineSubmitRequest): Promise<{ engineJobId: string }> {
    if (this.closed) throw new Error(`kubernetes cluster ${this.label}: engine closed`);
    const pool = this.pools.get(request.pool);
    if (!pool) {
      throw new EngineRejection(
        `kubernetes cluster ${this.label}: no pool "${request.pool}" (pools: ${[...this.pools.keys()].join(', ')})`,
      );
    }
    const manifest = jobManifest({
      jobId: request.jobId,
      tag: request.tag,
      spec: request.spec,
      pool: { name: pool.name, acceleratorModel: pool.model, resourceName: pool.resourceName },
      nodeNames: request.nodeNames,
      namespace: this.config.namespace,
      ...(this.config.image ? { image: this.config.image } : {}),
      ...(this.config.schedulerName ? { schedulerName: this.config.schedulerName } : {}),
      ...(this.config.priorityClassName ? { priorityClassName: this.config.priorityClassName } : {}),
      ttlSecondsAfterFinished: this.config.finishedJobTtlSeconds ?? DEFAULT_FINISHED_JOB_TTL_SECONDS,
      terminationGracePeriodSeconds: this.config.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_SECONDS,
    });
    const name = manifest.metadata.name!;
    let created: KubeJob;
    try {
      const answer = await this.client.json<KubeJob>('POST', this.jobsPath, { body: manifest, accept: [409] });
      created = answer.status === 409 ? await this.sameDispatch(name, request.tag) : answer.body;
    } catch (error) {
      // The API server refuses what it will always refuse (a bad image name, an env name...): a permanent refusal.
      if (error instanceof KubeApiError && (error.status === 422 || error.status === 400)) {
        throw new EngineRejection(error.message);
      }
      throw error;
    }
    if (request.spec.nodes > 1) {
      const service = headlessService({ name, uid: created.metadata.uid ?? '', namespace: this.config.namespace });
      await this.client.json('POST', `/api/v1/namespaces/${this.config.namespace}/services`, {
        body: service,
        accept: [409],
      });
    }
    return { engineJobId: name };
  }

  /** A Job of this name exists already: it must be this dispatch's (a repeated submit), not another's. */
  private async sameDispatch(name: string, tag: string): Promise<KubeJob> {
    const { body } = await this.client.json<KubeJob>('GET', `${this.jobsPath}/${name}`);
    const existing = body.metadata.annotations?.[TAG_ANNOTATION];
    if (existing !== tag) {
      throw new Error(
        `kubernetes cluster ${this.label}: Job ${name} exists and belongs to ${existing ? `dispatch ${existing}` : 'something other than suanli'}`,
      );
    }
    return body;
  }

  async findByTag(tag: string): Promise<EngineJobStatus | null> {
    if (!tag) return null;
    const name = jobNameForTag(tag);
    const { status, body } = await this.client.json<KubeJob>('GET', `${this.jobsPath}/${name}`, { accept: [404] });
    if (status === 404 || body.metadata.annotations?.[TAG_ANNOTATION] !== tag) return null;
    return jobStatus(name, body, await this.podsOf([name]));
  }

  async listTagged(prefix: string, since: Date): Promise<EngineJobStatus[]> {
    const selector = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;
    const [jobs, pods] = await Promise.all([
      this.client.json<KubeList<KubeJob>>('GET', this.jobsPath, { query: { labelSelector: selector } }),
      this.client.json<KubeList<KubePod>>('GET', this.podsPath, { query: { labelSelector: selector } }),
    ]);
    return jobs.body.items
      .filter((job) => (job.metadata.annotations?.[TAG_ANNOTATION] ?? '').startsWith(prefix))
      .map((job) => {
        const name = job.metadata.name ?? '';
        return jobStatus(
          name,
          job,
          pods.body.items.filter((p) => p.metadata.labels?.[ENGINE_JOB_LABEL] === name),
        );
      })
      .filter((s) => s.endedAt === null || s.endedAt >= since);
  }

  /** A Job list and a pod list per hundred ids, however many jobs are followed. */
  async status(engineJobIds: string[]): Promise<EngineJobStatus[]> {
    const names = [...new Set(engineJobIds.filter(isJobName))];
    const jobs = new Map<string, KubeJob>();
    const pods: KubePod[] = [];
    for (const group of chunks(names, NAMES_PER_LIST)) {
      const [jobList, podList] = await Promise.all([this.jobsNamed(group), this.podsOf(group)]);
      for (const job of jobList) jobs.set(job.metadata.name ?? '', job);
      pods.push(...podList);
    }
    return engineJobIds.map((id) => {
      const job = jobs.get(id);
      if (!isJobName(id)) return lost(id, 'not a Kubernetes Job name');
      if (!job) return lost(id, `no Job ${id} in namespace ${this.config.namespace} (deleted, or its TTL passed)`);
      return jobStatus(
        id,
        job,
        pods.filter((p) => p.metadata.labels?.[ENGINE_JOB_LABEL] === id),
      );
    });
  }

  /**
   * Suspends the Job: the Job controller deletes its running pods, which get SIGTERM and their
   * terminationGracePeriodSeconds (the engine's `terminationGracePeriodSeconds`) before SIGKILL, and it starts no
   * new ones. A grace shorter than that is applied by deleting the pods with it (DeleteOptions.gracePeriodSeconds may
   * shorten a pod's termination, never lengthen it); a longer one cannot be given (docs/kubernetes.md). At least 1 s:
   * a grace of 0 would remove the pods from the API at once while their containers may still run. Repeating is
   * harmless: a pod already stopping with a grace as short is left alone.
   */
  async cancel(engineJobId: string, options: CancelOptions = {}): Promise<void> {
    if (!isJobName(engineJobId)) return;
    const path = `${this.jobsPath}/${engineJobId}`;
    const { status, body: job } = await this.client.json<KubeJob>('GET', path, { accept: [404] });
    if (status === 404 || isFinished(job)) return;
    if (!job.spec.suspend) await this.client.json('PATCH', path, { body: { spec: { suspend: true } }, accept: [404] });
    const podGrace = job.spec.template.spec.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_SECONDS;
    if (options.graceSeconds === undefined || options.graceSeconds >= podGrace) return;
    const grace = Math.max(1, Math.floor(options.graceSeconds));
    for (const pod of await this.podsOf([engineJobId])) {
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      const current = pod.metadata.deletionTimestamp ? pod.metadata.deletionGracePeriodSeconds : undefined;
      if (current !== undefined && current <= grace) continue;
      await this.client.json('DELETE', `${this.podsPath}/${pod.metadata.name}`, {
        body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: grace },
        accept: [404],
      });
    }
  }

  async accounting(engineJobId: string): Promise<EngineAccountingRecord | null> {
    return (await this.accountingMany([engineJobId]))[0] ?? null;
  }

  /** One Job list per hundred ids: the record comes from the Job object alone. */
  async accountingMany(engineJobIds: string[]): Promise<EngineAccountingRecord[]> {
    const names = [...new Set(engineJobIds.filter(isJobName))];
    const records: EngineAccountingRecord[] = [];
    for (const group of chunks(names, NAMES_PER_LIST)) {
      for (const job of await this.jobsNamed(group)) {
        const record = accountingRecord(job.metadata.name ?? '', job);
        if (record) records.push(record);
      }
    }
    return records;
  }

  /** Each rank's log, rank 0 first; with several ranks each is headed by its rank, pod and node. */
  async logs(engineJobId: string, options: { tailBytes?: number } = {}): Promise<string> {
    if (!isJobName(engineJobId)) throw new Error(`kubernetes cluster ${this.label}: not a Job name: ${engineJobId}`);
    const pods = byRank(await this.podsOf([engineJobId]));
    if (pods.length === 0) {
      return `kubernetes cluster ${this.label}: Job ${engineJobId} has no pods left to read logs from (deleted with the Job, or stopped by its cancel or time limit)`;
    }
    const share = options.tailBytes === undefined ? undefined : Math.max(1, Math.ceil(options.tailBytes / pods.length));
    const texts = await Promise.all(
      pods.map(async (pod) => {
        // The API has no tail in bytes; a line is at least one byte, so that many lines hold at least that many.
        const query = { container: CONTAINER_NAME, ...(share === undefined ? {} : { tailLines: share }) };
        try {
          const text = await this.client.text(`${this.podsPath}/${pod.metadata.name}/log`, query);
          return share === undefined ? text : tail(text, share);
        } catch (error) {
          if (error instanceof KubeApiError && (error.status === 400 || error.status === 404)) {
            return `(no log: ${error.message.replace(/^.*?: HTTP \d+ \w*: /, '')})\n`;
          }
          throw error;
        }
      }),
    );
    if (pods.length === 1) return texts[0]!;
    return pods
      .map((pod, i) => {
        const rank = pod.metadata.annotations?.['batch.kubernetes.io/job-completion-index'] ?? '?';
        return `==> rank ${rank} (${pod.metadata.name} on ${pod.spec.nodeName ?? 'no node yet'}) <==\n${texts[i]}`;
      })
      .join('\n');
  }

  async close(): Promise<void> {
    this.closed = true;
    this.client.close();
  }

  private async jobsNamed(names: string[]): Promise<KubeJob[]> {
    if (names.length === 0) return [];
    const { body } = await this.client.json<KubeList<KubeJob>>('GET', this.jobsPath, {
      query: { labelSelector: `${ENGINE_JOB_LABEL} in (${names.join(',')})` },
    });
    return body.items;
  }

  private async podsOf(names: string[]): Promise<KubePod[]> {
    if (names.length === 0) return [];
    const { body } = await this.client.json<KubeList<KubePod>>('GET', this.podsPath, {
      query: { labelSelector: `${ENGINE_JOB_LABEL} in (${names.join(',')})` },
    });
    return body.items;
  }
}

export function createKubernetesEngine(
  config: KubernetesEngineConfig,
  options: KubernetesEngineOptions = {},
): KubernetesEngine {
  return new KubernetesEngine(config, options);
}
