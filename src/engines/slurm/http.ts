/**
 * HTTP/1.1 requests over kept-alive connections with Node's own http and https modules. The control loop talks to
 * each slurmrestd many times a second: fetch (undici, with web streams under it) spent three to four times the CPU of
 * a plain request per call on our machines, and that CPU is the loop's (bench/slurm.ts, docs/slurm.md).
 */
import http from 'node:http';
import https from 'node:https';

export interface HttpAnswer {
  status: number;
  text: string;
}

export interface HttpRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** Connections of the caller's own (the Kubernetes engine's, which trusts its cluster's CA); shared ones otherwise. */
  agent?: http.Agent;
}

/** A failure before any answer: the cause's code (ECONNREFUSED…) or a timeout. */
export class HttpFailure extends Error {
  override readonly name = 'HttpFailure';
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly timedOut: boolean,
    /** The server had closed the kept-alive connection this request was sent on. */
    readonly staleConnection = false,
  ) {
    super(message);
  }
}

// Connections stay open between calls; a few per daemon are plenty (submits run a handful at once per cluster).
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 16, maxFreeSockets: 16 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 16, maxFreeSockets: 16 }),
};

/**
 * One request. A GET or DELETE that finds its kept-alive connection closed by the server before any answer is sent
 * once more on a new one (the race Node's documentation describes); a POST is not, as it may have been acted on.
 */
export async function httpRequest(url: URL, request: HttpRequest): Promise<HttpAnswer> {
  try {
    return await once(url, request);
  } catch (error) {
    const retry = error instanceof HttpFailure && error.staleConnection && request.method !== 'POST';
    if (!retry) throw error;
    return once(url, request);
  }
}

function once(url: URL, request: HttpRequest): Promise<HttpAnswer> {
  const protocol = url.protocol === 'https:' ? 'https:' : 'http:';
  const module = protocol === 'https:' ? https : http;
  const headers: Record<string, string | number> = { ...request.headers };
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  if (body) headers['content-length'] = body.length;
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const outgoing = module.request(
      url,
      { method: request.method, headers, agent: request.agent ?? agents[protocol] },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () => {
          clearTimeout(timer);
          resolve({ status: incoming.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
        incoming.on('error', fail);
      },
    );
    const timer = setTimeout(() => {
      timedOut = true;
      outgoing.destroy(new Error(`no answer within ${request.timeoutMs} ms`));
    }, request.timeoutMs);
    function fail(error: Error & { code?: string }) {
      clearTimeout(timer);
      const stale = outgoing.reusedSocket && error.code === 'ECONNRESET';
      reject(new HttpFailure(error.message, error.code, timedOut, stale));
    }
    outgoing.on('error', fail);
    outgoing.end(body);
  });
}
