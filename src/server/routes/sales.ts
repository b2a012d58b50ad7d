/**
 * Sales of model services and corpora (docs/money.md, "Sales"): the seller (a provider-admin of the provider, or the
 * operator) records a sale to a tenant, and it is charged in the ledger at once like metered usage, with the tenant's
 * vouchers of that kind and the subsidy programmes whose base includes it. A tenant lists its own purchases, a
 * provider-admin its own provider's sales, the operator all; another's sale is 404. The operator reverses one.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { formatYuan } from '../../core/money/amount.ts';
import { evaluateSubsidies } from '../../core/money/programmes/evaluate.ts';
import type { SubsidyProgramme, VoucherProgramme } from '../../core/money/programmes/types.ts';
import { SALE_KINDS, monthRange, type SaleFilter, type StoredSale } from '../../store/ledger/index.ts';
import { can, requirePermission, type Principal } from '../auth.ts';
import type { AppContext } from '../context.ts';
import { ProblemError, ProblemSchema, notFound } from '../problems.ts';
import { SaleSchema } from '../schemas.ts';
import { principalOf } from './principal.ts';
import { programmesOf, refusal } from './money.ts';

const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema };
const Kind = Type.Union(SALE_KINDS.map((k) => Type.Literal(k)));

function saleJson(sale: StoredSale) {
  return {
    id: sale.id,
    providerId: sale.providerId,
    reference: sale.reference,
    tenantId: sale.tenantId,
    projectId: sale.projectId,
    kind: sale.kind,
    product: sale.product,
    description: sale.description,
    amountFen: sale.amountFen.toString(),
    amount: formatYuan(sale.amountFen),
    occurredAt: sale.occurredAt.toISOString(),
    recordedBy: sale.recordedBy,
    recordedAt: sale.recordedAt.toISOString(),
    voucherFen: sale.voucherFen.toString(),
    subsidyFen: sale.subsidyFen.toString(),
    reversed: sale.reversed,
  };
}

/** Which sales the caller may see: a tenant's own purchases, a provider-admin's own sales, the operator's all. */
function visibleTo(principal: Principal): Pick<SaleFilter, 'tenantId' | 'providerId'> | null {
  if (principal.user.role === 'operator') return {};
  if (principal.user.role === 'provider-admin' && principal.user.providerId)
    return { providerId: principal.user.providerId };
  if (can(principal, 'money:read') && principal.scope.kind === 'tenant') return { tenantId: principal.scope.tenantId };
  return null;
}

/** A calendar month of China Standard Time, YYYY-MM; anything else is 400 naming the field. */
function monthOf(month: string): { from: Date; to: Date } {
  try {
    return monthRange(month);
  } catch (error) {
    const message = (error as Error).message;
    throw new ProblemError(400, 'invalid-request', `month: ${message}`, [{ field: 'month', message }]);
  }
}

export function salesRoutes(context: AppContext): FastifyPluginAsyncTypebox {
  const { store } = context;
  const programmes = programmesOf(context);
  return async (app) => {
    app.post(
      '/sales',
      {
        schema: {
          tags: ['money'],
          summary:
            'Record a sale of a model service or corpus to a tenant (the provider-admin of the seller, or the ' +
            'operator) and charge it: wallet, vouchers of its kind, subsidies; the reference makes a repeat harmless',
          body: Type.Object(
            {
              providerId: Type.Optional(
                Type.String({ minLength: 1, description: "The seller; a provider-admin's own by default" }),
              ),
              reference: Type.String({
                minLength: 1,
                maxLength: 200,
                pattern: '\\S',
                description: "The seller's order number (idempotency key)",
              }),
              tenantId: Type.String({ minLength: 1, description: 'The buyer' }),
              projectId: Type.Optional(Type.String({ minLength: 1 })),
              kind: Kind,
              product: Type.String({
                minLength: 1,
                maxLength: 200,
                pattern: '\\S',
                description: "What was sold; a voucher's usable products name these",
              }),
              description: Type.Optional(Type.String({ maxLength: 1000 })),
              amountFen: Type.String({
                pattern: '^[1-9][0-9]{0,17}$',
                description: "The seller's price, a positive whole number of fen",
              }),
              occurredAt: Type.String({ format: 'date-time', description: 'When the sale was made' }),
            },
            { additionalProperties: false },
          ),
          response: { 200: SaleSchema, 201: SaleSchema, ...problems },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        if (principal.user.role !== 'operator' && principal.user.role !== 'provider-admin')
          throw new ProblemError(403, 'forbidden', `role ${principal.user.role} may not record sales`);
        const own = principal.user.role === 'provider-admin' ? (principal.user.providerId ?? undefined) : undefined;
        const providerId = request.body.providerId ?? own;
        if (providerId === undefined)
          throw new ProblemError(400, 'invalid-request', 'providerId: the operator must name the seller', [
            { field: 'providerId', message: 'is required for the operator' },
          ]);
        // Another provider is not the caller's to sell for, nor to learn exists.
        if (own !== undefined && providerId !== own) throw notFound(`provider ${providerId}`);
        const all = await programmes();
        const { sale, created } = await store.ledger
          .recordSale(
            {
              actor: principal.user.id,
              at: context.clock(),
              providerId,
              reference: request.body.reference,
              tenantId: request.body.tenantId,
              projectId: request.body.projectId ?? null,
              kind: request.body.kind,
              product: request.body.product,
              description: request.body.description ?? '',
              amountFen: BigInt(request.body.amountFen),
              occurredAt: new Date(request.body.occurredAt),
            },
            {
              subsidies: {
                programmes: all.filter((p): p is SubsidyProgramme => p.kind === 'SubsidyProgramme'),
                evaluate: evaluateSubsidies,
                options: { awardedRates: await store.ledger.awardedRates() },
              },
              voucherProgrammes: all.filter((p): p is VoucherProgramme => p.kind === 'VoucherProgramme'),
            },
          )
          .catch(refusal);
        reply.code(created ? 201 : 200);
        return saleJson(sale);
      },
    );

    app.get(
      '/sales',
      {
        schema: {
          tags: ['money'],
          summary:
            "Sales, newest first: a tenant's own purchases, a provider-admin's own sales, the operator's all " +
            '(filtered by tenant, provider, kind and month)',
          querystring: Type.Object({
            tenantId: Type.Optional(Type.String({ minLength: 1 })),
            providerId: Type.Optional(Type.String({ minLength: 1 })),
            kind: Type.Optional(Kind),
            // Checked by the handler, which names the field and the form in words (a pattern's message does not).
            month: Type.Optional(
              Type.String({ description: 'Only sales made in this month: YYYY-MM (China Standard Time)' }),
            ),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          }),
          response: { 200: Type.Object({ items: Type.Array(SaleSchema) }), ...problems },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const scope = visibleTo(principal);
        if (scope === null) throw new ProblemError(403, 'forbidden', `role ${principal.user.role} may not read sales`);
        const { tenantId, providerId, kind, month, limit } = request.query;
        // Asking for another tenant's purchases or another provider's sales finds nothing to show: 404.
        if (scope.tenantId !== undefined && tenantId !== undefined && tenantId !== scope.tenantId)
          throw notFound(`tenant ${tenantId}`);
        if (scope.providerId !== undefined && providerId !== undefined && providerId !== scope.providerId)
          throw notFound(`provider ${providerId}`);
        const range = month === undefined ? {} : monthOf(month);
        const sales = await store.ledger.sales({
          ...(tenantId !== undefined ? { tenantId } : {}),
          ...(providerId !== undefined ? { providerId } : {}),
          ...scope,
          ...(kind !== undefined ? { kind } : {}),
          ...range,
          limit: limit ?? 100,
        });
        return { items: sales.map(saleJson) };
      },
    );

    app.post(
      '/sales/:saleId/reversal',
      {
        schema: {
          tags: ['money'],
          summary: 'Reverse every ledger entry of a sale (operator): charge, vouchers, subsidies; the sale stays',
          params: Type.Object({ saleId: Type.String() }),
          body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false }),
          response: { 200: Type.Object({ reversals: Type.Array(Type.String()) }), ...problems },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requirePermission(principal, 'money:manage');
        const reversals = await store.ledger
          .reverseSale({
            actor: principal.user.id,
            at: context.clock(),
            saleId: request.params.saleId,
            reason: request.body.reason,
          })
          .catch(refusal);
        return { reversals };
      },
    );
  };
}
