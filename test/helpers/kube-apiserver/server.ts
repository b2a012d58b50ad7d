/**
 * A test Kubernetes API server: a real HTTPS server on 127.0.0.1 speaking the part of the REST API the suanli engine
 * uses (batch/v1 Jobs; core/v1 Pods, pod logs, Nodes, Services), with bearer tokens, RBAC rules per token, and the
 * API server's refusals (validation.ts, selectors.ts) as Status objects. It is not a cluster manager: what the Job
 * controller, the scheduler and the kubelet do happens only when a test calls `syncJob`, `schedulePods`,
 * `startPods`, `exitPods`, `finishTermination`, `runTtlController` (cluster.ts, following Kubernetes' documented
 * behaviour; docs/kubernetes.md lists it with its sources).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeCluster, type Obj } from './cluster.ts';
import { matches, parseLabelSelector, SelectorError } from './selectors.ts';
import { validateJob, validateJobUpdate, validateService, type Cause } from './validation.ts';

/** One RBAC rule: verbs on resources ("jobs", "pods", "pods/log", "nodes", "services") of an API group. */
export interface Rule {
  apiGroup: '' | 'batch';
  resources: string[];
  verbs: string[];
  /** The namespace a Role's rule applies in; absent for a ClusterRole bound cluster-wide. */
  namespace?: string;
}

/** The rules docs/kubernetes.md asks the provider to grant: a Role in the namespace and a ClusterRole for nodes. */
export const SUANLI_ENGINE_RULES: Rule[] = [
  { apiGroup: 'batch', resources: ['jobs'], verbs: ['get', 'list', 'create', 'patch', 'delete'], namespace: 'suanli' },
  { apiGroup: '', resources: ['pods'], verbs: ['list', 'delete'], namespace: 'suanli' },
  { apiGroup: '', resources: ['pods/log'], verbs: ['get'], namespace: 'suanli' },
  { apiGroup: '', resources: ['services'], verbs: ['create'], namespace: 'suanli' },
  { apiGroup: '', resources: ['nodes'], verbs: ['list'] },
];

export interface Identity {
  user: string;
  rules: Rule[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | undefined;
}

/** A self-signed certificate for 127.0.0.1, made with openssl, like a cluster CA that signed the API server's. */
function makeCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'suanli-kube-ca-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=kube-apiserver',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Obj,
  ) {
    super(message);
  }
}

const GROUP_OF: Record<string, '' | 'batch'> = { jobs: 'batch', pods: '', 'pods/log': '', nodes: '', services: '' };

export class FakeKubeApiServer {
  readonly cluster: FakeCluster;
  readonly requests: RecordedRequest[] = [];
  /** The CA certificate (PEM) clients must trust. */
  readonly caPem: string;
  private readonly tokens = new Map<string, Identity>();
  private server!: https.Server;
  url = '';

  private constructor(
    cluster: FakeCluster,
    private readonly tls: { key: string; cert: string },
  ) {
    this.cluster = cluster;
    this.caPem = tls.cert;
  }

  static async start(options: { namespaces?: string[] } = {}): Promise<FakeKubeApiServer> {
    const fake = new FakeKubeApiServer(new FakeCluster(options.namespaces ?? ['suanli']), makeCertificate());
    fake.server = https.createServer({ key: fake.tls.key, cert: fake.tls.cert }, (req, res) => {
      fake.handle(req, res).catch((error: unknown) => {
        fake.send(res, 500, fake.status(new ApiError(500, 'InternalError', String(error))));
      });
    });
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `https://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  /** A bearer token for a user with these rules. */
  addToken(token: string, identity: Identity): void {
    this.tokens.set(token, identity);
  }

  /** Requests whose path starts with `prefix` (and of this method, when given). */
  calls(method: string, prefix: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.startsWith(prefix));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const query = Object.fromEntries(url.searchParams);
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, query, contentType: req.headers['content-type'] });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      const identity = this.authenticate(req.headers.authorization);
      const route = this.route(url.pathname);
      const verb = this.verb(method, route.name);
      this.authorize(identity, verb, route);
      const body = text ? this.parse(text) : undefined;
      const answer = this.serve(method, route, query, body, req.headers['content-type']);
      if (typeof answer.body === 'string') {
        res.writeHead(answer.code, { 'content-type': 'text/plain' });
        res.end(answer.body);
      } else this.send(res, answer.code, answer.body);
    } catch (error) {
      if (error instanceof ApiError) this.send(res, error.code, this.status(error));
      else throw error;
    }
  }

  private send(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private status(error: ApiError): Obj {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: error.message,
      reason: error.reason,
      ...(error.details ? { details: error.details } : {}),
      code: error.code,
    };
  }

  private parse(text: string): Obj {
    try {
      return JSON.parse(text) as Obj;
    } catch (error) {
      throw new ApiError(
        400,
        'BadRequest',
        `the body of the request was in an unknown format: ${(error as Error).message}`,
      );
    }
  }

  private authenticate(header: string | undefined): Identity {
    const token = header?.match(/^Bearer (.+)$/)?.[1];
    const identity = token ? this.tokens.get(token) : undefined;
    if (!identity) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    return identity;
  }

  private route(path: string): { resource: string; namespace: string | null; name: string | null } {
    let m = path.match(/^\/api\/v1\/nodes(?:\/([^/]+))?$/);
    if (m) return { resource: 'nodes', namespace: null, name: m[1] ?? null };
    m = path.match(/^\/api\/v1\/namespaces\/([^/]+)\/(pods|services)(?:\/([^/]+))?(\/log)?$/);
    if (m && !(m[4] && m[2] !== 'pods')) {
      return { resource: m[4] ? 'pods/log' : m[2]!, namespace: m[1]!, name: m[3] ?? null };
    }
    m = path.match(/^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs(?:\/([^/]+))?$/);
    if (m) return { resource: 'jobs', namespace: m[1]!, name: m[2] ?? null };
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  }

  private verb(method: string, name: string | null): string {
    switch (method) {
      case 'GET':
        return name ? 'get' : 'list';
      case 'POST':
        return 'create';
      case 'PATCH':
        return 'patch';
      case 'PUT':
        return 'update';
      case 'DELETE':
        return name ? 'delete' : 'deletecollection';
      default:
        throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    }
  }

  /** RBAC: some rule of the identity grants this verb on this resource here; else 403 in the authorizer's words. */
  private authorize(
    identity: Identity,
    verb: string,
    route: { resource: string; namespace: string | null; name: string | null },
  ): void {
    const group = GROUP_OF[route.resource] ?? '';
    const allowed = identity.rules.some(
      (r) =>
        r.apiGroup === group &&
        (r.resources.includes(route.resource) || r.resources.includes('*')) &&
        (r.verbs.includes(verb) || r.verbs.includes('*')) &&
        (r.namespace === undefined || r.namespace === route.namespace),
    );
    if (allowed) return;
    const [base] = route.resource.split('/');
    const what = `${base}${group ? `.${group}` : ''}${route.name ? ` "${route.name}"` : ''}`;
    const where = route.namespace ? `in the namespace "${route.namespace}"` : 'at the cluster scope';
    throw new ApiError(
      403,
      'Forbidden',
      `${what} is forbidden: User "${identity.user}" cannot ${verb} resource "${route.resource}" in API group "${group}" ${where}`,
      { ...(route.name ? { name: route.name } : {}), ...(group ? { group } : {}), kind: base },
    );
  }

  private invalid(kind: string, name: unknown, causes: Cause[]): ApiError {
    const list = causes.map((c) => `${c.field}: ${c.message}`);
    const group = kind === 'Job' ? '.batch' : '';
    return new ApiError(
      422,
      'Invalid',
      `${kind}${group} "${String(name ?? '')}" is invalid: ${list.length === 1 ? list[0] : `[${list.join(', ')}]`}`,
      { name, ...(group ? { group: 'batch' } : {}), kind, causes },
    );
  }

  private notFound(resource: string, name: string): ApiError {
    const group = GROUP_OF[resource] ? `.${GROUP_OF[resource]}` : '';
    return new ApiError(404, 'NotFound', `${resource}${group} "${name}" not found`, { name, kind: resource });
  }

  private selector(query: Record<string, string>) {
    try {
      return parseLabelSelector(query.labelSelector ?? '');
    } catch (error) {
      if (error instanceof SelectorError) throw new ApiError(400, 'BadRequest', error.message);
      throw error;
    }
  }

  private list(kind: string, items: Obj[], query: Record<string, string>): Obj {
    const selector = this.selector(query);
    const apiVersion = kind === 'JobList' ? 'batch/v1' : 'v1';
    return {
      kind,
      apiVersion,
      metadata: { resourceVersion: String(this.cluster.resourceVersion) },
      items: items.filter((o) => matches(selector, (o.metadata as Obj).labels as Record<string, string>)),
    };
  }

  private serve(
    method: string,
    route: { resource: string; namespace: string | null; name: string | null },
    query: Record<string, string>,
    body: Obj | undefined,
    contentType: string | undefined,
  ): { code: number; body: unknown } {
    const { cluster } = this;
    const ns = route.namespace ?? '';
    const name = route.name ?? '';
    const key = `${ns}/${name}`;
    switch (`${method} ${route.resource}${route.name ? '/name' : ''}`) {
      case 'GET nodes':
        return { code: 200, body: this.list('NodeList', [...cluster.nodes.values()], query) };
      case 'GET nodes/name': {
        const node = cluster.nodes.get(name);
        if (!node) throw this.notFound('nodes', name);
        return { code: 200, body: node };
      }
      case 'GET jobs':
        return {
          code: 200,
          body: this.list(
            'JobList',
            [...cluster.jobs.values()].filter((j) => (j.metadata as Obj).namespace === ns),
            query,
          ),
        };
      case 'GET pods':
        return {
          code: 200,
          body: this.list(
            'PodList',
            [...cluster.pods.values()].filter((p) => (p.metadata as Obj).namespace === ns),
            query,
          ),
        };
      case 'GET jobs/name': {
        const job = cluster.jobs.get(key);
        if (!job) throw this.notFound('jobs', name);
        return { code: 200, body: job };
      }
      case 'GET pods/name': {
        const pod = cluster.pods.get(key);
        if (!pod) throw this.notFound('pods', name);
        return { code: 200, body: pod };
      }
      case 'GET pods/log/name':
        return { code: 200, body: this.podLog(key, name, query) };
      case 'POST jobs':
        return { code: 201, body: this.createJob(ns, body) };
      case 'POST services':
        return { code: 201, body: this.createService(ns, body) };
      case 'PATCH jobs/name':
        return { code: 200, body: this.patchJob(key, name, body, contentType) };
      case 'DELETE jobs/name': {
        const options = this.deleteOptions(query, body);
        const job = cluster.jobs.get(key);
        if (!job) throw this.notFound('jobs', name);
        // batch/v1 Jobs keep their pods when deleted through the API without a policy (orphan), unlike kubectl.
        cluster.deleteJob(key, options.propagationPolicy ?? 'Orphan');
        return {
          code: 200,
          body: {
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Success',
            details: { name, group: 'batch', kind: 'jobs', uid: (job.metadata as Obj).uid },
          },
        };
      }
      case 'DELETE pods/name': {
        const options = this.deleteOptions(query, body);
        const pod = cluster.deletePod(key, options.gracePeriodSeconds);
        if (!pod) throw this.notFound('pods', name);
        return { code: 200, body: pod };
      }
      default:
        throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    }
  }

  private deleteOptions(
    query: Record<string, string>,
    body: Obj | undefined,
  ): { gracePeriodSeconds?: number; propagationPolicy?: string } {
    const grace =
      body?.gracePeriodSeconds ??
      (query.gracePeriodSeconds !== undefined ? Number(query.gracePeriodSeconds) : undefined);
    const policy = body?.propagationPolicy ?? query.propagationPolicy;
    if (grace !== undefined && !(typeof grace === 'number' && Number.isInteger(grace) && grace >= 0)) {
      throw new ApiError(
        400,
        'BadRequest',
        `gracePeriodSeconds: Invalid value: ${JSON.stringify(grace)}: must be a non-negative integer`,
      );
    }
    if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(String(policy))) {
      throw new ApiError(
        422,
        'Invalid',
        `propagationPolicy: Unsupported value: "${String(policy)}": supported values: "Foreground", "Background", "Orphan"`,
      );
    }
    return {
      ...(grace !== undefined ? { gracePeriodSeconds: grace as number } : {}),
      ...(policy !== undefined ? { propagationPolicy: String(policy) } : {}),
    };
  }

  private checkNamespace(ns: string, body: Obj | undefined, kind: string): Obj {
    if (!body || typeof body !== 'object') throw new ApiError(400, 'BadRequest', 'the body of the request was empty');
    const meta = (body.metadata ?? {}) as Obj;
    if (meta.namespace !== undefined && meta.namespace !== ns) {
      throw new ApiError(
        400,
        'BadRequest',
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    if (body.kind !== undefined && body.kind !== kind) {
      throw new ApiError(400, 'BadRequest', `${String(body.kind)} in version "v1" cannot be handled as a ${kind}`);
    }
    if (!this.cluster.namespaces.has(ns))
      throw new ApiError(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' });
    return meta;
  }

  private createJob(ns: string, body: Obj | undefined): Obj {
    const meta = this.checkNamespace(ns, body, 'Job');
    const causes = validateJob(body!);
    if (causes.length > 0) throw this.invalid('Job', meta.name, causes);
    const template = ((body!.spec as Obj).template as Obj).spec as Obj;
    const priority = template.priorityClassName;
    // The Priority admission plugin, before validation's end: an unknown class is refused outright.
    if (priority !== undefined && !this.cluster.priorityClasses.has(String(priority))) {
      throw new ApiError(
        403,
        'Forbidden',
        `jobs.batch "${String(meta.name)}" is forbidden: no PriorityClass with name ${String(priority)} was found`,
      );
    }
    const key = `${ns}/${String(meta.name)}`;
    if (this.cluster.jobs.has(key)) {
      throw new ApiError(409, 'AlreadyExists', `jobs.batch "${String(meta.name)}" already exists`, {
        name: meta.name,
        group: 'batch',
        kind: 'jobs',
      });
    }
    return this.cluster.createJob(ns, body!);
  }

  private createService(ns: string, body: Obj | undefined): Obj {
    const meta = this.checkNamespace(ns, body, 'Service');
    const causes = validateService(body!);
    if (causes.length > 0) throw this.invalid('Service', meta.name, causes);
    const key = `${ns}/${String(meta.name)}`;
    if (this.cluster.services.has(key)) {
      throw new ApiError(409, 'AlreadyExists', `services "${String(meta.name)}" already exists`, {
        name: meta.name,
        kind: 'services',
      });
    }
    return this.cluster.createService(ns, body!);
  }

  /** JSON merge patch (RFC 7386), and strategic merge patch treated the same for the maps the engine patches. */
  private patchJob(key: string, name: string, patch: Obj | undefined, contentType: string | undefined): Obj {
    const type = contentType?.split(';')[0]?.trim();
    if (type !== 'application/merge-patch+json' && type !== 'application/strategic-merge-patch+json') {
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
      );
    }
    const job = this.cluster.jobs.get(key);
    if (!job) throw this.notFound('jobs', name);
    const after = mergePatch(structuredClone(job), patch ?? {}) as Obj;
    const causes = validateJobUpdate(job, after);
    if (causes.length > 0) throw this.invalid('Job', name, causes);
    return this.cluster.updateJob(key, after);
  }

  private podLog(key: string, name: string, query: Record<string, string>): string {
    const pod = this.cluster.pods.get(key);
    if (!pod) throw this.notFound('pods', name);
    const containers = ((pod.spec as Obj).containers as Obj[]).map((c) => String(c.name));
    const container = query.container ?? (containers.length === 1 ? containers[0]! : undefined);
    if (container === undefined) {
      throw new ApiError(
        400,
        'BadRequest',
        `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`,
      );
    }
    if (!containers.includes(container))
      throw new ApiError(400, 'BadRequest', `container ${container} is not valid for pod ${name}`);
    for (const param of ['tailLines', 'limitBytes'] as const) {
      const value = query[param];
      if (value !== undefined && !/^\d+$/.test(value)) {
        throw new ApiError(
          422,
          'Invalid',
          `PodLogOptions "${name}" is invalid: ${param}: Invalid value: ${value}: must be greater than or equal to 0`,
        );
      }
    }
    const state = this.cluster.containerState(pod);
    if (!state || state.waiting) {
      const reason = (state?.waiting as Obj | undefined)?.reason ?? 'ContainerCreating';
      throw new ApiError(
        400,
        'BadRequest',
        `container "${container}" in pod "${name}" is waiting to start: ${String(reason)}`,
      );
    }
    let text = this.cluster.logs.get(key) ?? '';
    if (query.tailLines !== undefined) {
      const lines = text.split(/(?<=\n)/);
      const n = Number(query.tailLines);
      text = n === 0 ? '' : lines.slice(-n).join('');
    }
    if (query.limitBytes !== undefined) text = Buffer.from(text).subarray(0, Number(query.limitBytes)).toString('utf8');
    return text;
  }
}

/** RFC 7386: objects merge key by key, null removes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Obj =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Obj) } : {};
  for (const [key, value] of Object.entries(patch as Obj)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}
