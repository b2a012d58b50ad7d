/**
 * The benchmarks' submitting clients, in a process of their own (`startSubmitClient`): a client is not the
 * platform, and in the platform's process its requests would wait whenever the control loop parses a large answer.
 * Both paths of bench/slurm.ts submit through it, with the HTTP client suanli's engine uses (kept-alive node:http).
 *
 * Protocol (Node IPC): the parent sends a `SubmitRound`; the child sends requests from `clients` concurrent clients,
 * each taking the next request in order, and answers a `RoundAnswer` with every response in the order given.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { httpRequest } from '../src/engines/slurm/http.ts';

export interface SubmitRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

export interface SubmitRound {
  requests: SubmitRequest[];
  clients: number;
}

export interface RoundAnswer {
  /** When the first request was sent and when the last answer came, as Unix epoch milliseconds (fractional). */
  startedAt: number;
  endedAt: number;
  answers: Array<{ status: number; text: string }>;
  error?: string;
}

const epochNow = () => performance.timeOrigin + performance.now();

async function runRound(round: SubmitRound): Promise<RoundAnswer> {
  const answers: RoundAnswer['answers'] = new Array(round.requests.length);
  let next = 0;
  const client = async () => {
    while (next < round.requests.length) {
      const i = next++;
      const request = round.requests[i]!;
      answers[i] = await httpRequest(new URL(request.url), { ...request, timeoutMs: 120_000 });
    }
  };
  const startedAt = epochNow();
  await Promise.all(Array.from({ length: Math.min(round.clients, round.requests.length) }, client));
  return { startedAt, endedAt: epochNow(), answers };
}

if (process.send && process.argv.includes('--submit-client')) {
  process.on('message', (round: SubmitRound) => {
    runRound(round).then(
      (answer) => process.send!(answer),
      (error: unknown) => process.send!({ startedAt: 0, endedAt: 0, answers: [], error: String(error) }),
    );
  });
}

export interface SubmitClient {
  pid: number;
  /** Runs a round; times are converted to this process's performance.now(). */
  run(round: SubmitRound): Promise<RoundAnswer>;
  stop(): void;
}

export function startSubmitClient(): SubmitClient {
  const child: ChildProcess = fork(new URL(import.meta.url), ['--submit-client'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return {
    pid: child.pid!,
    run: (round) =>
      new Promise((resolve, reject) => {
        child.once('message', (answer: RoundAnswer) => {
          if (answer.error) reject(new Error(`submit client: ${answer.error}`));
          else {
            const local = (epoch: number) => epoch - performance.timeOrigin;
            resolve({ ...answer, startedAt: local(answer.startedAt), endedAt: local(answer.endedAt) });
          }
        });
        child.send(round);
      }),
    stop: () => child.kill(),
  };
}
