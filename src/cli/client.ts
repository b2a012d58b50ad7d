/** A thin client of the suanli HTTP API (/api/v1). */
import { ApiError, CliError, NetworkError, type Problem } from './errors.ts';

const REQUEST_TIMEOUT_MS = 30_000;

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: string;
  headers?: Record<string, string>;
}

export interface ApiResponse<T> {
  status: number;
  body: T;
}

export class ApiClient {
  readonly url: string;
  readonly #token: string | undefined;

  constructor(url: string, token: string | undefined) {
    this.url = url;
    this.#token = token;
  }

  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const res = await this.send(method, path, options, 'application/json');
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) as T };
    } catch {
      throw new CliError(`unexpected response from ${this.url}: ${res.status} with a body that is not JSON`);
    }
  }

  async bytes(path: string, options: RequestOptions = {}): Promise<Uint8Array> {
    const res = await this.send('GET', path, options, 'text/plain');
    return new Uint8Array(await res.arrayBuffer());
  }

  /** Sends one request; an HTTP error becomes an ApiError, a failure to get any response a NetworkError. */
  async send(method: string, path: string, options: RequestOptions, accept: string): Promise<Response> {
    if (this.#token === undefined) throw new CliError('not logged in: run suanli login or set SUANLI_TOKEN');
    const url = new URL(`${this.url}/api/v1${path}`);
    for (const [key, value] of Object.entries(options.query ?? {}))
      if (value !== undefined) url.searchParams.set(key, String(value));
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { Accept: accept, Authorization: `Bearer ${this.#token}`, ...options.headers },
        ...(options.body === undefined ? {} : { body: options.body }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (e) {
      throw new NetworkError(this.#networkMessage(e));
    }
    if (!res.ok) throw new ApiError(res.status, await readProblem(res));
    return res;
  }

  #networkMessage(e: unknown): string {
    const code = errorCode(e);
    if (code === 'ECONNREFUSED') return `cannot reach ${this.url}: is the server running? (suanli server --demo)`;
    if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError'))
      return `cannot reach ${this.url}: no answer within ${REQUEST_TIMEOUT_MS / 1000}s`;
    const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : undefined;
    return `cannot reach ${this.url}: ${code ?? cause ?? (e instanceof Error ? e.message : String(e))}`;
  }
}

/** The system error code behind fetch's generic "fetch failed", looking through AggregateError (IPv4 + IPv6). */
function errorCode(e: unknown): string | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [e];
  while (queue.length > 0) {
    const next = queue.shift();
    if (typeof next !== 'object' || next === null || seen.has(next)) continue;
    seen.add(next);
    const { code, cause, errors } = next as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    queue.push(cause, ...(Array.isArray(errors) ? errors : []));
  }
  return undefined;
}

async function readProblem(res: Response): Promise<Problem> {
  const text = await res.text().catch(() => '');
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Problem;
  } catch {
    // Not JSON (a proxy's error page, say): fall back to the status line.
  }
  return { title: res.statusText || `HTTP ${res.status}`, status: res.status };
}
