/**
 * The console's only way to the server: the same /api/v1 routes, bearer token and problem+json errors as the CLI.
 * Response types are the server's own schemas (src/server/schemas.ts), so a route that changes a shape a page relies
 * on is a type error here. `import type` only: erased, it brings no server code into the bundle. schemas.ts imports
 * nothing but TypeBox and src/core, so this tsconfig (DOM, no Node types) checks it without taking the server in.
 */
import type { Static } from '@sinclair/typebox';
import type {
  CapacityRowSchema,
  ChipRaceSchema,
  ClusterViewSchema,
  JobSchema,
  LineSchema,
  PeriodReportSchema,
  OverviewSchema,
  PoolViewSchema,
  PriceSchema,
  ProblemSchema,
  ProgrammePoolSchema,
  ProjectSchema,
  ProviderJobSchema,
  ProviderPayoutsSchema,
  ProviderSchema,
  QueueRowSchema,
  RecordedSchema,
  SaleSchema,
  StatementSchema,
  TenantSchema,
  UsageReportSchema,
  UsageTotalSchema,
  UsageViewSchema,
  UserSchema,
  IssuedVoucherSchema,
  VoucherSchema,
  WalletSchema,
} from '../../src/server/schemas.ts';

/** A problem+json body: what the pages read of it; the console makes one up when the server sent none. */
export type Problem = Pick<Static<typeof ProblemSchema>, 'status' | 'title' | 'detail' | 'errors'>;

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
  get status(): number {
    return this.problem.status;
  }
}

export type Fetcher = <T>(path: string, init?: { method?: string; body?: unknown; text?: boolean }) => Promise<T>;

export function fetcherFor(token: string): Fetcher {
  return async <T>(path: string, init: { method?: string; body?: unknown; text?: boolean } = {}) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    let body: string | undefined;
    if (typeof init.body === 'string') {
      headers['content-type'] = 'application/yaml';
      body = init.body;
    } else if (init.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.body);
    }
    const response = await fetch(`/api/v1${path}`, { method: init.method ?? 'GET', headers, body });
    if (!response.ok) {
      const problem = (await response.json().catch(() => null)) as Problem | null;
      throw new ApiError(
        problem?.detail
          ? problem
          : { status: response.status, title: response.statusText, detail: response.statusText },
      );
    }
    return (init.text ? await response.text() : await response.json()) as T;
  };
}

export type Whoami = Static<typeof UserSchema>;
export type Role = Whoami['role'];

/** A job; `events` only from GET /jobs/{id}. */
export type Job = Static<typeof JobSchema>;
export type JobEvent = NonNullable<Job['events']>[number];

export type Pool = Static<typeof PoolViewSchema>;
export type Cluster = Static<typeof ClusterViewSchema>;
export type Price = Static<typeof PriceSchema>;

export type Tenant = Static<typeof TenantSchema>;
export type Provider = Static<typeof ProviderSchema>;
export type Project = Static<typeof ProjectSchema>;

export type UsageRecord = Static<typeof UsageViewSchema>;
export type UsageTotal = Static<typeof UsageTotalSchema>;
export type UsageReport = Static<typeof UsageReportSchema>;

export type CapacityRow = Static<typeof CapacityRowSchema>;
export type QueueRow = Static<typeof QueueRowSchema>;
export type Overview = Static<typeof OverviewSchema>;
export type ChipRace = Static<typeof ChipRaceSchema>;
export type ChipRaceRow = ChipRace['chips'][number];

export type ProviderJob = Static<typeof ProviderJobSchema>;

/** One line of a ledger account, signed from its owner's side (+ in, − out); fen is exact, as a decimal string. */
export type LedgerLine = Static<typeof LineSchema>;
export type Wallet = Static<typeof WalletSchema>;
export type Voucher = Static<typeof VoucherSchema>;
/** POST /vouchers: `created` false when the id was issued before with the same terms (nothing more was done). */
export type IssuedVoucher = Static<typeof IssuedVoucherSchema>;
export type Statement = Static<typeof StatementSchema>;
/** Payouts newest first; fen is the amount paid to the provider. */
export type ProviderPayouts = Static<typeof ProviderPayoutsSchema>;
/** A money operation's answer: `created` false when its reference was recorded before (nothing more was done). */
export type Recorded = Static<typeof RecordedSchema>;
/** A sale of a model service or corpus to a tenant, newest first from GET /sales. */
export type Sale = Static<typeof SaleSchema>;
export type ProgrammePool = Static<typeof ProgrammePoolSchema>;
/** The programme office's report over a month, quarter or year (GET /reports/monthly|quarterly|yearly/…). */
export type PeriodReport = Static<typeof PeriodReportSchema>;
export type MoneyFlow = PeriodReport['total'];
