/** Errors the CLI reports as one `suanli: <reason>` line. */
import type { Static } from '@sinclair/typebox';
import type { FieldErrorSchema, ProblemSchema } from '../server/schemas.ts';

/** A failure to report to the user; `exitCode` 1 for failures, 2 for wrong usage. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** The request never got an HTTP response: safe to retry with the same idempotency key. */
export class NetworkError extends CliError {
  constructor(message: string) {
    super(message);
    this.name = 'NetworkError';
  }
}

export type FieldErrorView = Static<typeof FieldErrorSchema>;

/**
 * An RFC 9457 problem document, as far as the CLI relies on it: the server's schema, every field optional (what
 * answers may not be suanli, e.g. a proxy in between).
 */
export type Problem = Partial<Pick<Static<typeof ProblemSchema>, 'type' | 'title' | 'status' | 'detail' | 'errors'>>;

export class ApiError extends CliError {
  readonly status: number;
  readonly problem: Problem;

  constructor(status: number, problem: Problem) {
    super(problemMessage(status, problem));
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

/** `<title>: <detail> (field: message; ...)`, with whatever parts the server sent. */
export function problemMessage(status: number, p: Problem): string {
  const title = nonEmpty(p.title) ?? `HTTP ${status}`;
  const detail = nonEmpty(p.detail);
  let text = detail === undefined || detail === title ? title : `${title}: ${detail}`;
  const fields = Array.isArray(p.errors) ? p.errors : [];
  const parts = fields.map((e) => (nonEmpty(e.field) === undefined ? e.message : `${e.field}: ${e.message}`));
  // Some servers already spell the field errors out in the detail; saying them twice makes the line unreadable.
  if (parts.length > 0 && !parts.every((part) => text.includes(part))) text += ` (${parts.join('; ')})`;
  return text;
}

function nonEmpty(s: unknown): string | undefined {
  return typeof s === 'string' && s.trim() !== '' ? s.trim() : undefined;
}

/** Folds a message onto one line: the error contract is one line on stderr. */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
