/** `suanli submit`: send a job spec, optionally follow it to the end. */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { parseAllDocuments } from 'yaml';
import type { ApiClient, ApiResponse } from '../client.ts';
import type { Context } from '../context.ts';
import { CliError, NetworkError } from '../errors.ts';
import { json } from '../format.ts';
import type { JobView } from '../types.ts';
import { assertSucceeded, eventLine, pollUntilTerminal } from './poll.ts';

interface SubmitOptions {
  file: string;
  idempotencyKey?: string;
  watch?: boolean;
  wait?: boolean;
  json?: boolean;
}

export interface SpecBody {
  text: string;
  contentType: 'application/json' | 'application/yaml';
}

/** By extension; stdin and unknown extensions are sniffed (YAML is the fallback since JSON is YAML too). */
export function specBody(text: string, file: string): SpecBody {
  const ext = file === '-' ? '' : extname(file).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return { text, contentType: 'application/yaml' };
  if (ext === '.json') return { text, contentType: 'application/json' };
  try {
    JSON.parse(text);
    return { text, contentType: 'application/json' };
  } catch {
    return { text, contentType: 'application/yaml' };
  }
}

async function readSpec(ctx: Context, file: string): Promise<string> {
  if (file === '-') return ctx.readStdin();
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

/**
 * The specs of a file that holds several jobs (YAML documents separated by `---`, or a JSON list), or null for a
 * file of one job, which goes to the server as written (its errors then name the line).
 */
export function manySpecs(body: SpecBody, file: string): unknown[] | null {
  if (body.contentType === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.text);
    } catch {
      return null; // the server names what is wrong
    }
    return Array.isArray(parsed) ? parsed : null;
  }
  const documents = parseAllDocuments(body.text);
  if (!Array.isArray(documents) || documents.length < 2) return null;
  return documents.map((document, i) => {
    const error = document.errors[0];
    if (error) throw new CliError(`${file}: job ${i + 1} of ${documents.length}: ${error.message}`);
    return document.toJS() as unknown;
  });
}

/** Posts the spec, retrying once after a network error with the same key so the server sees one submission. */
async function post(client: ApiClient, body: SpecBody, key: string): Promise<ApiResponse<JobView>> {
  const request = {
    body: body.text,
    headers: { 'Content-Type': body.contentType, 'Idempotency-Key': key },
  };
  try {
    return await client.json<JobView>('POST', '/jobs', request);
  } catch (e) {
    if (!(e instanceof NetworkError)) throw e;
    return await client.json<JobView>('POST', '/jobs', request);
  }
}

/** Several jobs in one request (POST /jobs/batch): all are stored, in order, or none. */
async function submitMany(ctx: Context, opts: SubmitOptions, cmd: Command, specs: unknown[]): Promise<void> {
  const client = await ctx.client(cmd);
  const request = {
    body: JSON.stringify({ jobs: specs }),
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': opts.idempotencyKey ?? randomUUID() },
  };
  let response: ApiResponse<{ items: JobView[] }>;
  try {
    response = await client.json<{ items: JobView[] }>('POST', '/jobs/batch', request);
  } catch (e) {
    if (!(e instanceof NetworkError)) throw e;
    response = await client.json<{ items: JobView[] }>('POST', '/jobs/batch', request);
  }
  const jobs = response.body.items;
  if (!opts.watch && !opts.wait) {
    ctx.out(opts.json ? json(jobs) : jobs.map((j) => `job ${j.id} submitted (${j.state})\n`).join(''));
    return;
  }
  const progress = opts.json ? ctx.err.bind(ctx) : ctx.out.bind(ctx);
  if (opts.watch || !opts.json) for (const j of jobs) progress(`job ${j.id} submitted (${j.state})\n`);
  // Followed one after another: the whole set has ended when the last of them has.
  const finals = [];
  for (const j of jobs) {
    const final = await pollUntilTerminal(client, j.id, ctx.pollIntervalMs, () => undefined);
    if (opts.watch) progress(`job ${final.id} ${final.state}${final.reason ? `: ${final.reason}` : ''}\n`);
    finals.push(final);
  }
  if (opts.json) ctx.out(json(finals));
  const failed = finals.filter((f) => f.state !== 'succeeded');
  if (failed.length > 0) {
    throw new CliError(
      `${failed.length} of ${finals.length} jobs did not succeed: ${failed.map((f) => `${f.id} ${f.state}`).join(', ')}`,
    );
  }
  if (!opts.json && !opts.watch) ctx.out(`all ${finals.length} jobs succeeded\n`);
}

async function submit(ctx: Context, opts: SubmitOptions, cmd: Command): Promise<void> {
  const body = specBody(await readSpec(ctx, opts.file), opts.file);
  const specs = manySpecs(body, opts.file);
  if (specs) return submitMany(ctx, opts, cmd, specs);
  const client = await ctx.client(cmd);
  const { body: job } = await post(client, body, opts.idempotencyKey ?? randomUUID());

  if (!opts.watch && !opts.wait) {
    ctx.out(opts.json ? json(job) : `job ${job.id} submitted (${job.state})\n`);
    return;
  }
  // With --json, stdout carries only the final document: --watch's progress goes to stderr, --wait's nowhere.
  const progress = opts.json ? ctx.err.bind(ctx) : ctx.out.bind(ctx);
  if (opts.watch || !opts.json) progress(`job ${job.id} submitted (${job.state})\n`);
  let shown = 0;
  const final = await pollUntilTerminal(client, job.id, ctx.pollIntervalMs, (snapshot) => {
    if (!opts.watch) return;
    for (const event of snapshot.events.slice(shown)) progress(eventLine(event));
    shown = Math.max(shown, snapshot.events.length);
  });
  if (opts.json) ctx.out(json(final));
  else if (!opts.watch && final.state === 'succeeded') ctx.out(`job ${final.id} succeeded\n`);
  assertSucceeded(final);
}

export function registerSubmit(program: Command, ctx: Context): void {
  program
    .command('submit')
    .description(
      'submit a job spec (YAML or JSON); a file of several (YAML documents separated by ---, or a JSON list) is ' +
        'submitted as one batch: all or none, in order',
    )
    .requiredOption('-f, --file <file>', 'the job spec; "-" reads standard input')
    .option('--idempotency-key <key>', 'a key that makes resubmitting the same spec harmless (default: random)')
    .option('--watch', 'print each state change until the job ends; exit 0 only if it succeeded')
    .option('--wait', 'wait quietly until the job ends; exit 0 only if it succeeded')
    .option('--json', 'print the job as JSON')
    .action((opts: SubmitOptions, cmd: Command) => submit(ctx, opts, cmd));
}
