/** `suanli jobs ls|get|cancel|logs`. */
import { InvalidArgumentError, type Command } from 'commander';
import { JOB_STATES, type JobState } from '../../core/domain.ts';
import { isTerminal } from '../../core/job-lifecycle.ts';
import type { Context } from '../context.ts';
import { json, relativeTime, table, truncate } from '../format.ts';
import type { JobView, List } from '../types.ts';
import { renderJob } from './job-detail.ts';
import { followLogs } from './logs.ts';
import { getJob } from './poll.ts';

const REASON_WIDTH = 40;

export function parseStates(value: string): JobState[] {
  const states = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const s of states)
    if (!(JOB_STATES as readonly string[]).includes(s))
      throw new InvalidArgumentError(`unknown state "${s}"; states: ${JOB_STATES.join(', ')}`);
  return states as JobState[];
}

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('must be an integer');
  return n;
}

export function jobsTable(jobs: readonly JobView[], now = new Date()): string {
  return table(
    [
      { header: 'ID' },
      { header: 'NAME' },
      { header: 'PROJECT' },
      { header: 'STATE' },
      { header: 'CLUSTER' },
      { header: 'SUBMITTED' },
      { header: 'REASON' },
    ],
    jobs.map((j) => [
      j.id,
      j.name,
      j.project,
      j.cancelRequested && !isTerminal(j.state) ? `${j.state}*` : j.state,
      j.clusterName ?? '-',
      relativeTime(j.submittedAt, now),
      j.reason === null ? '' : truncate(j.reason, REASON_WIDTH),
    ]),
  );
}

export function registerJobs(program: Command, ctx: Context): void {
  const jobs = program.command('jobs').description('list, inspect and cancel jobs');

  jobs
    .command('ls')
    .alias('list')
    .description('list jobs')
    .option('--state <states>', 'only these states, comma-separated (e.g. pending,running)', parseStates)
    .option('--limit <n>', 'at most this many jobs', positiveInteger)
    .option('--json', 'print the API response as JSON')
    .action(async (opts: { state?: JobState[]; limit?: number; json?: boolean }, cmd: Command) => {
      const client = await ctx.client(cmd);
      const query = { state: opts.state?.join(','), limit: opts.limit };
      const { body } = await client.json<List<JobView>>('GET', '/jobs', { query });
      if (opts.json) return ctx.out(json(body));
      if (body.items.length === 0) return ctx.out('No jobs.\n');
      ctx.out(jobsTable(body.items));
      if (body.items.some((j) => j.cancelRequested)) ctx.out('* cancellation requested\n');
    });

  jobs
    .command('get')
    .description('show a job: its state, why, its resources and its history')
    .argument('<id>', 'job id')
    .option('--json', 'print the API response as JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const job = await getJob(await ctx.client(cmd), id);
      ctx.out(opts.json ? json(job) : renderJob(job));
    });

  jobs
    .command('cancel')
    .description('ask for a job to be cancelled')
    .argument('<id>', 'job id')
    .option('--json', 'print the API response as JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const client = await ctx.client(cmd);
      const { body } = await client.json<JobView>('POST', `/jobs/${encodeURIComponent(id)}/cancel`);
      ctx.out(opts.json ? json(body) : `job ${body.id} cancellation requested (${body.state})\n`);
    });

  jobs
    .command('logs')
    .description("print a job's output")
    .argument('<id>', 'job id')
    .option('--tail <bytes>', 'only the last BYTES bytes', nonNegativeInteger)
    .option('-f, --follow', 'keep printing new output until the job ends')
    .action(async (id: string, opts: { tail?: number; follow?: boolean }, cmd: Command) => {
      await followLogs(ctx, await ctx.client(cmd), id, opts);
    });
}
