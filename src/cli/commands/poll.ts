/** Following a job until it ends (submit --watch/--wait, jobs logs --follow). */
import { isTerminal } from '../../core/job-lifecycle.ts';
import type { ApiClient } from '../client.ts';
import { CliError, NetworkError } from '../errors.ts';
import { clock } from '../format.ts';
import { sleep } from '../io.ts';
import type { EventView, JobDetailView, JobView } from '../types.ts';

// A server restart or a network blip should not end a long watch; a server that stays away should.
const MAX_CONSECUTIVE_NETWORK_ERRORS = 10;

export async function getJob(client: ApiClient, id: string): Promise<JobDetailView> {
  return (await client.json<JobDetailView>('GET', `/jobs/${encodeURIComponent(id)}`)).body;
}

/** Polls the job, handing each snapshot to `onPoll`, until it reaches a terminal state; returns that snapshot. */
export async function pollUntilTerminal(
  client: ApiClient,
  id: string,
  intervalMs: number,
  onPoll: (job: JobDetailView) => void | Promise<void>,
): Promise<JobDetailView> {
  let failures = 0;
  for (;;) {
    let job: JobDetailView | undefined;
    try {
      job = await getJob(client, id);
      failures = 0;
    } catch (e) {
      if (!(e instanceof NetworkError) || ++failures >= MAX_CONSECUTIVE_NETWORK_ERRORS) throw e;
    }
    if (job !== undefined) {
      await onPoll(job);
      if (isTerminal(job.state)) return job;
    }
    await sleep(intervalMs);
  }
}

export function eventLine(e: EventView): string {
  return `${clock(e.at)} ${e.from ?? '-'} → ${e.to}  ${e.reason}`.trimEnd() + '\n';
}

/** The one-line reason a finished job did not succeed; undefined if it did. */
export function failureReason(job: JobView): string | undefined {
  if (job.state === 'succeeded') return undefined;
  const exit = job.exitCode === null ? '' : ` (exit code ${job.exitCode})`;
  return `job ${job.id} ${job.state}${exit}${job.reason ? `: ${job.reason}` : ''}`;
}

export function assertSucceeded(job: JobView): void {
  const reason = failureReason(job);
  if (reason !== undefined) throw new CliError(reason);
}
