/**
 * A small client for the Kubernetes REST API: JSON over kept-alive HTTPS connections (the engine makes a handful of
 * calls per tick, so no client library: @kubernetes/client-node would bring dozens of packages for five endpoints),
 * the bearer token, the cluster's CA, a timeout per call, and errors that name the cluster, the call and the API's
 * own reason. The token never appears in errors.
 */
import http from 'node:http';
import https from 'node:https';
import { HttpFailure, httpRequest, type HttpAnswer } from '../slurm/http.ts';
import type { KubeTokenSource } from './config.ts';
import type { KubeStatus } from './objects.ts';

/** A call that failed: the API server unreachable, a timeout, or an answer the caller did not accept. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    message: string,
    /** HTTP status; null when no answer came. */
    readonly status: number | null,
    /** The Status object's reason (AlreadyExists, NotFound, Invalid, Forbidden, ...). */
    readonly reason: string | null,
    readonly causes: Array<{ field?: string; message?: string }> = [],
  ) {
    super(message);
  }
}

export interface KubeClientOptions {
  apiUrl: string;
  tokens: KubeTokenSource;
  /** PEM certificates the API server's certificate must chain to; the system's when absent. */
  ca: string | undefined;
  label: string;
  timeoutMs: number;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface CallOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** PATCH: application/merge-patch+json unless told. */
  contentType?: string;
  /** Statuses answered without an error (e.g. 404 when absence is an answer). */
  accept?: number[];
}

export class KubeClient {
  private readonly base: string;
  private readonly agent: http.Agent;

  constructor(private readonly options: KubeClientOptions) {
    this.base = options.apiUrl.replace(/\/+$/, '');
    const secure = this.base.startsWith('https:');
    this.agent = secure
      ? new https.Agent({ keepAlive: true, maxSockets: 16, ...(options.ca ? { ca: options.ca } : {}) })
      : new http.Agent({ keepAlive: true, maxSockets: 16 });
  }

  /** A JSON call; resolves with the status and parsed body, throws KubeApiError unless the status is 2xx or accepted. */
  async json<T>(method: Method, path: string, options: CallOptions = {}): Promise<{ status: number; body: T }> {
    const answer = await this.send(method, path, options, 'application/json');
    let body: unknown;
    try {
      body = JSON.parse(answer.text);
    } catch {
      body = null;
    }
    if ((answer.status >= 200 && answer.status < 300) || options.accept?.includes(answer.status)) {
      if (body === null) throw this.error(method, path, answer, null);
      return { status: answer.status, body: body as T };
    }
    throw this.error(method, path, answer, body as KubeStatus | null);
  }

  /** A call answered in plain text (pod logs). */
  async text(path: string, query: CallOptions['query'] = {}): Promise<string> {
    const answer = await this.send('GET', path, { query }, 'text/plain, application/json');
    if (answer.status >= 200 && answer.status < 300) return answer.text;
    let status: KubeStatus | null = null;
    try {
      status = JSON.parse(answer.text) as KubeStatus;
    } catch {
      status = null;
    }
    throw this.error('GET', path, answer, status);
  }

  close(): void {
    this.agent.destroy();
  }

  private async send(method: Method, path: string, options: CallOptions, accept: string): Promise<HttpAnswer> {
    const url = new URL(`${this.base}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept, authorization: `Bearer ${this.options.tokens.get()}` };
    if (options.body !== undefined) {
      headers['content-type'] =
        options.contentType ?? (method === 'PATCH' ? 'application/merge-patch+json' : 'application/json');
    }
    try {
      return await httpRequest(url, {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        timeoutMs: this.options.timeoutMs,
        agent: this.agent,
      });
    } catch (error) {
      const reason =
        error instanceof HttpFailure && error.timedOut
          ? `no answer from ${this.options.apiUrl} within ${this.options.timeoutMs / 1000} s`
          : `cannot reach the API server at ${this.options.apiUrl} (${error instanceof HttpFailure ? (error.code ?? error.message) : String(error)})`;
      throw new KubeApiError(`${this.prefix(method, path)}: ${reason}`, null, null);
    }
  }

  private error(method: Method, path: string, answer: HttpAnswer, status: KubeStatus | null): KubeApiError {
    const message = status?.message ?? (answer.text.trim().slice(0, 200) || '(empty body)');
    const reason = status?.reason ?? null;
    const hint =
      answer.status === 401
        ? ' (the token is wrong or expired: check tokenFile)'
        : answer.status === 403
          ? ' (the ServiceAccount lacks a permission: compare its Role with docs/kubernetes.md)'
          : '';
    return new KubeApiError(
      `${this.prefix(method, path)}: HTTP ${answer.status}${reason ? ` ${reason}` : ''}: ${message}${hint}`,
      answer.status,
      reason,
      status?.details?.causes ?? [],
    );
  }

  private prefix(method: Method, path: string): string {
    return `kubernetes cluster ${this.options.label}: ${method} ${path} failed`;
  }
}
