import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The authenticated caller; the API's auth hook has set it for every /api/v1 route. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route reached without authentication');
  return request.principal;
}
