/** A fake suanli API on a loopback port, and the CLI run in-process against it. */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { runCli } from '../../src/cli/main.ts';
import type { ClusterView, EventView, JobDetailView, JobView } from '../../src/cli/types.ts';

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What a route answers: a JSON body, text, or 'drop' to close the connection without an answer. */
export type Reply = { status?: number; json?: unknown; text?: string; contentType?: string } | 'drop';

export interface FakeApi {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

export async function fakeApi(route: (req: Recorded, index: number) => Reply | Promise<Reply>): Promise<FakeApi> {
  const requests: Recorded[] = [];
  const server = createServer((req, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const recorded: Recorded = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      void Promise.resolve(route(recorded, requests.length - 1)).then((reply) => {
        if (reply === 'drop') return void req.socket.destroy();
        const status = reply.status ?? 200;
        if (reply.text !== undefined) {
          res.writeHead(status, { 'content-type': reply.contentType ?? 'text/plain; charset=utf-8' });
          return void res.end(reply.text);
        }
        const type = reply.contentType ?? (status >= 400 ? 'application/problem+json' : 'application/json');
        res.writeHead(status, { 'content-type': type });
        res.end(JSON.stringify(reply.json ?? {}));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'suanli-cli-'));
}

/** Runs the CLI with a fresh config home (so no saved login leaks in) unless env names one. */
export async function run(
  args: string[],
  options: { env?: Record<string, string | undefined>; stdin?: string } = {},
): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const home = tempDir();
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), ...options.env },
    stdin: Readable.from([options.stdin ?? '']),
    pollIntervalMs: 5,
  });
  return { code, stdout, stderr };
}

export function api(fake: FakeApi, token = 'tok-1'): Record<string, string> {
  return { SUANLI_URL: fake.url, SUANLI_TOKEN: token };
}

const SPEC = {
  apiVersion: 'suanli.io/v1' as const,
  kind: 'Job' as const,
  metadata: { name: 'hello', project: 'demo' },
  spec: {
    resources: { accelerator: { model: 'H100-SXM' }, acceleratorsPerNode: 1, nodes: 1 },
    timeLimit: '5m',
    script: 'echo hi\n',
  },
};

export function job(overrides: Partial<JobView> = {}): JobView {
  return {
    id: 'job-01hzx8k2m4',
    name: 'hello',
    project: 'demo',
    tenantId: 'tenant-hf',
    submittedBy: 'alice',
    state: 'pending',
    reason: null,
    priorityClass: 'normal',
    submittedAt: new Date(Date.now() - 3 * 60_000).toISOString(),
    startedAt: null,
    endedAt: null,
    exitCode: null,
    clusterId: null,
    clusterName: null,
    pool: null,
    nodes: [],
    engineJobId: null,
    attempt: 0,
    cancelRequested: false,
    spec: SPEC,
    ...overrides,
  };
}

export function detail(j: JobView, events: EventView[]): JobDetailView {
  return { ...j, events };
}

export function event(from: EventView['from'], to: EventView['to'], reason: string): EventView {
  return { at: new Date().toISOString(), from, to, reason, actor: 'scheduler' };
}

export function cluster(overrides: Partial<ClusterView> = {}): ClusterView {
  return {
    id: 'cl-hefei-1',
    name: 'hefei-a',
    engine: 'slurm',
    healthy: true,
    healthReason: null,
    provider: { id: 'pr-1', name: 'Hefei AICC', city: 'Hefei', regions: ['anhui'] },
    capacityP: '7.912',
    accelerators: 16,
    freeAccelerators: 12,
    pools: [
      {
        id: 'pool-1',
        name: 'h100',
        acceleratorModel: 'H100-SXM',
        domestic: false,
        accelerators: 8,
        freeAccelerators: 4,
        capacityP: '7.912',
        fenPerAcceleratorHour: 1250,
        nodes: [{ name: 'n1', accelerators: 8, free: 4, state: 'mixed' }],
      },
    ],
    ...overrides,
  };
}
