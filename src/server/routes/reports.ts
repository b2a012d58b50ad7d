/**
 * The programme office's reports (月报告、季调度、年总结, Anhui 2025 保障措施(四)): a month's, a quarter's and a year's
 * spend, vouchers and subsidy, pools, claims, top tenants and chip race, as JSON, CSV or printable HTML (operator).
 * One ledger query serves all three (src/store/ledger/report.ts), so a quarter is never three months added up.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { PeriodKind } from '../../core/report-period.ts';
import { reportPeriod, type ReportPeriod } from '../../store/ledger/index.ts';
import { requirePermission } from '../auth.ts';
import { chipRaceFor } from '../chips.ts';
import type { AppContext } from '../context.ts';
import { reportCsv, reportHtml } from '../money/render.ts';
import { ProblemError, ProblemSchema } from '../problems.ts';
import { MonthlyReportSchema, PeriodReportSchema } from '../schemas.ts';
import { principalOf } from './principal.ts';
import { send, toJson } from './money.ts';

const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema };
const Format = Type.Optional(
  Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('html')], { default: 'json' }),
);
const Query = Type.Object({ format: Format, top: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) });
const SUMMARY =
  'spend, vouchers and subsidy by month, city, region, tenant category and kind, subsidy per programme and funder, ' +
  'pools remaining, claims awaiting close, top tenants and the chip race (operator)';

/** A 400 naming the path parameter, its problem said in words (not as a regular expression). */
function invalid(parameter: string, message: string): never {
  throw new ProblemError(400, 'invalid-request', `${parameter}: ${message}`, [
    { field: `params.${parameter}`, message },
  ]);
}

/** The period a path parameter names; a quarter or year must have begun (a month may not have: see below). */
function periodOf(kind: PeriodKind, parameter: string, label: string, now: Date, mustHaveBegun: boolean): ReportPeriod {
  let period: ReportPeriod;
  try {
    period = reportPeriod(kind, label);
  } catch (error) {
    invalid(parameter, (error as Error).message);
  }
  if (mustHaveBegun && period.from > now)
    invalid(parameter, `${label} has not begun (it starts ${period.from.toISOString()}, midnight China Standard Time)`);
  return period;
}

export function reportRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const { store } = context;

  /** The ledger's report with the chip race over the part of the period that has passed, in the format asked for. */
  const filed = async (period: ReportPeriod, now: Date, top: number | undefined) => {
    const ledger = await store.ledger.report(period, now, top);
    // A period that has not begun has no race yet; the current one runs to now.
    const chips =
      period.from < now ? await chipRaceFor(store, period.from, period.to < now ? period.to : now, now) : [];
    return { ...ledger, chips };
  };

  return async (app) => {
    app.get(
      '/reports/monthly/:month',
      {
        schema: {
          tags: ['money'],
          summary: `The programme office's monthly report: ${SUMMARY}`,
          params: Type.Object({
            month: Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM (China Standard Time)' }),
          }),
          querystring: Query,
          produces: ['application/json', 'text/csv', 'text/html'],
          response: { 200: MonthlyReportSchema, ...problems },
        },
      },
      async (request, reply) => {
        requirePermission(principalOf(request), 'money:manage');
        const now = context.clock();
        // A month not yet begun is an empty report, as it always was; clients may rely on that.
        const period = periodOf('month', 'month', request.params.month, now, false);
        const report = { month: period.label, ...(await filed(period, now, request.query.top)) };
        return send(
          reply,
          request.query.format,
          () => reportCsv(report),
          () => reportHtml(report),
          toJson(report) as never,
        );
      },
    );

    for (const [route, kind, parameter, description] of [
      ['quarterly', 'quarter', 'quarter', 'YYYY-Qn, Q1 = January to March (China Standard Time)'],
      ['yearly', 'year', 'year', 'YYYY (China Standard Time)'],
    ] as const) {
      app.get(
        `/reports/${route}/:${parameter}`,
        {
          schema: {
            tags: ['money'],
            summary: `The programme office's ${route} report: ${SUMMARY}`,
            // Checked by the handler, which says what is wrong in words and refuses a period not yet begun.
            params: Type.Object({ [parameter]: Type.String({ description }) }),
            querystring: Query,
            produces: ['application/json', 'text/csv', 'text/html'],
            response: { 200: PeriodReportSchema, ...problems },
          },
        },
        async (request, reply) => {
          requirePermission(principalOf(request), 'money:manage');
          const now = context.clock();
          const label = (request.params as Record<string, string>)[parameter] ?? '';
          const period = periodOf(kind, parameter, label, now, true);
          const report = await filed(period, now, request.query.top);
          return send(
            reply,
            request.query.format,
            () => reportCsv(report),
            () => reportHtml(report),
            toJson(report) as never,
          );
        },
      );
    }
  };
}
