/**
 * Configuration of the Kubernetes engine: one namespace of a member cluster reached through its API server with a
 * ServiceAccount's bearer token, and the pools suanli offers there (each a set of nodes picked by a label selector,
 * with the extended resource its device plugin advertises).
 */
import { readFileSync } from 'node:fs';
import { findAccelerator } from '../../core/accelerators.ts';

export interface KubernetesPoolConfig {
  /** suanli's name for the pool, e.g. "h100". */
  name: string;
  /** The accelerator model, a catalogue name or alias (src/core/accelerators.ts), e.g. "H100-SXM". */
  acceleratorModel: string;
  /** The extended resource the nodes' device plugin advertises, e.g. "nvidia.com/gpu", "huawei.com/Ascend910". */
  resourceName: string;
  /** A Kubernetes label selector picking the pool's nodes, e.g. "suanli.io/pool=h100". */
  nodeSelector: string;
}

export interface KubernetesEngineConfig {
  /** The API server, e.g. "https://10.0.0.5:6443". */
  apiUrl: string;
  /** The namespace suanli's Jobs live in. */
  namespace: string;
  /** The ServiceAccount token itself. Prefer `tokenFile`; never logged. */
  token?: string;
  /** A file holding the token (re-read on every call, so it can be rotated without a restart). */
  tokenFile?: string;
  /** The cluster CA (PEM file) the API server's certificate must chain to; the system's CAs when neither is set. */
  caFile?: string;
  /** The same as base64 PEM, as kubeconfig's `certificate-authority-data`. */
  caData?: string;
  pools: KubernetesPoolConfig[];
  /** The image for jobs that name none; without it such a job is refused. */
  image?: string;
  /** The scheduler that places suanli's pods, e.g. "volcano" (gang admission); the cluster's default when absent. */
  schedulerName?: string;
  /** The PriorityClass of suanli's pods. */
  priorityClassName?: string;
  /** How long finished Jobs are kept (ttlSecondsAfterFinished), so that they can be metered. Default 7 days. */
  finishedJobTtlSeconds?: number;
  /**
   * The pods' terminationGracePeriodSeconds: the most time a stop signal can give a job before the kill (a cancel
   * may shorten it, never lengthen it; docs/kubernetes.md). Default 30, Kubernetes' own.
   */
  terminationGracePeriodSeconds?: number;
  /** The cluster's name in suanli, used in error messages; the API URL when absent. */
  name?: string;
  /** Seconds before an API call is abandoned. Default 15. */
  timeoutSeconds?: number;
  /** Submits the control loop keeps in flight at once to this cluster (read by the loop, as for Slurm). */
  dispatchConcurrency?: number;
}

export const DEFAULT_FINISHED_JOB_TTL_SECONDS = 7 * 24 * 3600;
export const DEFAULT_TERMINATION_GRACE_SECONDS = 30;
export const DEFAULT_TIMEOUT_SECONDS = 15;
const MAX_DISPATCH_CONCURRENCY = 64;

// RFC 1123 label: what Kubernetes requires of a namespace name.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
// An extended resource: a domain-prefixed name outside kubernetes.io (e.g. nvidia.com/gpu).
const RESOURCE_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Throws on a configuration the engine cannot serve, naming the field (never the token). */
export function validateKubernetesEngineConfig(config: KubernetesEngineConfig): void {
  const who = `kubernetes engine${config.name ? ` for cluster ${config.name}` : ''}`;
  const fail = (message: string): never => {
    throw new Error(`${who}: ${message}`);
  };
  if (!config.apiUrl) fail('apiUrl is required');
  let url: URL | null = null;
  try {
    url = new URL(config.apiUrl);
  } catch {
    fail(`apiUrl "${config.apiUrl}" is not a URL`);
  }
  if (url && url.protocol !== 'http:' && url.protocol !== 'https:') fail(`apiUrl must be https, not ${url.protocol}`);
  if (typeof config.namespace !== 'string' || !DNS_LABEL.test(config.namespace)) {
    fail(`namespace "${String(config.namespace ?? '')}" is not a Kubernetes namespace name (lowercase, digits, "-")`);
  }
  if (!config.token && !config.tokenFile) fail('a token or a tokenFile is required');
  if (config.caFile !== undefined && config.caData !== undefined) fail('give the CA as caFile or caData, not both');
  if (!Array.isArray(config.pools) || config.pools.length === 0) {
    fail('pools must list at least one pool ({name, acceleratorModel, resourceName, nodeSelector})');
  }
  const names = new Set<string>();
  config.pools.forEach((pool, i) => {
    const at = `pools[${i}]`;
    if (typeof pool !== 'object' || pool === null) return fail(`${at} must be a mapping`);
    if (typeof pool.name !== 'string' || !/^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/.test(pool.name)) {
      fail(`${at}.name "${String(pool.name ?? '')}" must be lowercase letters, digits, "-" or "." (at most 63)`);
    }
    if (names.has(pool.name)) fail(`${at}.name "${pool.name}" is used twice`);
    names.add(pool.name);
    if (typeof pool.acceleratorModel !== 'string' || !findAccelerator(pool.acceleratorModel)) {
      fail(`${at}.acceleratorModel "${String(pool.acceleratorModel ?? '')}" is not in the accelerator catalogue`);
    }
    if (typeof pool.resourceName !== 'string' || !RESOURCE_NAME.test(pool.resourceName)) {
      fail(`${at}.resourceName "${String(pool.resourceName ?? '')}" must be an extended resource, e.g. nvidia.com/gpu`);
    }
    if (pool.resourceName.endsWith('kubernetes.io') || pool.resourceName.split('/')[0]!.endsWith('.kubernetes.io')) {
      fail(`${at}.resourceName "${pool.resourceName}" is in the kubernetes.io domain, not a device plugin's`);
    }
    if (typeof pool.nodeSelector !== 'string' || pool.nodeSelector.trim() === '') {
      fail(`${at}.nodeSelector must be a label selector, e.g. "suanli.io/pool=${pool.name}"`);
    }
  });
  const whole = (field: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (value === undefined) return;
    if (!(typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max)) {
      fail(`${field} must be a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}`);
    }
  };
  // Queueing ahead (docs/decisions/0006) sends jobs without nodes; this engine pins every pod to the chosen nodes.
  if ((config as { queueAheadAccelerators?: unknown }).queueAheadAccelerators !== undefined) {
    fail('queueAheadAccelerators is not supported: suanli places every pod of a Kubernetes job on nodes it chose');
  }
  if (
    config.caData !== undefined &&
    !Buffer.from(config.caData, 'base64').toString('utf8').includes('-----BEGIN CERTIFICATE-----')
  ) {
    fail('caData must be a base64-encoded PEM certificate (as kubeconfig certificate-authority-data)');
  }
  whole('finishedJobTtlSeconds', config.finishedJobTtlSeconds, 60);
  whole('terminationGracePeriodSeconds', config.terminationGracePeriodSeconds, 1);
  whole('timeoutSeconds', config.timeoutSeconds, 1);
  whole('dispatchConcurrency', config.dispatchConcurrency, 1, MAX_DISPATCH_CONCURRENCY);
  for (const field of ['image', 'schedulerName', 'priorityClassName'] as const) {
    const value = config[field];
    if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) fail(`${field} must be a name`);
  }
}

/** The bearer token: from the file when configured (re-read on each call), else the stored one. */
export class KubeTokenSource {
  constructor(
    private readonly config: Pick<KubernetesEngineConfig, 'token' | 'tokenFile'>,
    private readonly label: string,
  ) {}

  get(): string {
    if (!this.config.tokenFile) return this.config.token ?? '';
    let text: string;
    try {
      text = readFileSync(this.config.tokenFile, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new Error(`kubernetes cluster ${this.label}: cannot read tokenFile ${this.config.tokenFile} (${code})`);
    }
    const token = text.trim();
    if (!token) throw new Error(`kubernetes cluster ${this.label}: tokenFile ${this.config.tokenFile} is empty`);
    return token;
  }
}

/** The CA certificates to trust, or undefined for the system's. */
export function readCa(config: Pick<KubernetesEngineConfig, 'caFile' | 'caData'>, label: string): string | undefined {
  if (config.caData !== undefined) return Buffer.from(config.caData, 'base64').toString('utf8');
  if (config.caFile === undefined) return undefined;
  try {
    return readFileSync(config.caFile, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new Error(`kubernetes cluster ${label}: cannot read caFile ${config.caFile} (${code})`);
  }
}
