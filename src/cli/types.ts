/**
 * The API's response shapes, as the CLI reads them (times are ISO-8601 strings or null): the server's own schemas
 * (src/server/schemas.ts), so a route that changes a shape the CLI relies on is a type error here, not a surprise.
 */
import type { Static } from '@sinclair/typebox';
import type {
  AwardedRateSchema,
  ChipRaceSchema,
  CloseResultSchema,
  CloseSchema,
  ClusterProbeSchema,
  ClusterViewSchema,
  FoundPoolSchema,
  IssuedTokenSchema,
  JobEventSchema,
  JobSchema,
  PoolNodeSchema,
  PoolViewSchema,
  PriceSchema,
  ProgrammeClaimsSchema,
  ProjectSchema,
  ProviderSchema,
  ReconciliationReportSchema,
  RecordedSchema,
  RevokedTokensSchema,
  SaleSchema,
  TenantSchema,
  UsageReportSchema,
  UsageTotalSchema,
  UsageViewSchema,
  UserSchema,
  VoucherSchema,
  WalletSchema,
} from '../server/schemas.ts';

export type Whoami = Static<typeof UserSchema>;
export type ChipRace = Static<typeof ChipRaceSchema>;

/** A job as every job route returns it; `events` is there only in GET /jobs/{id} (JobDetailView). */
export type JobView = Omit<Static<typeof JobSchema>, 'events'>;
export type EventView = Static<typeof JobEventSchema>;
export type JobDetailView = JobView & { events: EventView[] };

export type PoolNodeView = Static<typeof PoolNodeSchema>;
export type PoolView = Static<typeof PoolViewSchema>;
export type ClusterView = Static<typeof ClusterViewSchema>;

export type UsageView = Static<typeof UsageViewSchema>;
export type UsageTotalView = Static<typeof UsageTotalSchema>;

export interface List<T> {
  items: T[];
}

export type UsageReport = Static<typeof UsageReportSchema>;

export type ProviderView = Static<typeof ProviderSchema>;
export type TenantView = Static<typeof TenantSchema>;
export type ProjectView = Static<typeof ProjectSchema>;

/** A user as GET /users lists it (the same shape as whoami). */
export type UserView = Whoami;

export type IssuedToken = Static<typeof IssuedTokenSchema>;
export type RevokedTokens = Static<typeof RevokedTokensSchema>;

/** A pool a cluster probe found (POST /clusters, with or without dryRun). */
export type FoundPoolView = Static<typeof FoundPoolSchema>;
export type ClusterProbeView = Static<typeof ClusterProbeSchema>;

/** One version of a pool's price; validTo null while open-ended. */
export type PriceView = Static<typeof PriceSchema>;

/** GET /reconciliation: what the clusters' engines hold against what suanli recorded. */
export type ReconciliationReport = Static<typeof ReconciliationReportSchema>;

/** Money: amounts are strings of whole fen. */
export type WalletView = Static<typeof WalletSchema>;
export type VoucherView = Static<typeof VoucherSchema>;
/** A sale of a model service or corpus (POST/GET /sales). */
export type SaleView = Static<typeof SaleSchema>;
/** A money movement recorded once per reference (top-ups, payouts, fundings). */
export type Recorded = Static<typeof RecordedSchema>;
export type AwardedRateView = Static<typeof AwardedRateSchema>;
/** GET /programmes/claims: per programme, the claims not yet settled by a period close. */
export type ProgrammeClaimsView = Static<typeof ProgrammeClaimsSchema>;
export type CloseView = Static<typeof CloseSchema>;
export type CloseResult = Static<typeof CloseResultSchema>;
