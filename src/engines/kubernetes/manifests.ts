/**
 * The batch/v1 Job a dispatch becomes (pure): one Indexed Job per dispatch, one pod per chosen node, pinned there,
 * named after the dispatch tag so that a repeated submit of the same dispatch meets the first Job (409).
 */
import { createHash } from 'node:crypto';
import type { JobSpec } from '../../core/domain.ts';
import { EngineRejection } from '../engine.ts';
import type { KubeJob } from './objects.ts';
import { COMPLETION_INDEX_ANNOTATION } from './objects.ts';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'suanli';
/** On the Job and its pods: the Job's name, so that pods of many Jobs are listed with one selector. */
export const ENGINE_JOB_LABEL = 'suanli.io/engine-job';
export const JOB_ID_LABEL = 'suanli.io/job-id';
export const TAG_ANNOTATION = 'suanli.io/dispatch-tag';
export const POOL_ANNOTATION = 'suanli.io/pool';
export const MODEL_ANNOTATION = 'suanli.io/accelerator-model';
export const RESOURCE_ANNOTATION = 'suanli.io/resource-name';
export const CONTAINER_NAME = 'job';

/**
 * A Job name is a DNS label here, not just a subdomain: it becomes the `job-name` label of the pods (at most 63) and,
 * in Indexed mode, the pods' hostname `<name>-<index>`. 52 leaves room for ten-digit indices.
 */
const MAX_JOB_NAME = 52;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** The Job name of a dispatch: the tag itself when it is a short DNS label (suanli's are), else a digest of it. */
export function jobNameForTag(tag: string): string {
  if (tag.length <= MAX_JOB_NAME && DNS_LABEL.test(tag)) return tag;
  return `suanli-${createHash('sha256').update(tag).digest('hex').slice(0, 40)}`;
}

export function isJobName(name: string): boolean {
  return name.length <= MAX_JOB_NAME && DNS_LABEL.test(name);
}

/** A label value, or null when the text cannot be one (then it goes in an annotation only). */
export function labelValue(text: string): string | null {
  return text.length <= 63 && LABEL_VALUE.test(text) ? text : null;
}

export interface ManifestPool {
  name: string;
  acceleratorModel: string;
  resourceName: string;
}

export interface ManifestRequest {
  jobId: string;
  tag: string;
  spec: JobSpec;
  pool: ManifestPool;
  nodeNames: string[];
  namespace: string;
  image?: string;
  schedulerName?: string;
  priorityClassName?: string;
  ttlSecondsAfterFinished: number;
  terminationGracePeriodSeconds: number;
}

/**
 * The Job. The scheduler chose the nodes: each pod may go only to one of them (node affinity on the node's name, one
 * term per node, as Kubernetes allows one value per `metadata.name` field requirement) and no two pods of the Job
 * share a node (pod anti-affinity on the hostname), so the N pods land on the N nodes. backoffLimit 0 and
 * restartPolicy Never: a failed rank fails the run, as on Slurm; suanli requeues, not Kubernetes.
 */
export function jobManifest(request: ManifestRequest): KubeJob {
  const { spec, pool, nodeNames } = request;
  const image = spec.image ?? request.image;
  if (!image) {
    throw new EngineRejection(
      'this Kubernetes cluster runs containers and has no default image configured: give the job an image',
    );
  }
  if (nodeNames.length !== spec.nodes) {
    throw new EngineRejection(`${nodeNames.length} nodes named for a job of ${spec.nodes} nodes`);
  }
  if (new Set(nodeNames).size !== nodeNames.length) throw new EngineRejection('a node is named twice');
  const name = jobNameForTag(request.tag);
  const labels: Record<string, string> = { [MANAGED_BY_LABEL]: MANAGED_BY, [ENGINE_JOB_LABEL]: name };
  const jobIdLabel = labelValue(request.jobId);
  if (jobIdLabel) labels[JOB_ID_LABEL] = jobIdLabel;
  const multiNode = spec.nodes > 1;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: request.namespace,
      labels,
      annotations: {
        [TAG_ANNOTATION]: request.tag,
        [POOL_ANNOTATION]: pool.name,
        [MODEL_ANNOTATION]: pool.acceleratorModel,
        [RESOURCE_ANNOTATION]: pool.resourceName,
      },
    },
    spec: {
      completionMode: 'Indexed',
      completions: spec.nodes,
      parallelism: spec.nodes,
      backoffLimit: 0,
      activeDeadlineSeconds: spec.timeLimitSeconds,
      ttlSecondsAfterFinished: request.ttlSecondsAfterFinished,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: request.terminationGracePeriodSeconds,
          ...(request.schedulerName ? { schedulerName: request.schedulerName } : {}),
          ...(request.priorityClassName ? { priorityClassName: request.priorityClassName } : {}),
          // With the headless Service of the same name, rank i resolves as <name>-<i>.<name>.
          ...(multiNode ? { subdomain: name } : {}),
          affinity: affinity(name, nodeNames),
          containers: [
            {
              name: CONTAINER_NAME,
              image,
              ...command(spec),
              env: environment(request, name),
              ...(spec.acceleratorsPerNode > 0
                ? { resources: { limits: { [pool.resourceName]: String(spec.acceleratorsPerNode) } } }
                : {}),
            },
          ],
        },
      },
    },
  };
}

function affinity(name: string, nodeNames: string[]): unknown {
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: nodeNames.map((node) => ({
          matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }],
        })),
      },
    },
    ...(nodeNames.length > 1
      ? {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { labelSelector: { matchLabels: { [ENGINE_JOB_LABEL]: name } }, topologyKey: 'kubernetes.io/hostname' },
            ],
          },
        }
      : {}),
  };
}

/** A command runs as given (the image's entrypoint replaced); a script runs with /bin/sh -c, as on the other engines. */
function command(spec: JobSpec): { command: string[] } {
  if (spec.command && spec.command.length > 0) return { command: spec.command };
  if (spec.script !== undefined) return { command: ['/bin/sh', '-c', spec.script] };
  throw new EngineRejection('the job has neither a command nor a script');
}

type EnvVar = { name: string; value?: string; valueFrom?: unknown };

/**
 * suanli's variables (the local engine's names), then the spec's own, which win on a clash. The rank is the pod's
 * completion index, which the Job controller writes into an annotation of each pod.
 */
function environment(request: ManifestRequest, name: string): EnvVar[] {
  const { spec, pool } = request;
  const ours: EnvVar[] = [
    { name: 'SUANLI_JOB_ID', value: request.jobId },
    { name: 'SUANLI_DISPATCH_TAG', value: request.tag },
    { name: 'SUANLI_ENGINE_JOB_ID', value: name },
    { name: 'SUANLI_NNODES', value: String(spec.nodes) },
    {
      name: 'SUANLI_NODE_RANK',
      valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX_ANNOTATION}']` } },
    },
    { name: 'SUANLI_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
    { name: 'SUANLI_ACCELERATORS', value: String(spec.acceleratorsPerNode) },
    { name: 'SUANLI_ACCELERATOR_MODEL', value: pool.acceleratorModel },
  ];
  if (spec.nodes > 1) ours.push({ name: 'SUANLI_MASTER_ADDR', value: `${name}-0.${name}` });
  const own = new Set(Object.keys(spec.env));
  return [
    ...ours.filter((v) => !own.has(v.name)),
    ...Object.entries(spec.env).map(([key, value]) => ({ name: key, value })),
  ];
}

/**
 * The headless Service that gives a multi-node Job's pods their DNS names (`<job>-<index>.<job>`), owned by the
 * Job so that it goes when the Job goes.
 */
export function headlessService(job: { name: string; uid: string; namespace: string }): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: job.name,
      namespace: job.namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [ENGINE_JOB_LABEL]: job.name },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.name, uid: job.uid }],
    },
    spec: {
      clusterIP: 'None',
      selector: { [ENGINE_JOB_LABEL]: job.name },
      // Ranks look each other up before they are ready.
      publishNotReadyAddresses: true,
    },
  };
}
