/**
 * The objects behind the test API server, and the controllers' steps that tests drive by hand. Each step follows
 * Kubernetes' documented behaviour (docs/kubernetes.md, "The test API server", names the pages):
 *
 * - Job creation: the API server generates the selector (`batch.kubernetes.io/controller-uid`) and adds the
 *   controller-uid and job-name labels to the template; defaults backoffLimit 6, parallelism/completions 1,
 *   completionMode NonIndexed, suspend false, terminationGracePeriodSeconds 30.
 * - `syncJob` (the Job controller): sets startTime, creates one pod per missing index (Indexed: named
 *   `<job>-<index>-<random>`, hostname `<job>-<index>`, the index in the `batch.kubernetes.io/job-completion-index`
 *   annotation and label, JOB_COMPLETION_INDEX in the environment); when suspended, deletes active pods with their
 *   grace and sets the Suspended condition; when failed pods exceed backoffLimit (BackoffLimitExceeded) or the Job ran
 *   past activeDeadlineSeconds (DeadlineExceeded), sets FailureTarget, deletes the active pods, and sets Failed once
 *   no pod is left terminating (Kubernetes 1.31 on); when every index succeeded, SuccessCriteriaMet then Complete with
 *   completionTime.
 * - `schedulePods` (kube-scheduler): binds each pending pod to the first node (by name) that is Ready, schedulable,
 *   matches the required node affinity (terms ORed; matchFields on metadata.name; matchExpressions on labels), has
 *   the requested extended resources free (allocatable minus what bound, unfinished pods hold), and holds no pod the
 *   required pod anti-affinity excludes in the same topology domain; else PodScheduled=False, Unschedulable.
 * - `startPods`, `exitPods`, `finishTermination` (the kubelet): Running; terminated with an exit code; a terminating
 *   pod's containers exit (143 after SIGTERM unless told) and the pod object is removed.
 * - Pod DELETE: a pod not bound to a node, or already finished, goes at once; otherwise it gets deletionTimestamp =
 *   now + grace (the DeleteOptions' gracePeriodSeconds, else the pod's terminationGracePeriodSeconds) and SIGTERM is
 *   recorded; a later DELETE may shorten the grace, never lengthen it; gracePeriodSeconds 0 removes it at once.
 * - `runTtlController`: deletes finished Jobs (with their pods) ttlSecondsAfterFinished after they finished.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { fromLabelSelectorObject, matches } from './selectors.ts';

export type Obj = Record<string, unknown>;

const INDEX = 'batch.kubernetes.io/job-completion-index';

/** metav1.Time: RFC 3339 in whole seconds. */
function stamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export interface Signal {
  pod: string;
  job: string;
  /** When SIGTERM was sent, and the grace the kill comes after. */
  at: string;
  graceSeconds: number;
}

export interface NodeInput {
  name: string;
  labels?: Record<string, string>;
  /** Extended resources the device plugin advertises, e.g. { 'nvidia.com/gpu': 8 }. */
  allocatable?: Record<string, number>;
  ready?: boolean;
  unschedulable?: boolean;
}

export class FakeCluster {
  readonly nodes = new Map<string, Obj>();
  readonly jobs = new Map<string, Obj>();
  readonly pods = new Map<string, Obj>();
  readonly services = new Map<string, Obj>();
  readonly logs = new Map<string, string>();
  readonly signals: Signal[] = [];
  readonly namespaces: Set<string>;
  readonly priorityClasses = new Set(['system-cluster-critical', 'system-node-critical']);
  readonly schedulers = new Set(['default-scheduler']);
  resourceVersion = 1;
  /** Seconds added to the real clock: tests move time forward with `advance`. */
  private offsetMs = 0;

  constructor(namespaces: string[]) {
    this.namespaces = new Set(namespaces);
  }

  now(): number {
    return Date.now() + this.offsetMs;
  }

  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }

  addNode(input: NodeInput): void {
    const allocatable = Object.fromEntries(Object.entries(input.allocatable ?? {}).map(([k, v]) => [k, String(v)]));
    this.nodes.set(input.name, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: input.name,
        uid: randomUUID(),
        labels: { 'kubernetes.io/hostname': input.name, 'kubernetes.io/os': 'linux', ...input.labels },
        creationTimestamp: stamp(this.now()),
        resourceVersion: String(++this.resourceVersion),
      },
      spec: input.unschedulable ? { unschedulable: true } : {},
      status: {
        capacity: { cpu: '64', memory: '512Gi', pods: '110', ...allocatable },
        allocatable: { cpu: '64', memory: '512Gi', pods: '110', ...allocatable },
        conditions: [
          {
            type: 'Ready',
            status: input.ready === false ? 'False' : 'True',
            reason: input.ready === false ? 'KubeletNotReady' : 'KubeletReady',
            lastTransitionTime: stamp(this.now()),
          },
        ],
      },
    });
  }

  // ---- objects written through the API ----

  createJob(ns: string, body: Obj): Obj {
    const job = structuredClone(body);
    const meta = job.metadata as Obj;
    const uid = randomUUID();
    const name = String(meta.name);
    Object.assign(meta, { namespace: ns, uid, creationTimestamp: stamp(this.now()), generation: 1 });
    const spec = job.spec as Obj;
    spec.parallelism ??= 1;
    spec.completions ??= spec.parallelism === 1 ? 1 : undefined;
    spec.backoffLimit ??= 6;
    spec.completionMode ??= 'NonIndexed';
    spec.suspend ??= false;
    spec.podReplacementPolicy ??= 'TerminatingOrFailed';
    const generated = {
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': name,
      'controller-uid': uid,
      'job-name': name,
    };
    spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
    const template = spec.template as Obj;
    template.metadata = { ...((template.metadata as Obj) ?? {}) };
    (template.metadata as Obj).labels = { ...(((template.metadata as Obj).labels as Obj) ?? {}), ...generated };
    const podSpec = template.spec as Obj;
    podSpec.terminationGracePeriodSeconds ??= 30;
    podSpec.schedulerName ??= 'default-scheduler';
    podSpec.dnsPolicy ??= 'ClusterFirst';
    meta.labels = { ...((meta.labels as Obj) ?? {}), ...generated };
    job.status = {};
    job.apiVersion = 'batch/v1';
    job.kind = 'Job';
    this.jobs.set(`${ns}/${name}`, job);
    this.touch(job);
    return job;
  }

  createService(ns: string, body: Obj): Obj {
    const service = structuredClone(body);
    const meta = service.metadata as Obj;
    Object.assign(meta, { namespace: ns, uid: randomUUID(), creationTimestamp: stamp(this.now()) });
    this.services.set(`${ns}/${String(meta.name)}`, service);
    this.touch(service);
    return service;
  }

  updateJob(key: string, job: Obj): Obj {
    this.jobs.set(key, job);
    (job.metadata as Obj).generation = Number((job.metadata as Obj).generation ?? 1) + 1;
    this.touch(job);
    return job;
  }

  deleteJob(key: string, propagation: string): void {
    const job = this.jobs.get(key);
    if (!job) return;
    this.jobs.delete(key);
    const uid = (job.metadata as Obj).uid;
    const owned = (o: Obj) => ((o.metadata as Obj).ownerReferences as Obj[] | undefined)?.some((r) => r.uid === uid);
    for (const [podKey, pod] of this.pods) {
      if (!owned(pod)) continue;
      if (propagation === 'Orphan') (pod.metadata as Obj).ownerReferences = [];
      else this.deletePod(podKey, undefined);
    }
    for (const [serviceKey, service] of this.services) {
      if (owned(service) && propagation !== 'Orphan') this.services.delete(serviceKey);
    }
  }

  /** Graceful deletion of a pod; returns the pod as the API answers it, or null when there is none. */
  deletePod(key: string, gracePeriodSeconds: number | undefined): Obj | null {
    const pod = this.pods.get(key);
    if (!pod) return null;
    const meta = pod.metadata as Obj;
    const spec = pod.spec as Obj;
    const phase = (pod.status as Obj).phase;
    const grace = gracePeriodSeconds ?? Number(spec.terminationGracePeriodSeconds ?? 30);
    if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed' || grace === 0) {
      this.pods.delete(key);
      this.touch(pod);
      return pod;
    }
    const current = meta.deletionGracePeriodSeconds as number | undefined;
    if (current === undefined || grace < current) {
      const first = current === undefined;
      meta.deletionTimestamp = stamp(this.now() + grace * 1000);
      meta.deletionGracePeriodSeconds = grace;
      if (first) {
        const job = String(((meta.labels as Obj) ?? {})['batch.kubernetes.io/job-name'] ?? '');
        this.signals.push({ pod: String(meta.name), job, at: stamp(this.now()), graceSeconds: grace });
      } else {
        const signal = this.signals.findLast((s) => s.pod === meta.name);
        if (signal) signal.graceSeconds = Math.min(signal.graceSeconds, grace);
      }
      this.touch(pod);
    }
    return pod;
  }

  containerState(pod: Obj): Obj | undefined {
    const statuses = ((pod.status as Obj).containerStatuses as Obj[] | undefined) ?? [];
    return statuses[0]?.state as Obj | undefined;
  }

  // ---- the Job controller ----

  job(name: string, ns = 'suanli'): Obj {
    const job = this.jobs.get(`${ns}/${name}`);
    if (!job) throw new Error(`test API server: no Job ${ns}/${name}`);
    return job;
  }

  podsOf(name: string, ns = 'suanli'): Obj[] {
    const uid = (this.job(name, ns).metadata as Obj).uid;
    return [...this.pods.values()]
      .filter((p) => ((p.metadata as Obj).ownerReferences as Obj[] | undefined)?.some((r) => r.uid === uid))
      .sort(
        (a, b) =>
          Number(((a.metadata as Obj).annotations as Obj)?.[INDEX] ?? 0) -
          Number(((b.metadata as Obj).annotations as Obj)?.[INDEX] ?? 0),
      );
  }

  syncJob(name: string, ns = 'suanli'): void {
    const job = this.job(name, ns);
    const spec = job.spec as Obj;
    const status = job.status as Obj;
    const conditions = ((status.conditions as Obj[] | undefined) ?? []) as Obj[];
    status.conditions = conditions;
    const has = (type: string) => conditions.some((c) => c.type === type && c.status === 'True');
    if (has('Complete') || has('Failed')) return;
    const pods = this.podsOf(name, ns);
    const terminating = (p: Obj) => (p.metadata as Obj).deletionTimestamp !== undefined;
    const finished = (p: Obj) => ['Succeeded', 'Failed'].includes(String((p.status as Obj).phase));
    const active = pods.filter((p) => !terminating(p) && !finished(p));
    const now = this.now();
    const setCondition = (type: string, reason: string, message: string, value = 'True') => {
      const existing = conditions.find((c) => c.type === type);
      if (existing && existing.status === value) return;
      const condition = {
        type,
        status: value,
        reason,
        message,
        lastProbeTime: stamp(now),
        lastTransitionTime: stamp(now),
      };
      if (existing) Object.assign(existing, condition);
      else conditions.push(condition);
    };
    const count = () => {
      const current = this.podsOf(name, ns);
      status.active = current.filter((p) => !terminating(p) && !finished(p)).length;
      status.ready = current.filter((p) => (p.status as Obj).phase === 'Running' && !terminating(p)).length;
      status.terminating = current.filter((p) => terminating(p) && !finished(p)).length;
      status.succeeded = current.filter((p) => (p.status as Obj).phase === 'Succeeded').length;
      status.failed = Math.max(
        Number(status.failed ?? 0),
        current.filter((p) => (p.status as Obj).phase === 'Failed').length,
      );
      this.touch(job);
    };

    if (spec.suspend === true) {
      for (const pod of active) this.deletePod(podKey(pod), undefined);
      if (status.startTime !== undefined || pods.length > 0) setCondition('Suspended', 'JobSuspended', 'Job suspended');
      return count();
    }
    if (has('Suspended')) {
      // Resumed: the clock of activeDeadlineSeconds starts again.
      setCondition('Suspended', 'JobResumed', 'Job resumed', 'False');
      status.startTime = stamp(now);
    }
    status.startTime ??= stamp(now);

    const failedPods = pods.filter((p) => (p.status as Obj).phase === 'Failed').length;
    const deadline = spec.activeDeadlineSeconds as number | undefined;
    const started = Date.parse(String(status.startTime));
    let failure: [string, string] | null = null;
    const target = conditions.find((c) => c.type === 'FailureTarget' && c.status === 'True');
    if (target) failure = [String(target.reason), String(target.message)];
    else if (failedPods > Number(spec.backoffLimit))
      failure = ['BackoffLimitExceeded', 'Job has reached the specified backoff limit'];
    else if (deadline !== undefined && now - started >= deadline * 1000)
      failure = ['DeadlineExceeded', 'Job was active longer than specified deadline'];
    if (failure) {
      setCondition('FailureTarget', ...failure);
      for (const pod of active) this.deletePod(podKey(pod), undefined);
      count();
      if (Number(status.terminating) === 0) setCondition('Failed', ...failure);
      return count();
    }

    const completions = Number(spec.completions ?? 1);
    const indexed = spec.completionMode === 'Indexed';
    const succeededIndexes = new Set(pods.filter((p) => (p.status as Obj).phase === 'Succeeded').map(indexOf));
    if (indexed) status.completedIndexes = compress([...succeededIndexes].sort((a, b) => a - b));
    if (
      succeededIndexes.size >= completions &&
      pods.every((p) => finished(p) || !terminating(p)) &&
      active.length === 0
    ) {
      setCondition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods');
      setCondition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods');
      status.completionTime = stamp(now);
      return count();
    }
    const covered = new Set(pods.filter((p) => !finished(p) || (p.status as Obj).phase === 'Succeeded').map(indexOf));
    const parallelism = Number(spec.parallelism ?? 1);
    for (let index = 0; index < completions && covered.size < Math.min(parallelism, completions); index++) {
      if (covered.has(index)) continue;
      this.createPod(job, indexed ? index : null);
      covered.add(index);
    }
    count();
  }

  private createPod(job: Obj, index: number | null): void {
    const meta = job.metadata as Obj;
    const name = String(meta.name);
    const ns = String(meta.namespace);
    const template = structuredClone((job.spec as Obj).template as Obj);
    const spec = template.spec as Obj;
    const podName = `${name}-${index === null ? '' : `${index}-`}${randomBytes(4).toString('hex').slice(0, 5)}`;
    const labels = { ...((template.metadata as Obj).labels as Obj) } as Record<string, string>;
    const annotations: Record<string, string> = {};
    if (index !== null) {
      labels[INDEX] = String(index);
      annotations[INDEX] = String(index);
      spec.hostname = `${name}-${index}`;
      for (const container of spec.containers as Obj[]) {
        container.env = [
          ...((container.env as Obj[] | undefined) ?? []),
          { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.labels['${INDEX}']` } } },
        ];
      }
    }
    const pod: Obj = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: podName,
        namespace: ns,
        uid: randomUUID(),
        labels,
        annotations,
        creationTimestamp: stamp(this.now()),
        ownerReferences: [
          { apiVersion: 'batch/v1', kind: 'Job', name, uid: meta.uid, controller: true, blockOwnerDeletion: true },
        ],
      },
      spec,
      status: { phase: 'Pending' },
    };
    this.pods.set(`${ns}/${podName}`, pod);
    this.touch(pod);
  }

  // ---- the scheduler ----

  schedulePods(jobName: string, ns = 'suanli'): void {
    for (const pod of this.podsOf(jobName, ns)) {
      const spec = pod.spec as Obj;
      if (spec.nodeName || (pod.metadata as Obj).deletionTimestamp) continue;
      if (!this.schedulers.has(String(spec.schedulerName))) continue; // nobody schedules it
      const reasons = new Map<string, number>();
      const fit = [...this.nodes.values()]
        .sort((a, b) => String((a.metadata as Obj).name).localeCompare(String((b.metadata as Obj).name)))
        .find((node) => {
          const why = this.unfit(pod, node);
          if (why) reasons.set(why, (reasons.get(why) ?? 0) + 1);
          return why === null;
        });
      const status = pod.status as Obj;
      if (fit) {
        spec.nodeName = (fit.metadata as Obj).name;
        status.conditions = [{ type: 'PodScheduled', status: 'True', lastTransitionTime: stamp(this.now()) }];
        status.containerStatuses = (spec.containers as Obj[]).map((c) => ({
          name: c.name,
          ready: false,
          state: { waiting: { reason: 'ContainerCreating' } },
        }));
      } else {
        const detail = [...reasons].map(([why, n]) => `${n} ${why}`).join(', ');
        status.conditions = [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message: `0/${this.nodes.size} nodes are available: ${detail}.`,
            lastTransitionTime: stamp(this.now()),
          },
        ];
      }
      this.touch(pod);
    }
  }

  /** Why a pod cannot go to a node, in the scheduler's words, or null when it fits. */
  private unfit(pod: Obj, node: Obj): string | null {
    const meta = node.metadata as Obj;
    const nodeName = String(meta.name);
    const labels = meta.labels as Record<string, string>;
    const ready = ((node.status as Obj).conditions as Obj[]).some((c) => c.type === 'Ready' && c.status === 'True');
    if (!ready) return 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }';
    if ((node.spec as Obj).unschedulable) return 'node(s) were unschedulable';
    const spec = pod.spec as Obj;
    const affinity = (spec.affinity ?? {}) as Obj;
    const terms = ((
      (affinity.nodeAffinity as Obj | undefined)?.requiredDuringSchedulingIgnoredDuringExecution as Obj | undefined
    )?.nodeSelectorTerms ?? []) as Obj[];
    if (terms.length > 0 && !terms.some((t) => termMatches(t, nodeName, labels))) {
      return "node(s) didn't match Pod's node affinity/selector";
    }
    const allocatable = (node.status as Obj).allocatable as Record<string, string>;
    const onNode = [...this.pods.values()].filter(
      (p) =>
        (p.spec as Obj).nodeName === nodeName && !['Succeeded', 'Failed'].includes(String((p.status as Obj).phase)),
    );
    for (const [resource, quantity] of Object.entries(limits(pod))) {
      const used = onNode.reduce((sum, p) => sum + (limits(p)[resource] ?? 0), 0);
      if (Number(allocatable[resource] ?? 0) - used < quantity) return `Insufficient ${resource}`;
    }
    const anti = ((affinity.podAntiAffinity as Obj | undefined)?.requiredDuringSchedulingIgnoredDuringExecution ??
      []) as Obj[];
    for (const term of anti) {
      const selector = fromLabelSelectorObject((term.labelSelector ?? {}) as Obj);
      const key = String(term.topologyKey);
      const domain = labels[key];
      const clash = [...this.pods.values()].some((p) => {
        const other = (p.spec as Obj).nodeName;
        if (!other || p === pod) return false;
        const otherLabels = ((this.nodes.get(String(other))?.metadata as Obj | undefined)?.labels ?? {}) as Record<
          string,
          string
        >;
        return otherLabels[key] === domain && matches(selector, (p.metadata as Obj).labels as Record<string, string>);
      });
      if (clash) return "node(s) didn't match pod anti-affinity rules";
    }
    return null;
  }

  // ---- the kubelet ----

  startPods(jobName: string, ns = 'suanli'): void {
    for (const pod of this.podsOf(jobName, ns)) {
      const status = pod.status as Obj;
      if (!(pod.spec as Obj).nodeName || status.phase !== 'Pending') continue;
      const at = stamp(this.now());
      status.phase = 'Running';
      status.startTime = at;
      status.containerStatuses = ((pod.spec as Obj).containers as Obj[]).map((c) => ({
        name: c.name,
        ready: true,
        state: { running: { startedAt: at } },
      }));
      this.touch(pod);
    }
  }

  /** The running containers exit: one code for all ranks, or one per completion index. */
  exitPods(jobName: string, exitCode: number | Record<number, number>, ns = 'suanli'): void {
    for (const pod of this.podsOf(jobName, ns)) {
      const status = pod.status as Obj;
      if (status.phase !== 'Running') continue;
      const code = typeof exitCode === 'number' ? exitCode : exitCode[indexOf(pod)];
      if (code === undefined) continue;
      this.terminate(pod, code);
    }
  }

  /** Terminating pods' containers exit (SIGTERM: 143 unless told) and the kubelet removes the pod objects. */
  finishTermination(jobName: string, exitCode = 143, ns = 'suanli'): void {
    for (const pod of this.podsOf(jobName, ns)) {
      if ((pod.metadata as Obj).deletionTimestamp === undefined) continue;
      this.terminate(pod, exitCode);
      this.pods.delete(podKey(pod));
    }
  }

  private terminate(pod: Obj, exitCode: number): void {
    const status = pod.status as Obj;
    const statuses = (status.containerStatuses as Obj[] | undefined) ?? [];
    const startedAt = ((statuses[0]?.state as Obj | undefined)?.running as Obj | undefined)?.startedAt;
    status.phase = exitCode === 0 ? 'Succeeded' : 'Failed';
    status.containerStatuses = statuses.map((c) => ({
      ...c,
      ready: false,
      state: {
        terminated: {
          exitCode,
          reason: exitCode === 0 ? 'Completed' : 'Error',
          startedAt,
          finishedAt: stamp(this.now()),
        },
      },
    }));
    this.touch(pod);
  }

  writeLog(jobName: string, index: number, text: string, ns = 'suanli'): void {
    const pod = this.podsOf(jobName, ns).find((p) => indexOf(p) === index);
    if (!pod) throw new Error(`test API server: no pod of rank ${index} in Job ${jobName}`);
    this.logs.set(podKey(pod), (this.logs.get(podKey(pod)) ?? '') + text);
  }

  runTtlController(): void {
    for (const [key, job] of this.jobs) {
      const ttl = (job.spec as Obj).ttlSecondsAfterFinished as number | undefined;
      const done = (((job.status as Obj).conditions as Obj[] | undefined) ?? []).find(
        (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
      );
      if (ttl === undefined || !done) continue;
      if (this.now() >= Date.parse(String(done.lastTransitionTime)) + ttl * 1000) this.deleteJob(key, 'Background');
    }
  }

  private touch(object: Obj): void {
    (object.metadata as Obj).resourceVersion = String(++this.resourceVersion);
  }
}

function podKey(pod: Obj): string {
  const meta = pod.metadata as Obj;
  return `${String(meta.namespace)}/${String(meta.name)}`;
}

function indexOf(pod: Obj): number {
  return Number(((pod.metadata as Obj).annotations as Obj | undefined)?.[INDEX] ?? 0);
}

function limits(pod: Obj): Record<string, number> {
  const out: Record<string, number> = {};
  for (const container of (pod.spec as Obj).containers as Obj[]) {
    const list = ((container.resources as Obj | undefined)?.limits ?? {}) as Record<string, string>;
    for (const [name, value] of Object.entries(list))
      if (name.includes('/')) out[name] = (out[name] ?? 0) + Number(value);
  }
  return out;
}

function termMatches(term: Obj, nodeName: string, labels: Record<string, string>): boolean {
  const fields = ((term.matchFields ?? []) as Obj[]).every((f) => {
    const value = (f.values as string[])[0];
    return f.operator === 'In' ? nodeName === value : nodeName !== value;
  });
  const expressions = ((term.matchExpressions ?? []) as Obj[]).every((e) => {
    const has = Object.hasOwn(labels, String(e.key));
    const values = (e.values ?? []) as string[];
    switch (e.operator) {
      case 'In':
        return has && values.includes(labels[String(e.key)]!);
      case 'NotIn':
        return !has || !values.includes(labels[String(e.key)]!);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        return false;
    }
  });
  return fields && expressions;
}

/** completedIndexes' interval notation: "0-2,5". */
function compress(indexes: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < indexes.length; i++) {
    const start = indexes[i]!;
    while (i + 1 < indexes.length && indexes[i + 1] === indexes[i]! + 1) i++;
    parts.push(start === indexes[i] ? `${start}` : `${start}-${indexes[i]}`);
  }
  return parts.join(',');
}
