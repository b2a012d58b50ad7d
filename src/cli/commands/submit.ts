/** `suanli submit`: send a job spec, optionally follow it to the end. */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Command } from 'commander';
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

async function submit(ctx: Context, opts: SubmitOptions, cmd: Command): Promise<void> {
  const body = specBody(await readSpec(ctx, opts.file), opts.file);
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
    .description('submit a job spec (YAML or JSON)')
    .requiredOption('-f, --file <file>', 'the job spec; "-" reads standard input')
    .option('--idempotency-key <key>', 'a key that makes resubmitting the same spec harmless (default: random)')
    .option('--watch', 'print each state change until the job ends; exit 0 only if it succeeded')
    .option('--wait', 'wait quietly until the job ends; exit 0 only if it succeeded')
    .option('--json', 'print the job as JSON')
    .action((opts: SubmitOptions, cmd: Command) => submit(ctx, opts, cmd));
}
