/**
 * The parts of Kubernetes objects the engine reads and writes (batch/v1 Job, core/v1 Pod, Node, Status), as the API
 * serves them in JSON. Optional almost everywhere: the API leaves out empty fields.
 */

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }>;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
}

export interface PodSpec {
  containers: Container[];
  restartPolicy?: string;
  nodeName?: string;
  terminationGracePeriodSeconds?: number;
  schedulerName?: string;
  priorityClassName?: string;
  subdomain?: string;
  hostname?: string;
  affinity?: unknown;
}

export interface KubeJob {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: {
    completions?: number;
    parallelism?: number;
    completionMode?: 'NonIndexed' | 'Indexed';
    backoffLimit?: number;
    activeDeadlineSeconds?: number;
    ttlSecondsAfterFinished?: number;
    suspend?: boolean;
    template: { metadata?: ObjectMeta; spec: PodSpec };
  };
  status?: {
    startTime?: string;
    completionTime?: string;
    active?: number;
    ready?: number;
    terminating?: number;
    succeeded?: number;
    failed?: number;
    conditions?: Condition[];
  };
}

export interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { exitCode: number; signal?: number; reason?: string; startedAt?: string; finishedAt?: string };
}

export interface KubePod {
  metadata: ObjectMeta;
  spec: PodSpec;
  status?: {
    phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
    conditions?: Condition[];
    startTime?: string;
    containerStatuses?: Array<{ name: string; state?: ContainerState; ready?: boolean }>;
  };
}

export interface KubeNode {
  metadata: ObjectMeta;
  spec?: { unschedulable?: boolean };
  status?: { allocatable?: Record<string, string>; capacity?: Record<string, string>; conditions?: Condition[] };
}

export interface KubeList<T> {
  items: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

/** The API's error answer (metav1.Status). */
export interface KubeStatus {
  kind: 'Status';
  apiVersion?: string;
  status?: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; causes?: Array<{ reason?: string; message?: string; field?: string }> };
}

/** Where the Job controller records a pod's index in Indexed completion mode. */
export const COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
