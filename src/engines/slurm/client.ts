/**
 * The REST client for one slurmrestd: JSON over kept-alive HTTP connections (http.ts), JWT
 * headers, a timeout per call, and errors that name the cluster and the endpoint. Tokens never appear in errors.
 */
import type { TokenSource } from './config.ts';
import { HttpFailure, httpRequest, type HttpAnswer } from './http.ts';

/** One entry of a slurmrestd `errors` list. */
export interface SlurmErrorEntry {
  error?: string;
  error_number?: number;
  error_code?: number;
  description?: string;
  source?: string;
}

export interface SlurmResponse<T> {
  status: number;
  data: T & { errors?: SlurmErrorEntry[] };
}

/** A call that failed: unreachable daemon, timeout, or an HTTP/Slurm error the caller did not accept. */
export class SlurmRestError extends Error {
  override readonly name = 'SlurmRestError';
  constructor(
    message: string,
    /** HTTP status; null when no answer came. */
    readonly status: number | null,
    readonly endpoint: string,
    readonly slurmErrors: SlurmErrorEntry[] = [],
  ) {
    super(message);
  }
}

/** Slurm's error numbers (slurm_errno.h) the engine reacts to. */
export const SLURM_ERRNO = {
  invalidJobId: 2017,
  alreadyDone: 2021,
  /** "Job can not be altered now": e.g. a signal other than KILL to a job that is still pending. */
  notNow: 2020,
  nothingFound: 9003,
} as const;

export function describeSlurmErrors(errors: SlurmErrorEntry[] | undefined): string {
  if (!errors || errors.length === 0) return '';
  return errors
    .map((e) => {
      const number = e.error_number ?? e.error_code;
      const text = [e.error, e.description].filter((t) => t && t !== e.error_code?.toString()).join(': ');
      return number !== undefined && number !== 0 ? `${text} (${number})` : text;
    })
    .filter((t) => t)
    .join('; ');
}

export interface SlurmClientOptions {
  restUrl: string;
  user: string;
  tokens: TokenSource;
  /** Names the cluster in error messages. */
  label: string;
  timeoutMs: number;
}

export class SlurmClient {
  private readonly base: string;

  constructor(private readonly options: SlurmClientOptions) {
    this.base = options.restUrl.replace(/\/+$/, '');
  }

  get label(): string {
    return this.options.label;
  }

  /**
   * One call. Resolves with any HTTP status whose body is JSON (slurmrestd answers errors as JSON with an
   * `errors` list); throws SlurmRestError when the daemon cannot be reached, times out or answers something else.
   */
  async request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<SlurmResponse<T>> {
    const endpoint = `${method} ${path}`;
    const headers: Record<string, string> = {
      accept: 'application/json',
      'X-SLURM-USER-NAME': this.options.user,
      'X-SLURM-USER-TOKEN': this.options.tokens.get(),
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: HttpAnswer;
    try {
      response = await httpRequest(new URL(`${this.base}${path}`), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        timeoutMs: this.options.timeoutMs,
      });
    } catch (error) {
      throw new SlurmRestError(`${this.prefix(endpoint)}: ${networkReason(error, this.options)}`, null, endpoint);
    }
    // A 304 has no body by definition: GET /jobs?update_time=T answers it when no job changed since T.
    if (response.status === 304) return { status: 304, data: {} as SlurmResponse<T>['data'] };
    let data: SlurmResponse<T>['data'];
    try {
      data = JSON.parse(response.text) as SlurmResponse<T>['data'];
    } catch {
      const snippet = response.text.trim().slice(0, 200) || '(empty body)';
      throw new SlurmRestError(
        `${this.prefix(endpoint)}: HTTP ${response.status}: ${snippet}`,
        response.status,
        endpoint,
      );
    }
    return { status: response.status, data };
  }

  /** The error for a response the caller cannot use. */
  failure(method: string, path: string, response: SlurmResponse<unknown>, what?: string): SlurmRestError {
    const endpoint = `${method} ${path}`;
    const details = describeSlurmErrors(response.data.errors);
    const hint =
      response.status === 401 || response.status === 403
        ? ' (check the user and the token)'
        : response.status >= 500 && path.startsWith('/slurmdb/')
          ? ' (slurmrestd could not get an answer from slurmdbd: is the accounting daemon running?)'
          : response.status >= 500
            ? ' (slurmrestd could not get an answer from slurmctld: is the cluster controller running?)'
            : '';
    return new SlurmRestError(
      `${this.prefix(endpoint)}: ${what ? `${what}: ` : ''}HTTP ${response.status}${details ? `: ${details}` : ''}${hint}`,
      response.status,
      endpoint,
      response.data.errors ?? [],
    );
  }

  private prefix(endpoint: string): string {
    return `slurm cluster ${this.options.label}: ${endpoint} failed`;
  }
}

function networkReason(error: unknown, options: SlurmClientOptions): string {
  if (error instanceof HttpFailure && error.timedOut) {
    return `no answer from ${options.restUrl} within ${options.timeoutMs / 1000} s`;
  }
  const cause = error instanceof HttpFailure ? (error.code ?? error.message) : String(error);
  return `cannot reach slurmrestd at ${options.restUrl} (${cause})`;
}
