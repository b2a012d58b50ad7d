/** Kysely table types for the schema in migrations/. int8 columns come back as strings (see drivers.ts). */
import type { ColumnType, Generated } from 'kysely';
import type { RunOutcome } from '../core/domain.ts';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Int8 = ColumnType<string, string | number | bigint, string | number | bigint>;
/** An int8 with a database default: read as a string, optional on insert. */
type GeneratedInt8 = ColumnType<string, string | number | bigint | undefined, string | number | bigint>;
type Json<T> = ColumnType<T, string, string>;

export interface ProvidersTable {
  id: string;
  name: string;
  city: string;
  regions: string[];
  owner_organisation: string;
  green_power_bp: number;
  price_rounding: Generated<string>;
  platform_fee_bp: Generated<number>;
  created_at: Generated<Timestamp>;
}

export interface ClustersTable {
  id: string;
  provider_id: string;
  name: string;
  engine: string;
  config: Json<Record<string, unknown>>;
  healthy: Generated<boolean>;
  failed_polls: Generated<number>;
  health_reason: string | null;
  inventory_at: Timestamp | null;
  created_at: Generated<Timestamp>;
}

export interface PoolNodeRow {
  name: string;
  accelerators: number;
  state: string;
}

export interface PoolsTable {
  id: string;
  cluster_id: string;
  name: string;
  accelerator_model: string;
  nodes: Json<PoolNodeRow[]>;
}

export interface PoolPricesTable {
  id: Generated<Int8>;
  pool_id: string;
  fen_per_accelerator_hour: Int8;
  valid_from: Timestamp;
  valid_to: Timestamp | null;
  created_at: Generated<Timestamp>;
  created_by: Generated<string>;
}

export interface TenantsTable {
  id: string;
  name: string;
  category: string;
  regions: string[];
  verified: boolean;
  organisation: string;
  created_at: Generated<Timestamp>;
}

export interface ProjectsTable {
  id: string;
  tenant_id: string;
  name: string;
  regions: Generated<string[]>;
  created_at: Generated<Timestamp>;
}

export interface UsersTable {
  id: string;
  name: string;
  role: string;
  tenant_id: string | null;
  provider_id: string | null;
  created_at: Generated<Timestamp>;
}

export interface ApiTokensTable {
  token_hash: string;
  user_id: string;
  label: Generated<string>;
  created_at: Generated<Timestamp>;
  revoked_at: Timestamp | null;
}

export interface JobsTable {
  id: string;
  tenant_id: string;
  project_id: string;
  submitted_by: string;
  name: string;
  priority_class: string;
  spec: Json<unknown>;
  state: string;
  reason: string | null;
  cluster_id: string | null;
  pool_id: string | null;
  node_names: Generated<string[]>;
  dispatch_tag: string | null;
  engine_job_id: string | null;
  attempt: Generated<number>;
  submitted_at: Timestamp;
  started_at: Timestamp | null;
  ended_at: Timestamp | null;
  exit_code: number | null;
  cancel_requested_at: Timestamp | null;
  dispatch_started_at: Timestamp | null;
  preempt_requested_at: Timestamp | null;
  preempt_reason: string | null;
  preempt_for: string | null;
  preempt_grace_seconds: number | null;
  idempotency_key: string | null;
  updated_at: Timestamp;
}

export interface JobEventsTable {
  id: Generated<Int8>;
  job_id: string;
  at: Timestamp;
  from_state: string | null;
  to_state: string;
  reason: string;
  actor: string;
}

export interface UsageRecordsTable {
  id: string;
  job_id: string;
  tenant_id: string;
  project_id: string;
  cluster_id: string;
  pool_id: string | null;
  engine_job_id: string;
  accelerator_model: string;
  accelerator_count: number;
  started_at: Timestamp;
  ended_at: Timestamp;
  elapsed_seconds: Int8;
  accelerator_seconds: Int8;
  gflop: Int8;
  recorded_at: Generated<Timestamp>;
  /** How the run ended (migration 013); null for runs metered before it. */
  outcome: Generated<RunOutcome | null>;
  /** Its place in the ledger's stream (migration 016): the inserting transaction (xid8, as text) and order in it. */
  ledger_xid: Generated<string>;
  ledger_seq: GeneratedInt8;
}

export interface LeasesTable {
  name: string;
  holder: string;
  epoch: Int8;
  expires_at: Timestamp;
}

export interface WithdrawnDispatchesTable {
  cluster_id: string;
  engine_job_id: string;
  job_id: string;
  withdrawn_at: Timestamp;
  settled_at: Timestamp | null;
  outcome: string | null;
  detail: string | null;
}

export interface CapacityHoldsTable {
  job_id: string;
  pool_id: string;
  node_names: string[];
  accelerators_per_node: number;
  since: Timestamp;
}

export interface MeteringQueueTable {
  cluster_id: string;
  engine_job_id: string;
  job_id: string;
  pool_id: string | null;
  ended_at: Timestamp;
  enqueued_at: Timestamp;
  outcome: Generated<RunOutcome | null>;
}

export interface LedgerAccountsTable {
  id: string;
  kind: string;
  owner_id: string | null;
  currency: Generated<string>;
  /** Cache of Σ postings, kept by a trigger in the posting transaction. */
  balance_fen: GeneratedInt8;
  created_at: Generated<Timestamp>;
}

export interface LedgerTransactionsTable {
  id: string;
  seq: GeneratedInt8;
  at: Timestamp;
  purpose: string;
  reason: string;
  idempotency_key: string;
  amount_fen: Int8;
  posting_count: number;
  usage_record_id: string | null;
  sale_id: Generated<string | null>;
  voucher_id: string | null;
  programme_id: string | null;
  programme_version: string | null;
  programme_rule: string | null;
  funder: string | null;
  reverses: string | null;
  tenant_id: string | null;
  provider_id: string | null;
  detail: Json<Record<string, unknown>>;
  recorded_by: string;
  recorded_at: Generated<Timestamp>;
}

export interface SalesTable {
  id: string;
  provider_id: string;
  reference: string;
  tenant_id: string;
  project_id: string | null;
  kind: string;
  product: string;
  description: Generated<string>;
  amount_fen: Int8;
  occurred_at: Timestamp;
  recorded_by: string;
  recorded_at: Timestamp;
}

export interface LedgerPostingsTable {
  transaction_id: string;
  seq: number;
  posting_count: number;
  account_id: string;
  fen: Int8;
}

export interface VouchersTable {
  id: string;
  kind: string;
  tenant_id: string;
  programme_id: string;
  funder: string;
  face_fen: Int8;
  valid_from: Timestamp;
  valid_to: Timestamp;
  providers: string[];
  products: string[];
  max_share_bp: Generated<number>;
  issued_by: string;
  issued_at: Timestamp;
}

/** The lines of a charge transaction that charges many usage records (migration 016); arrays in line order. */
export interface LedgerChargeLinesTable {
  transaction_id: string;
  stream_xid: string;
  stream_seq: Int8;
  usage_seqs: string[];
  fen: string[];
  fee_fen: string[];
  price_versions: string[];
}

/** How far the ledger's posters have read the usage records (one row). */
export interface LedgerStreamPositionTable {
  id: Generated<boolean>;
  xid: string;
  seq: Int8;
  moved_at: Generated<Timestamp>;
}

export interface PostingQueueTable {
  usage_record_id: string;
  enqueued_at: Generated<Timestamp>;
  generation: Generated<number>;
  attempts: Generated<number>;
  unpriced_reason: string | null;
  last_attempt_at: Timestamp | null;
}

export interface ProgrammeAwardedRatesTable {
  id: GeneratedInt8;
  programme_id: string;
  tenant_id: string;
  commitment_id: string | null;
  basis_points: number;
  decided_by: string;
  decided_at: Timestamp;
}

export interface AuditLogTable {
  id: GeneratedInt8;
  at: Timestamp;
  actor: string;
  action: string;
  object_type: string;
  object_id: string;
  before: Json<unknown> | null;
  after: Json<unknown> | null;
}

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: Generated<Timestamp>;
}

export interface Database {
  providers: ProvidersTable;
  clusters: ClustersTable;
  pools: PoolsTable;
  pool_prices: PoolPricesTable;
  tenants: TenantsTable;
  projects: ProjectsTable;
  users: UsersTable;
  api_tokens: ApiTokensTable;
  jobs: JobsTable;
  job_events: JobEventsTable;
  usage_records: UsageRecordsTable;
  leases: LeasesTable;
  withdrawn_dispatches: WithdrawnDispatchesTable;
  metering_queue: MeteringQueueTable;
  capacity_holds: CapacityHoldsTable;
  ledger_accounts: LedgerAccountsTable;
  ledger_transactions: LedgerTransactionsTable;
  ledger_postings: LedgerPostingsTable;
  vouchers: VouchersTable;
  sales: SalesTable;
  posting_queue: PostingQueueTable;
  ledger_charge_lines: LedgerChargeLinesTable;
  ledger_stream_position: LedgerStreamPositionTable;
  audit_log: AuditLogTable;
  programme_awarded_rates: ProgrammeAwardedRatesTable;
  schema_migrations: SchemaMigrationsTable;
}
