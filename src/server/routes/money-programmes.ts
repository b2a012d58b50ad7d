/**
 * Period close of pro-rata-at-close programmes (operator only): the claims outstanding, closing a period (its claims
 * scaled to the funders' pools and paid, once per programme and period), and the closes made. Amounts are strings of
 * whole fen, as in the other money routes.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PeriodCloseError } from '../../core/money/programmes/close.ts';
import type { FunderAmount } from '../../core/money/programmes/types.ts';
import { LedgerRefusal, type PeriodCloseRecord } from '../../store/ledger/index.ts';
import { requirePermission } from '../auth.ts';
import type { AppContext } from '../context.ts';
import { ProblemError, ProblemSchema, notFound } from '../problems.ts';
import { ProgrammeClaimsSchema, CloseResultSchema, CloseSchema } from '../schemas.ts';
import { programmesOf } from './money.ts';
import { principalOf } from './principal.ts';

const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema };

const byFunderJson = (list: FunderAmount[]) => list.map((f) => ({ funder: f.funder, fen: f.amountFen.toString() }));

function closeJson(close: PeriodCloseRecord) {
  return {
    ...close,
    periodStart: close.periodStart.toISOString(),
    periodEnd: close.periodEnd.toISOString(),
    claimedFen: close.claimedFen.toString(),
    paidFen: close.paidFen.toString(),
    poolsBefore: byFunderJson(close.poolsBefore),
    byFunder: byFunderJson(close.byFunder),
    payments: close.payments.map((p) => ({
      ...p,
      claimedFen: p.claimedFen.toString(),
      paidFen: p.paidFen.toString(),
      byFunder: byFunderJson(p.byFunder),
    })),
    closedAt: close.closedAt.toISOString(),
  };
}

const CLOSE_STATUS = { 'invalid-period': 400, 'outside-programme': 400, 'not-pro-rata': 409, 'period-not-ended': 409 };

function problemOf(error: unknown): never {
  if (error instanceof PeriodCloseError) {
    const status = CLOSE_STATUS[error.problem];
    throw new ProblemError(
      status,
      error.problem,
      error.message,
      status === 400 ? [{ field: 'period', message: error.message }] : undefined,
    );
  }
  if (error instanceof LedgerRefusal) {
    const status = { 'not-found': 404, 'insufficient-funds': 409, invalid: 400, conflict: 409 }[error.problem];
    throw new ProblemError(status, error.problem, error.message);
  }
  throw error;
}

export function programmeCloseRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const { store } = context;
  const programmes = programmesOf(context);
  const subsidyProgramme = async (id: string) => {
    const programme = (await programmes()).find((p) => p.metadata.id === id);
    if (!programme || programme.kind !== 'SubsidyProgramme') throw notFound(`subsidy programme ${id}`);
    return programme;
  };

  return async (app) => {
    app.get(
      '/programmes/claims',
      {
        schema: {
          tags: ['money'],
          summary: 'Claims on pro-rata budgets not yet settled by a period close, per programme (operator)',
          response: { 200: Type.Object({ items: Type.Array(ProgrammeClaimsSchema) }), ...problems },
        },
      },
      async (request) => {
        requirePermission(principalOf(request), 'money:manage');
        const open = await store.ledger.outstandingClaims();
        return {
          items: open.map((o) => ({ ...o, claimedFen: o.claimedFen.toString(), oldest: o.oldest.toISOString() })),
        };
      },
    );

    app.get(
      '/programmes/:programmeId/closes',
      {
        schema: {
          tags: ['money'],
          summary: "A pro-rata programme's period closes, newest period first (operator)",
          params: Type.Object({ programmeId: Type.String({ minLength: 1 }) }),
          response: { 200: Type.Object({ items: Type.Array(CloseSchema) }), ...problems },
        },
      },
      async (request) => {
        requirePermission(principalOf(request), 'money:manage');
        await subsidyProgramme(request.params.programmeId);
        return { items: (await store.ledger.periodCloses(request.params.programmeId)).map(closeJson) };
      },
    );

    app.post(
      '/programmes/:programmeId/closes',
      {
        schema: {
          tags: ['money'],
          summary:
            'Close an ended period of a pro-rata programme: its claims scaled to the pools and paid, once (operator)',
          params: Type.Object({ programmeId: Type.String({ minLength: 1 }) }),
          body: Type.Object(
            {
              period: Type.String({
                minLength: 4,
                maxLength: 7,
                description: "Of the programme's budget.period: 2026 (year), 2026-Q4 (quarter), 2026-11 (month)",
              }),
              dryRun: Type.Optional(Type.Boolean({ description: 'Show what the close would pay now; store nothing' })),
            },
            { additionalProperties: false },
          ),
          response: { 200: CloseResultSchema, 201: CloseResultSchema, ...problems },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requirePermission(principal, 'money:manage');
        const programme = await subsidyProgramme(request.params.programmeId);
        const result = await store.ledger
          .closePeriod({
            programme,
            period: request.body.period,
            now: context.clock(),
            actor: principal.user.id,
            dryRun: request.body.dryRun ?? false,
          })
          .catch(problemOf);
        reply.code(result.created ? 201 : 200);
        return { close: closeJson(result.close), created: result.created };
      },
    );
  };
}
