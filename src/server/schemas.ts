/**
 * The API's response shapes as TypeBox schemas: the routes declare them (so they become the OpenAPI document and
 * Fastify serialises by them), and the CLI (src/cli/types.ts) and the console (console/src/api.ts) take their types
 * from them with `import type` and `Static<typeof …Schema>`, so a change here is a type error in a client that relied
 * on the old shape. This module imports only TypeBox and src/core, which lets the console's own typecheck (DOM, no
 * Node types) read it; the view functions that fill these shapes from the store are in views.ts.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { JOB_STATES, PRIORITY_CLASSES, ROLES, RUN_OUTCOMES, TENANT_CATEGORIES } from '../core/domain.ts';
import { JobSpecWire } from '../core/job-spec.ts';
import { PERIOD_KINDS } from '../core/report-period.ts';

const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends TSchema>(schema: T, options: { description?: string } = {}) =>
  Type.Union([schema, Type.Null()], options);
/** A string of one of `values`: `{type: string, enum}` in the document, the literal union in TypeScript. */
const StringEnum = <T extends string>(values: readonly T[], options: { description?: string } = {}) =>
  Type.Unsafe<T>(Type.String({ ...options, enum: [...values] }));
/** Whole fen (¥0.01) as a decimal string: JSON numbers cannot hold every bigint exactly. */
export const FenString = Type.String({ pattern: '^-?[0-9]+$', description: 'Whole fen (¥0.01) as a decimal string' });
export const Slug = (description: string) =>
  Type.String({ pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$', description: `${description} (lowercase slug)` });
const Regions = Type.Array(Type.String({ pattern: '^[a-z0-9-]+$' }), {
  default: [],
  description: 'Region tags, e.g. anhui, wanbei',
});

// ---- Errors (problems.ts) ----

export const FieldErrorSchema = Type.Object({
  field: Type.String({ description: 'Dotted path of the offending field, e.g. spec.resources.nodes' }),
  message: Type.String(),
});

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'A URI reference identifying the problem type' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(FieldErrorSchema)),
  },
  { description: 'RFC 9457 problem details' },
);

// ---- Jobs (routes/jobs.ts) ----

export const JobStateSchema = Type.Union(JOB_STATES.map((s) => Type.Literal(s)));

export const JobEventSchema = Type.Object({
  at: DateTime,
  from: Nullable(StringEnum(JOB_STATES)),
  to: StringEnum(JOB_STATES),
  reason: Type.String(),
  actor: Type.String(),
});

export const JobSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  project: Type.String(),
  tenantId: Type.String(),
  submittedBy: Type.String(),
  state: StringEnum(JOB_STATES),
  reason: Nullable(Type.String({ description: 'Why the job is where it is: the pending reason, or why it ended' })),
  priorityClass: StringEnum(PRIORITY_CLASSES),
  submittedAt: DateTime,
  startedAt: Nullable(DateTime),
  endedAt: Nullable(DateTime),
  exitCode: Nullable(Type.Integer()),
  clusterId: Nullable(Type.String()),
  clusterName: Nullable(Type.String()),
  pool: Nullable(Type.String()),
  nodes: Type.Array(Type.String()),
  engineJobId: Nullable(Type.String()),
  attempt: Type.Integer(),
  cancelRequested: Type.Boolean(),
  spec: JobSpecWire,
  events: Type.Optional(Type.Array(JobEventSchema)),
});

// ---- Clusters, pools and prices (routes/federation.ts, routes/clusters.ts) ----

export const PoolNodeSchema = Type.Object({
  name: Type.String(),
  accelerators: Type.Integer(),
  free: Type.Integer(),
  state: Type.String(),
});

export const PoolViewSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  acceleratorModel: Type.String(),
  domestic: Type.Boolean(),
  accelerators: Type.Integer(),
  freeAccelerators: Type.Integer(),
  capacityP: Type.String({ description: 'Dense FP16/BF16 PFLOPS of all accelerators in the pool, exact decimal' }),
  fenPerAcceleratorHour: Nullable(Type.Integer()),
  nodes: Type.Array(PoolNodeSchema),
});

export const ClusterViewSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  engine: Type.String(),
  healthy: Type.Boolean(),
  healthReason: Nullable(Type.String()),
  provider: Type.Object({
    id: Type.String(),
    name: Type.String(),
    city: Type.String(),
    regions: Type.Array(Type.String()),
  }),
  capacityP: Type.String(),
  accelerators: Type.Integer(),
  freeAccelerators: Type.Integer(),
  pools: Type.Array(PoolViewSchema),
});

/** A pool a cluster probe found (POST /clusters, with or without dryRun). */
export const FoundPoolSchema = Type.Object({
  name: Type.String(),
  acceleratorModel: Type.String(),
  nodes: Type.Integer(),
  accelerators: Type.Integer(),
});

export const ClusterProbeSchema = Type.Object({ registered: Type.Boolean(), pools: Type.Array(FoundPoolSchema) });

/** One version of a pool's price. */
export const PriceSchema = Type.Object({
  fenPerAcceleratorHour: Type.Integer({ minimum: 0, description: 'Integer fen per accelerator-hour' }),
  validFrom: DateTime,
  validTo: Nullable(DateTime, { description: 'null while open-ended' }),
  createdBy: Type.String({ description: 'Who set this version' }),
});

// ---- Usage (routes/federation.ts) ----

export const UsageViewSchema = Type.Object({
  id: Type.String(),
  jobId: Type.String(),
  clusterId: Type.String(),
  poolId: Type.String(),
  engineJobId: Type.String(),
  acceleratorModel: Type.String(),
  acceleratorCount: Type.Integer(),
  startedAt: DateTime,
  endedAt: DateTime,
  elapsedSeconds: Type.Integer(),
  acceleratorSeconds: Type.Integer(),
  gflop: Type.String({ description: 'accelerator-seconds × dense FP16 GFLOPS: exact integer, as a string' }),
  ph: Type.String({ description: 'Normalised usage in P·h (PFLOPS-hours), rounded to 6 decimals for display' }),
  outcome: Nullable(StringEnum(RUN_OUTCOMES), {
    description: 'How the run ended (a time-out apart from a failure); null for runs metered before outcomes were kept',
  }),
});

export const UsageTotalSchema = Type.Object({
  tenantId: Type.String(),
  acceleratorModel: Type.String(),
  jobs: Type.Integer(),
  acceleratorSeconds: Type.Integer(),
  gflop: Type.String(),
  ph: Type.String(),
});

export const UsageReportSchema = Type.Object({
  items: Type.Array(UsageViewSchema),
  totals: Type.Array(UsageTotalSchema),
});

// ---- Onboarding and auth (routes/admin.ts, routes/federation.ts); providers and tenants are bodies too ----

export const ProviderSchema = Type.Object(
  {
    id: Slug('Provider id'),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    city: Type.String({ minLength: 1, maxLength: 100 }),
    regions: Regions,
    ownerOrganisation: Type.String({ minLength: 1, maxLength: 200 }),
    greenPowerBasisPoints: Type.Integer({ minimum: 0, maximum: 10000, default: 0 }),
  },
  { additionalProperties: false },
);

export const TenantSchema = Type.Object(
  {
    id: Slug('Tenant id'),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    category: Type.Union(TENANT_CATEGORIES.map((c) => Type.Literal(c))),
    regions: Regions,
    verified: Type.Boolean({ default: false }),
    organisation: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);

export const ProjectSchema = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  name: Type.String(),
  regions: Type.Array(Type.String(), { description: 'Region tags (e.g. wanbei), set by the operator' }),
});

/** A user: GET /whoami (the caller), GET and POST /users. */
export const UserSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: StringEnum(ROLES),
  tenantId: Nullable(Type.String()),
  providerId: Nullable(Type.String()),
});

export const IssuedTokenSchema = Type.Object({ userId: Type.String(), token: Type.String(), label: Type.String() });

export const RevokedTokensSchema = Type.Object({ revoked: Type.Integer() });

// ---- The province and providers' views (routes/province.ts) ----

const PDecimal = (description: string) => Type.String({ description: `${description}: P, exact decimal` });

export const CapacityRowSchema = Type.Object({
  key: Type.String(),
  label: Type.String(),
  capacityP: PDecimal('Dense FP16/BF16 PFLOPS of all accelerators'),
  busyP: PDecimal('Of which held by jobs now'),
  accelerators: Type.Integer(),
  busyAccelerators: Type.Integer(),
});

export const QueueRowSchema = Type.Object({
  key: Type.String({ description: 'The priority class or tenant category' }),
  pending: Type.Integer({ description: 'Jobs pending now' }),
  oldestWaitSeconds: Type.Integer(),
  meanWaitSeconds: Type.Integer({ description: 'Mean time pending so far of the jobs pending now' }),
  started: Type.Integer({ description: 'Jobs that started in the window' }),
  meanStartWaitSeconds: Type.Integer({ description: 'Their mean wait from submission to start' }),
});

export const OverviewSchema = Type.Object({
  at: DateTime,
  capacity: Type.Object({
    total: CapacityRowSchema,
    byCity: Type.Array(CapacityRowSchema),
    byProvider: Type.Array(CapacityRowSchema),
    byModel: Type.Array(CapacityRowSchema),
    byOrigin: Type.Array(CapacityRowSchema, { description: 'key domestic or foreign (Chinese-made or not)' }),
  }),
  clusters: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      providerName: Type.String(),
      city: Type.String(),
      engine: Type.String(),
      healthy: Type.Boolean(),
      healthReason: Nullable(Type.String()),
      lastInventoryAt: Nullable(DateTime),
    }),
  ),
  utilisation: Type.Object({
    from: DateTime,
    to: DateTime,
    stepSeconds: Type.Integer(),
    points: Type.Array(
      Type.Object({ at: DateTime, busyP: Type.Number({ description: 'Mean busy P over the step, 3 decimals' }) }),
    ),
  }),
  queue: Type.Object({
    byPriorityClass: Type.Array(QueueRowSchema),
    byTenantCategory: Type.Array(QueueRowSchema),
  }),
  reservedShares: Type.Array(
    Type.Object({
      group: Type.String({ description: 'A tenant category with a reserved share, or "shared" for the rest' }),
      nominalP: Type.Number(),
      usedP: Type.Number(),
      lentP: Type.Number({ description: 'Idle reserve other groups use now' }),
      borrowedP: Type.Number({ description: 'Use beyond the nominal share' }),
    }),
  ),
});

const BasisPoints = (description: string) =>
  Nullable(Type.Integer({ minimum: 0 }), { description: `${description}, basis points (10000 = 100%)` });
const Count = Type.Integer({ minimum: 0 });

/** One accelerator model in the chip race (docs/chips.md). */
export const ChipRowSchema = Type.Object({
  rank: Nullable(Type.Integer({ minimum: 1 }), { description: 'null: no finished run in the period' }),
  acceleratorModel: Type.String(),
  vendor: Nullable(Type.String()),
  domestic: Type.Boolean(),
  pools: Count,
  providers: Count,
  accelerators: Count,
  capacityP: Type.String({ description: 'exact decimal' }),
  runs: Type.Object({
    succeeded: Count,
    failed: Count,
    timeout: Count,
    cancelled: Count,
    preempted: Count,
    unknown: Count,
    lost: Count,
  }),
  acceleratorSeconds: Type.String({ pattern: '^[0-9]+$' }),
  ph: Type.String({ description: 'P·h of the runs that ended in the period, exact to 6 decimals' }),
  utilisationBp: BasisPoints('busy accelerator-seconds in the period ÷ accelerators × its seconds'),
  completionBp: BasisPoints('succeeded ÷ (succeeded + failed + timed out + lost) runs'),
  goodputBp: BasisPoints('accelerator-seconds of succeeded runs ÷ those of succeeded, failed and timed-out runs'),
  lostPer1000Hours: Nullable(Type.String({ description: 'lost runs per 1,000 accelerator-hours, 2 decimals' })),
  medianFenPerAcceleratorHour: Nullable(FenString),
  medianFenPerPh: Nullable(FenString),
});

/** GET /chips: the chip race, one row per accelerator model, best first. */
export const ChipRaceSchema = Type.Object({
  month: Type.String(),
  from: DateTime,
  to: DateTime,
  chips: Type.Array(ChipRowSchema),
});

export const ProviderJobSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  tenantId: Type.String(),
  state: StringEnum(JOB_STATES),
  priorityClass: StringEnum(PRIORITY_CLASSES),
  clusterId: Type.String(),
  poolId: Type.String(),
  acceleratorModel: Type.String(),
  accelerators: Type.Integer(),
  submittedAt: DateTime,
  startedAt: Nullable(DateTime),
});

// ---- Reconciliation (routes/reconciliation.ts) ----

export const RECONCILIATION_KINDS = [
  /** The engine has a job tagged for a suanli job id that suanli has no record of. */
  'unknown-to-suanli',
  /** The engine still queues or runs a job of a known suanli job that is not that job's live dispatch. */
  'stray-copy',
  /** suanli marked the job lost on this cluster. */
  'lost',
  /** A dispatch taken back from the cluster whose copy there was not cleanly cancelled, or not yet settled. */
  'withdrawn',
  /** suanli has the job dispatched or running on the cluster, but the engine does not list its engine job. */
  'untracked-active',
] as const;

export const ReconciliationReportSchema = Type.Object({
  checkedAt: DateTime,
  clusters: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      reachable: Type.Boolean({ description: 'Whether the engine answered; if not, only suanli’s records are used' }),
      error: Type.Optional(Type.String({ description: 'Why the engine did not answer' })),
    }),
  ),
  items: Type.Array(
    Type.Object({
      kind: Type.Union(
        RECONCILIATION_KINDS.map((k) => Type.Literal(k)),
        {
          description:
            'unknown-to-suanli: an engine job tagged for a job suanli has no record of; ' +
            'stray-copy: an engine job of a known job, still queued or running, that is not its live dispatch; ' +
            'lost: a job suanli marked lost; withdrawn: a withdrawn dispatch not cleanly cancelled (or not yet ' +
            'settled); untracked-active: a job suanli has dispatched or running that the engine does not list',
        },
      ),
      clusterId: Type.String(),
      jobId: Nullable(Type.String()),
      engineJobId: Nullable(Type.String()),
      engineState: Nullable(Type.String(), { description: 'The engine’s state for its job, when it lists it' }),
      detail: Type.String(),
    }),
  ),
});

// ---- Money (routes/money.ts, routes/money-programmes.ts) ----

/** One line of a ledger account, signed from its owner's side (+ in, − out). */
export const LineSchema = Type.Object({
  transactionId: Type.String(),
  at: DateTime,
  purpose: Type.String(),
  reason: Type.String(),
  usageRecordId: Nullable(Type.String()),
  saleId: Nullable(Type.String()),
  voucherId: Nullable(Type.String()),
  programmeId: Nullable(Type.String()),
  fen: FenString,
  yuan: Type.String(),
});

export const WalletSchema = Type.Object({
  tenantId: Type.String(),
  balanceFen: { ...FenString, description: 'Held for the tenant (negative: it owes)' },
  balance: Type.String(),
  recent: Type.Array(LineSchema),
});

export const StatementSchema = Type.Object({
  accountId: Type.String(),
  month: Type.String(),
  openingFen: FenString,
  closingFen: FenString,
  lines: Type.Array(LineSchema),
});

export const VoucherSchema = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  tenantId: Type.String(),
  programmeId: Type.String(),
  funder: Type.String(),
  faceFen: FenString,
  remainingFen: FenString,
  validFrom: DateTime,
  validTo: DateTime,
  providers: Type.Array(Type.String()),
  products: Type.Array(Type.String()),
  maxShareBasisPoints: Type.Integer(),
  issuedBy: Type.String(),
  issuedAt: DateTime,
});

/**
 * The answer to issuing a voucher: the voucher, and whether this request issued it (201) or found it issued before
 * under the same id and terms (200, `created: false`: nothing more was taken from the pool).
 */
export const IssuedVoucherSchema = Type.Intersect([VoucherSchema, Type.Object({ created: Type.Boolean() })]);

/** A provider's sale of a model service or corpus to a tenant, charged like metered usage (routes/sales.ts). */
export const SaleSchema = Type.Object({
  id: Type.String(),
  providerId: Type.String(),
  reference: Type.String({ description: "The seller's order number; recording it again charges nothing more" }),
  tenantId: Type.String(),
  projectId: Nullable(Type.String()),
  kind: Type.Union([Type.Literal('model'), Type.Literal('corpus')]),
  product: Type.String(),
  description: Type.String(),
  amountFen: { ...FenString, description: 'The price, charged to the tenant' },
  amount: Type.String(),
  occurredAt: DateTime,
  recordedBy: Type.String(),
  recordedAt: DateTime,
  voucherFen: { ...FenString, description: "Paid by the tenant's vouchers of the sale's kind (reversals netted)" },
  subsidyFen: { ...FenString, description: 'Subsidies awarded on it (reversals netted)' },
  reversed: Type.Boolean(),
});

const FlowSchema = { spendFen: FenString, voucherFen: FenString, subsidyFen: FenString };
/** The programme office's report over a month, quarter or year; the fields every report has. */
const ReportFields = {
  period: Type.String({ description: 'The period as written: YYYY-MM, YYYY-Qn or YYYY (China Standard Time)' }),
  kind: StringEnum(PERIOD_KINDS),
  from: DateTime,
  to: DateTime,
  generatedAt: DateTime,
  total: Type.Object(FlowSchema),
  byMonth: Type.Array(Type.Object({ month: Type.String(), ...FlowSchema }), {
    description: "The period's totals month by month, every month that has begun, in order",
  }),
  byCity: Type.Array(Type.Object({ city: Type.String(), ...FlowSchema })),
  byRegion: Type.Array(Type.Object({ region: Type.String(), ...FlowSchema })),
  byTenantCategory: Type.Array(Type.Object({ category: Type.String(), ...FlowSchema })),
  byKind: Type.Array(
    Type.Object({
      kind: Type.String({ description: 'compute (metered usage), model or corpus (sales)' }),
      ...FlowSchema,
    }),
  ),
  subsidyByProgrammeAndFunder: Type.Array(
    Type.Object({ programmeId: Type.String(), funder: Type.String(), fen: FenString }),
  ),
  poolsRemaining: Type.Array(Type.Object({ programmeId: Type.String(), funder: Type.String(), fen: FenString })),
  poolsAsOf: Type.String({ format: 'date-time', description: 'When the pools are taken: poolsAt' }),
  poolsAt: StringEnum(['period-end', 'now'] as const, {
    description: 'period-end: the period has ended and the pools are as they stood then; now: as the report is made',
  }),
  claimsAwaitingClose: Type.Array(Type.Object({ programmeId: Type.String(), claims: Type.Integer(), fen: FenString }), {
    description: 'Claims on pro-rata budgets not yet settled by a period close, as the report is made',
  }),
  topTenants: Type.Array(Type.Object({ tenantId: Type.String(), category: Type.String(), ...FlowSchema })),
  chips: Type.Array(ChipRowSchema, { description: 'The chip race over the period (GET /chips), best first' }),
};
export const PeriodReportSchema = Type.Object(ReportFields);
/** GET /reports/monthly/{month}: the same report, with the month under the name it has always had. */
export const MonthlyReportSchema = Type.Object({ month: Type.String(), ...ReportFields });

export const ProviderPayoutsSchema = Type.Object({
  providerId: Type.String(),
  payableFen: { ...FenString, description: 'Owed to the provider (charges less fees, less payouts)' },
  payable: Type.String(),
  payouts: Type.Array(
    Type.Object({
      transactionId: Type.String(),
      at: DateTime,
      reason: Type.String({ description: 'Names the bank transfer reference' }),
      fen: { ...FenString, description: 'Paid to the provider' },
      yuan: Type.String(),
    }),
  ),
});

export const ProgrammePoolSchema = Type.Object({
  programmeId: Type.String(),
  funder: Type.String(),
  budgetFen: { ...FenString, description: 'Paid into the pool by the funder' },
  spentFen: { ...FenString, description: 'Left the pool: subsidies paid and vouchers issued, net' },
  remainingFen: { ...FenString, description: 'Held in the pool now' },
});

/** A money movement recorded once per reference: 201 the first time, 200 (the same transaction) on a repeat. */
export const RecordedSchema = Type.Object({ transactionId: Type.String(), created: Type.Boolean() });

export const AwardedRateSchema = Type.Object({
  programmeId: Type.String(),
  tenantId: Type.String(),
  commitmentId: Type.Optional(Type.String()),
  basisPoints: Type.Integer(),
});

export const ProgrammeClaimsSchema = Type.Object({
  programmeId: Type.String(),
  claims: Type.Integer(),
  claimedFen: FenString,
  oldest: Type.String({ format: 'date-time', description: 'When the oldest claim’s usage ended' }),
});

const ByFunder = Type.Array(Type.Object({ funder: Type.String(), fen: FenString }));

export const CloseSchema = Type.Object({
  id: Type.String({ description: 'Empty for a dry run' }),
  programmeId: Type.String(),
  programmeVersion: Type.String(),
  period: Type.String(),
  periodStart: DateTime,
  periodEnd: DateTime,
  claimedFen: { ...FenString, description: 'Claims settled by the close' },
  paidFen: { ...FenString, description: 'Paid out: min(claimed, what the pools allow at their shares)' },
  poolsBefore: { ...ByFunder, description: "What each funder's pool held before the close" },
  byFunder: { ...ByFunder, description: 'What each funder paid' },
  payments: Type.Array(
    Type.Object({
      payee: Type.String(),
      payeeId: Type.String(),
      claimedFen: FenString,
      paidFen: FenString,
      byFunder: ByFunder,
      claims: Type.Integer(),
      transactionIds: Type.Array(Type.String()),
    }),
  ),
  explanation: Type.Array(Type.String()),
  closedBy: Type.String(),
  closedAt: DateTime,
});

export const CloseResultSchema = Type.Object({ close: CloseSchema, created: Type.Boolean() });
