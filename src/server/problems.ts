/** RFC 9457 problem details: every error the API returns has this shape and names what is wrong. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { ProblemSchema } from './schemas.ts';

/** The schema lives with the other response shapes (schemas.ts); the routes take it from here. */
export { ProblemSchema };
export type Problem = Static<typeof ProblemSchema>;

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  500: 'Internal server error',
  503: 'Service unavailable',
};

/** An error a route throws to answer with a problem document. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    detail: string,
    readonly errors?: Array<{ field: string; message: string }>,
  ) {
    super(detail);
  }
}

export const notFound = (what: string) => new ProblemError(404, 'not-found', `${what} not found`);
export const forbidden = (detail: string) => new ProblemError(403, 'forbidden', detail);

export function sendProblem(reply: FastifyReply, request: FastifyRequest, problem: ProblemError): FastifyReply {
  const body: Problem = {
    type: `/problems/${problem.slug}`,
    title: TITLES[problem.status] ?? 'Error',
    status: problem.status,
    detail: problem.message,
    instance: request.url,
    ...(problem.errors ? { errors: problem.errors } : {}),
  };
  return reply.code(problem.status).type('application/problem+json').send(body);
}

/** Turns Fastify's (ajv) validation errors into field errors with dotted paths. */
function fieldErrors(error: FastifyError): Array<{ field: string; message: string }> {
  return (error.validation ?? []).map((v) => {
    const params = v.params as Record<string, unknown>;
    const base = (v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    const context = error.validationContext ?? 'body';
    const missing = typeof params.missingProperty === 'string' ? params.missingProperty : undefined;
    const extra = typeof params.additionalProperty === 'string' ? params.additionalProperty : undefined;
    const leaf = missing ?? extra;
    const path = [context === 'body' ? '' : context, base, leaf ?? ''].filter(Boolean).join('.');
    return { field: path, message: missing ? 'is required' : extra ? 'unknown field' : (v.message ?? 'is invalid') };
  });
}

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof ProblemError) return sendProblem(reply, request, error);
  if (error.validation) {
    const errors = fieldErrors(error);
    const detail = errors.map((e) => `${e.field || '(request)'}: ${e.message}`).join('; ');
    return sendProblem(reply, request, new ProblemError(400, 'invalid-request', detail, errors));
  }
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  if (status === 500) request.log.error({ err: error }, 'unhandled error');
  const detail = status === 500 ? 'the server failed to handle the request; it has been logged' : error.message;
  return sendProblem(reply, request, new ProblemError(status, status === 500 ? 'internal' : 'request', detail));
}
