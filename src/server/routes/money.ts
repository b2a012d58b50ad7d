/**
 * Money: wallets, top-ups, programme pools, vouchers, statements, reversals and the audit log (the programme office's
 * reports are in reports.ts). A tenant sees only its own wallet, vouchers and statements, a provider-admin only its own
 * payouts (another's is 404, so ids do not leak), the operator everything. Amounts are strings of whole fen: JSON
 * numbers cannot hold every bigint exactly.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { formatYuan } from '../../core/money/amount.ts';
import { checkAwardedRate } from '../../core/money/programmes/evaluate.ts';
import type { Programme } from '../../core/money/programmes/types.ts';
import { voucherTermsProblems } from '../../money/ledger-programmes.ts';
import { loadShippedProgrammes } from '../../money/programme-files.ts';
import { chinaYear } from '../../store/ledger/index.ts';
import { LedgerRefusal, VOUCHER_KINDS, monthRange, providerPayable, type Statement } from '../../store/ledger/index.ts';
import { requirePermission, type Principal } from '../auth.ts';
import type { AppContext } from '../context.ts';
import { statementCsv, statementHtml } from '../money/render.ts';
import { ProblemError, ProblemSchema, notFound } from '../problems.ts';
import {
  AwardedRateSchema,
  ProgrammePoolSchema,
  ProviderPayoutsSchema,
  RecordedSchema,
  StatementSchema,
  IssuedVoucherSchema,
  VoucherSchema,
  WalletSchema,
} from '../schemas.ts';
import { principalOf } from './principal.ts';

const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema };
const PositiveFen = Type.String({ pattern: '^[1-9][0-9]{0,17}$', description: 'A positive whole number of fen' });
const Month = Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM (China Standard Time)' });
const Format = Type.Optional(
  Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('html')], { default: 'json' }),
);

/** Dates become ISO strings and bigints decimal strings, as the schemas (schemas.ts) describe. */
function recorded(reply: FastifyReply, result: { id: string; created: boolean }) {
  reply.code(result.created ? 201 : 200);
  return { transactionId: result.id, created: result.created };
}

export function toJson(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  return value;
}

function statementJson(statement: Statement) {
  return {
    accountId: statement.accountId,
    month: statement.month,
    openingFen: statement.openingFen.toString(),
    closingFen: statement.closingFen.toString(),
    lines: statement.lines.map((l) => ({
      transactionId: l.transactionId,
      at: l.at.toISOString(),
      purpose: l.purpose,
      reason: l.reason,
      usageRecordId: l.usageRecordId,
      saleId: l.saleId,
      voucherId: l.voucherId,
      programmeId: l.programmeId,
      fen: l.fen.toString(),
      yuan: formatYuan(l.fen),
    })),
  };
}

/** A refusal of the ledger as a problem document; an invalid field named first ("tenantId: …") is named as such. */
export function refusal(error: unknown): never {
  if (error instanceof LedgerRefusal) {
    const status = { 'not-found': 404, 'insufficient-funds': 409, invalid: 400, conflict: 409 }[error.problem];
    const field = error.problem === 'invalid' ? /^([A-Za-z]+): (.*)$/.exec(error.message) : null;
    const errors = field ? [{ field: field[1]!, message: field[2]! }] : undefined;
    throw new ProblemError(status, error.problem, error.message, errors);
  }
  throw error;
}

/** The tenant whose money the caller may read: its own, or (operator) the one it names. */
function tenantOf(principal: Principal, requested: string | undefined): string {
  requirePermission(principal, 'money:read');
  if (principal.scope.kind === 'tenant') {
    if (requested !== undefined && requested !== principal.scope.tenantId) throw notFound(`tenant ${requested}`);
    return principal.scope.tenantId;
  }
  if (requested === undefined)
    throw new ProblemError(400, 'invalid-request', 'tenantId: the operator must name a tenant', [
      { field: 'querystring.tenantId', message: 'is required for the operator' },
    ]);
  return requested;
}

/** The JSON document, or (format csv/html) the same data rendered, sent as text. */
export function send<T>(
  reply: FastifyReply,
  format: string | undefined,
  csv: () => string,
  html: () => string,
  json: T,
): T {
  if (format === 'csv') return reply.type('text/csv; charset=utf-8').send(csv()) as never;
  if (format === 'html') return reply.type('text/html; charset=utf-8').send(html()) as never;
  return json;
}

/** The programmes in force: the context's, or the shipped programmes/ folder read once on first use. */
export function programmesOf(context: AppContext): () => Promise<readonly Programme[]> {
  let shipped: Promise<readonly Programme[]> | undefined;
  return () => (context.programmes ? Promise.resolve(context.programmes) : (shipped ??= loadShippedProgrammes()));
}

export function moneyRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const { store } = context;
  const tenantExists = async (id: string) => (await store.federation.listTenants()).some((t) => t.id === id);
  return async (app) => {
    app.get(
      '/wallet',
      {
        schema: {
          tags: ['money'],
          summary: "A tenant's wallet: what it holds and its most recent transactions",
          querystring: Type.Object({
            tenantId: Type.Optional(Type.String({ description: 'Operator only: whose wallet' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 20 })),
          }),
          response: { 200: WalletSchema, ...problems },
        },
      },
      async (request) => {
        const tenantId = tenantOf(principalOf(request), request.query.tenantId);
        if (!(await tenantExists(tenantId))) throw notFound(`tenant ${tenantId}`);
        const held = -(await store.ledger.balance(`tenant-wallet:${tenantId}`));
        const lines = await store.ledger.lines(
          `tenant-wallet:${tenantId}`,
          new Date(0),
          new Date(Date.UTC(9999, 11, 31)),
          request.query.limit ?? 20,
        );
        return {
          tenantId,
          balanceFen: held.toString(),
          balance: formatYuan(held),
          recent: statementJson({ accountId: '', month: '', openingFen: 0n, closingFen: 0n, lines }).lines,
        };
      },
    );

    app.post(
      '/wallet/top-ups',
      {
        schema: {
          tags: ['money'],
          summary: "Record a tenant's payment into its wallet (operator); the reference makes a repeat harmless",
          body: Type.Object(
            {
              tenantId: Type.String({ minLength: 1 }),
              amountFen: PositiveFen,
              reference: Type.String({ minLength: 1, maxLength: 200, description: 'The bank transfer reference' }),
            },
            { additionalProperties: false },
          ),
          response: { 200: RecordedSchema, 201: RecordedSchema, ...problems },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requirePermission(principal, 'money:manage');
        const result = await store.ledger
          .topUp({
            actor: principal.user.id,
            at: context.clock(),
            tenantId: request.body.tenantId,
            fen: BigInt(request.body.amountFen),
            reference: request.body.reference,
          })
          .catch(refusal);
        return recorded(reply, result);
      },
    );

    app.post(
      '/providers/:providerId/payouts',
      {
        schema: {
          tags: ['money'],
          summary:
            'Record a payment to a provider of what it is owed (operator); the reference makes a repeat harmless',
          params: Type.Object({ providerId: Type.String({ minLength: 1 }) }),
          body: Type.Object(
            { amountFen: PositiveFen, reference: Type.String({ minLength: 1, maxLength: 200 }) },
            { additionalProperties: false },
          ),
          response: { 200: RecordedSchema, 201: RecordedSchema, ...problems },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requirePermission(principal, 'money:manage');
        const result = await store.ledger
          .payOut({
            actor: principal.user.id,
            at: context.clock(),
            providerId: request.params.providerId,
            fen: BigInt(request.body.amountFen),
            reference: request.body.reference,
          })
          .catch(refusal);
        return recorded(reply, result);
      },
    );

    app.get(
      '/providers/:providerId/payouts',
      {
        schema: {
          tags: ['money'],
          summary: 'What the platform owes a provider now, and the payouts made to it, newest first',
          params: Type.Object({ providerId: Type.String({ minLength: 1 }) }),
          querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 20 })) }),
          response: { 200: ProviderPayoutsSchema, ...problems },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requirePermission(principal, 'payouts:read');
        const { providerId } = request.params;
        // Another provider's money is 404, as its statements are: its existence is not the caller's to learn.
        if (principal.user.role !== 'operator' && principal.user.providerId !== providerId)
          throw notFound(`provider ${providerId}`);
        if (!(await store.federation.listProviders()).some((p) => p.id === providerId))
          throw notFound(`provider ${providerId}`);
        const payable = -(await store.ledger.balance(providerPayable(providerId)));
        const payouts = await store.ledger.payouts(providerId, request.query.limit ?? 20);
        return {
          providerId,
          payableFen: payable.toString(),
          payable: formatYuan(payable),
          payouts: payouts.map((p) => ({
            transactionId: p.transactionId,
            at: p.at.toISOString(),
            reason: p.reason,
            fen: p.fen.toString(),
            yuan: formatYuan(p.fen),
          })),
        };
      },
    );

    app.get(
      '/programmes/pools',
      {
        schema: {
          tags: ['money'],
          summary:
            "Each programme's pool per funder: budget paid in, spent (subsidies and vouchers), remaining (operator)",
          response: { 200: Type.Object({ items: Type.Array(ProgrammePoolSchema) }), ...problems },
        },
      },
      async (request) => {
        requirePermission(principalOf(request), 'money:manage');
        return { items: (await store.ledger.pools()).map((p) => toJson(p) as never) };
      },
    );

    app.post(
      '/programmes/:programmeId/pools/:funder/fundings',
      {
        schema: {
          tags: ['money'],
          summary: 'A funder pays into its pool of a programme (operator)',
          params: Type.Object({ programmeId: Type.String({ minLength: 1 }), funder: Type.String({ minLength: 1 }) }),
          body: Type.Object(
            { amountFen: PositiveFen, reference: Type.String({ minLength: 1, maxLength: 200 }) },
            { additionalProperties: false },
          ),
          response: { 200: RecordedSchema, 201: RecordedSchema, ...problems },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requirePermission(principal, 'money:manage');
        const result = await store.ledger
          .fundPool({
            actor: principal.user.id,
            at: context.clock(),
            programmeId: request.params.programmeId,
            funder: request.params.funder,
            fen: BigInt(request.body.amountFen),
            reference: request.body.reference,
          })
          .catch(refusal);
        return recorded(reply, result);
      },
    );

    const programmes = programmesOf(context);

    app.get(
      '/programmes/awarded-rates',
      {
        schema: {
          tags: ['money'],
          summary: "The office's awarded rates in force for ceiling-rate programmes (operator)",
          response: { 200: Type.Object({ items: Type.Array(AwardedRateSchema) }), ...problems },
        },
      },
      async (request) => {
        requirePermission(principalOf(request), 'money:manage');
        const rates = await store.ledger.awardedRates();
        return { items: rates.map((r) => ({ ...r, basisPoints: Number(r.basisPoints) })) };
      },
    );

    app.post(
      '/programmes/:programmeId/awarded-rates',
      {
        schema: {
          tags: ['money'],
          summary:
            "Award a tenant its rate under a ceiling-rate programme's ceiling (operator); applies from the next charge",
          params: Type.Object({ programmeId: Type.String({ minLength: 1 }) }),
          body: Type.Object(
            {
              tenantId: Type.String({ minLength: 1 }),
              commitmentId: Type.Optional(Type.String({ minLength: 1, description: 'Only for this commitment' })),
              basisPoints: Type.Integer({ minimum: 0, maximum: 10000, description: '2000 = 20%' }),
            },
            { additionalProperties: false },
          ),
          response: { 201: AwardedRateSchema, ...problems },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requirePermission(principal, 'money:manage');
        const { programmeId } = request.params;
        const programme = (await programmes()).find((p) => p.metadata.id === programmeId);
        if (!programme || programme.kind !== 'SubsidyProgramme') throw notFound(`subsidy programme ${programmeId}`);
        const problem = checkAwardedRate(programme, BigInt(request.body.basisPoints));
        if (problem)
          throw new ProblemError(400, 'invalid-request', `basisPoints: ${problem}`, [
            { field: 'basisPoints', message: problem },
          ]);
        await store.ledger
          .setAwardedRate({
            actor: principal.user.id,
            at: context.clock(),
            programmeId,
            tenantId: request.body.tenantId,
            basisPoints: request.body.basisPoints,
            ...(request.body.commitmentId ? { commitmentId: request.body.commitmentId } : {}),
          })
          .catch(refusal);
        reply.code(201);
        return { programmeId, ...request.body };
      },
    );

    app.get(
      '/vouchers',
      {
        schema: {
          tags: ['money'],
          summary: "Vouchers: a tenant's own; the operator's all, or one tenant's",
          querystring: Type.Object({ tenantId: Type.Optional(Type.String()) }),
          response: { 200: Type.Object({ items: Type.Array(VoucherSchema) }), ...problems },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requirePermission(principal, 'money:read');
        const tenantId =
          principal.scope.kind === 'all' ? request.query.tenantId : tenantOf(principal, request.query.tenantId);
        return { items: (await store.ledger.vouchers(tenantId)).map((v) => toJson(v) as never) };
      },
    );

    app.post(
      '/vouchers',
      {
        schema: {
          tags: ['money'],
          summary: 'Issue a voucher to a tenant from a programme pool (operator); the id makes a repeat harmless',
          body: Type.Object(
            {
              id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$' }),
              kind: Type.Union(VOUCHER_KINDS.map((k) => Type.Literal(k))),
              tenantId: Type.String({ minLength: 1 }),
              programmeId: Type.String({ minLength: 1 }),
              funder: Type.String({ minLength: 1 }),
              faceFen: PositiveFen,
              validFrom: Type.String({ format: 'date-time' }),
              validTo: Type.String({ format: 'date-time' }),
              providers: Type.Optional(Type.Array(Type.String(), { description: 'Usable at these only; none = any' })),
              products: Type.Optional(
                Type.Array(Type.String(), { description: 'Accelerator models (compute); none = any' }),
              ),
              maxShareBasisPoints: Type.Optional(
                Type.Integer({
                  minimum: 1,
                  maximum: 10000,
                  description: "Default: the voucher programme's largest share, else 10000 (all of a charge)",
                }),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: IssuedVoucherSchema, 201: IssuedVoucherSchema, ...problems },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requirePermission(principal, 'money:manage');
        const body = request.body;
        const at = context.clock();
        // Under a voucher programme of programmes/, its terms apply (face values, validity, share, yearly limit).
        const programme = (await programmes()).find((p) => p.metadata.id === body.programmeId);
        let maxShare = body.maxShareBasisPoints;
        // A voucher issued before under this id is the ledger's to compare (the same terms: returned as it is; other
        // terms: 409): its issue was checked against the programme then, and checking a repeat again would count
        // the voucher against its own yearly limit, or refuse it once the programme has ended.
        const before = await store.ledger.voucher(body.id);
        if (programme?.kind === 'VoucherProgramme') {
          maxShare ??= Number(programme.maxShareOfChargeBasisPoints);
          const issued = await store.ledger.issuedFaceInYear(programme.metadata.id, body.tenantId, chinaYear(at));
          const request = {
            ...body,
            faceFen: BigInt(body.faceFen),
            validTo: new Date(body.validTo),
            maxShareBasisPoints: maxShare,
          };
          const problems = before ? [] : voucherTermsProblems(programme, request, at, issued);
          if (problems.length > 0)
            throw new ProblemError(
              400,
              'invalid-request',
              problems.join('; '),
              problems.map((message) => ({ field: 'body', message })),
            );
        } else if (programme?.kind === 'SubsidyProgramme') {
          throw new ProblemError(
            400,
            'invalid-request',
            `programmeId: ${programme.metadata.id} is a subsidy programme, not a voucher programme`,
          );
        }
        const result = await store.ledger
          .issueVoucher({
            actor: principal.user.id,
            at,
            id: body.id,
            kind: body.kind,
            tenantId: body.tenantId,
            programmeId: body.programmeId,
            funder: body.funder,
            faceFen: BigInt(body.faceFen),
            validFrom: new Date(body.validFrom),
            validTo: new Date(body.validTo),
            providers: body.providers ?? [],
            products: body.products ?? [],
            maxShareBasisPoints: maxShare ?? 10_000,
          })
          .catch(refusal);
        const voucher = await store.ledger.voucher(result.id);
        // As a replayed job submission is answered: 200 and the voucher issued before, 201 for a new one.
        reply.code(result.created ? 201 : 200);
        return { ...(toJson(voucher) as object), created: result.created } as never;
      },
    );

    const monthOf = (month: string) => {
      try {
        return monthRange(month);
      } catch (error) {
        throw new ProblemError(400, 'invalid-request', `month: ${(error as Error).message}`);
      }
    };

    app.get(
      '/statements/tenants/:tenantId/:month',
      {
        schema: {
          tags: ['money'],
          summary: "A tenant's monthly statement (JSON, CSV or printable HTML)",
          params: Type.Object({ tenantId: Type.String(), month: Month }),
          querystring: Type.Object({ format: Format }),
          produces: ['application/json', 'text/csv', 'text/html'],
          response: { 200: StatementSchema, ...problems },
        },
      },
      async (request, reply) => {
        const tenantId = tenantOf(principalOf(request), request.params.tenantId);
        monthOf(request.params.month);
        if (!(await tenantExists(tenantId))) throw notFound(`tenant ${tenantId}`);
        const statement = await store.ledger.tenantStatement(tenantId, request.params.month);
        return send(
          reply,
          request.query.format,
          () => statementCsv(statement),
          () => statementHtml(statement, `tenant ${tenantId}`),
          statementJson(statement),
        );
      },
    );

    app.get(
      '/statements/providers/:providerId/:month',
      {
        schema: {
          tags: ['money'],
          summary: "A provider's monthly payout statement (JSON, CSV or printable HTML)",
          params: Type.Object({ providerId: Type.String(), month: Month }),
          querystring: Type.Object({ format: Format }),
          produces: ['application/json', 'text/csv', 'text/html'],
          response: { 200: StatementSchema, ...problems },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requirePermission(principal, 'payouts:read');
        const { providerId, month } = request.params;
        if (principal.user.role !== 'operator' && principal.user.providerId !== providerId)
          throw notFound(`provider ${providerId}`);
        monthOf(month);
        if (!(await store.federation.listProviders()).some((p) => p.id === providerId))
          throw notFound(`provider ${providerId}`);
        const statement = await store.ledger.providerStatement(providerId, month);
        return send(
          reply,
          request.query.format,
          () => statementCsv(statement),
          () => statementHtml(statement, `provider ${providerId}`),
          statementJson(statement),
        );
      },
    );

    app.post(
      '/usage/:usageRecordId/reversal',
      {
        schema: {
          tags: ['money'],
          summary: 'Reverse every ledger entry of a usage record (operator); optionally charge it again',
          params: Type.Object({ usageRecordId: Type.String() }),
          body: Type.Object(
            { reason: Type.String({ minLength: 1, maxLength: 500 }), requeue: Type.Optional(Type.Boolean()) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ reversals: Type.Array(Type.String()) }), ...problems },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requirePermission(principal, 'money:manage');
        const reversals = await store.ledger
          .reverseUsageRecord({
            actor: principal.user.id,
            at: context.clock(),
            usageRecordId: request.params.usageRecordId,
            reason: request.body.reason,
            requeue: request.body.requeue ?? false,
          })
          .catch(refusal);
        return { reversals };
      },
    );

    app.get(
      '/ledger/unpriced',
      {
        schema: {
          tags: ['money'],
          summary: 'Usage records not charged because no price was in force (operator)',
          response: {
            200: Type.Object({
              items: Type.Array(
                Type.Object({ usageRecordId: Type.String(), reason: Type.String(), attempts: Type.Integer() }),
              ),
            }),
            ...problems,
          },
        },
      },
      async (request) => {
        requirePermission(principalOf(request), 'money:manage');
        return { items: await store.ledger.unpriced() };
      },
    );

    app.get(
      '/audit',
      {
        schema: {
          tags: ['money'],
          summary: 'The audit log, newest first (operator)',
          querystring: Type.Object({
            objectType: Type.Optional(Type.String()),
            objectId: Type.Optional(Type.String()),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          }),
          response: {
            200: Type.Object({
              items: Type.Array(
                Type.Object({
                  id: Type.String(),
                  at: Type.String({ format: 'date-time' }),
                  actor: Type.String(),
                  action: Type.String(),
                  objectType: Type.String(),
                  objectId: Type.String(),
                  before: Type.Optional(Type.Unknown()),
                  after: Type.Optional(Type.Unknown()),
                }),
              ),
            }),
            ...problems,
          },
        },
      },
      async (request) => {
        requirePermission(principalOf(request), 'money:manage');
        const items = await store.audit.list({
          ...(request.query.objectType ? { objectType: request.query.objectType } : {}),
          ...(request.query.objectId ? { objectId: request.query.objectId } : {}),
          limit: request.query.limit ?? 100,
        });
        return { items: items.map((e) => toJson(e) as never) };
      },
    );
  };
}
