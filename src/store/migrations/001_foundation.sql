-- suanli foundation schema: federation (providers, clusters, pools, prices), tenants and users, jobs with their
-- event history, usage records, and the control-loop lease.

create table providers (
  id text primary key,
  name text not null unique,
  city text not null,
  regions text[] not null default '{}',
  owner_organisation text not null,
  green_power_bp integer not null default 0 check (green_power_bp between 0 and 10000),
  created_at timestamptz not null default now()
);

create table clusters (
  id text primary key,
  provider_id text not null references providers(id),
  name text not null unique,
  engine text not null check (engine in ('local', 'slurm', 'kubernetes')),
  -- Engine settings (paths, URLs); secrets are references, never the secret itself.
  config jsonb not null default '{}',
  healthy boolean not null default true,
  failed_polls integer not null default 0,
  health_reason text,
  inventory_at timestamptz,
  created_at timestamptz not null default now()
);

create table pools (
  id text primary key,
  cluster_id text not null references clusters(id),
  name text not null,
  accelerator_model text not null,
  -- [{name, accelerators, state}] as last read from the engine.
  nodes jsonb not null default '[]',
  unique (cluster_id, name)
);

create table pool_prices (
  id bigserial primary key,
  pool_id text not null references pools(id),
  fen_per_accelerator_hour bigint not null check (fen_per_accelerator_hour >= 0),
  valid_from timestamptz not null,
  valid_to timestamptz,
  created_at timestamptz not null default now(),
  check (valid_to is null or valid_to > valid_from)
);
create index pool_prices_pool on pool_prices (pool_id, valid_from);

create table tenants (
  id text primary key,
  name text not null unique,
  category text not null check (category in ('enterprise', 'startup', 'university', 'research-institute', 'government')),
  regions text[] not null default '{}',
  verified boolean not null default false,
  organisation text not null,
  created_at timestamptz not null default now()
);

create table projects (
  id text primary key,
  tenant_id text not null references tenants(id),
  name text not null,
  created_at timestamptz not null default now(),
  unique (tenant_id, name)
);

create table users (
  id text primary key,
  name text not null unique,
  role text not null check (role in ('operator', 'provider-admin', 'tenant-admin', 'tenant-member')),
  tenant_id text references tenants(id),
  provider_id text references providers(id),
  created_at timestamptz not null default now(),
  check ((role in ('tenant-admin', 'tenant-member')) = (tenant_id is not null)),
  check ((role = 'provider-admin') = (provider_id is not null))
);

-- Bearer tokens are stored only as SHA-256 hashes.
create table api_tokens (
  token_hash text primary key,
  user_id text not null references users(id),
  label text not null default '',
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);

create table jobs (
  id text primary key,
  tenant_id text not null references tenants(id),
  project_id text not null references projects(id),
  submitted_by text not null references users(id),
  name text not null,
  priority_class text not null,
  spec jsonb not null,
  state text not null check (state in ('pending', 'admitted', 'dispatched', 'running', 'succeeded', 'failed',
    'cancelled', 'preempted', 'dispatch-failed', 'lost')),
  reason text,
  cluster_id text references clusters(id),
  pool_id text references pools(id),
  node_names text[] not null default '{}',
  dispatch_tag text unique,
  engine_job_id text,
  attempt integer not null default 0,
  submitted_at timestamptz not null,
  started_at timestamptz,
  ended_at timestamptz,
  exit_code integer,
  cancel_requested_at timestamptz,
  -- When the control loop claimed an admitted job for its engine submit. Set while still admitted after a crash
  -- means "in doubt": recovery asks the engine by dispatch tag before it submits again.
  dispatch_started_at timestamptz,
  idempotency_key text,
  updated_at timestamptz not null,
  unique (tenant_id, idempotency_key)
);
create index jobs_state on jobs (state, submitted_at);
create index jobs_tenant on jobs (tenant_id, submitted_at desc);

-- Every state change of every job: the job's history and the audit trail.
create table job_events (
  id bigserial primary key,
  job_id text not null references jobs(id),
  at timestamptz not null,
  from_state text,
  to_state text not null,
  reason text not null,
  actor text not null
);
create index job_events_job on job_events (job_id, id);

-- Accelerator time from the engine's own accounting; one row per run, whatever how often it is delivered.
create table usage_records (
  id text primary key,
  job_id text not null references jobs(id),
  tenant_id text not null references tenants(id),
  project_id text not null references projects(id),
  cluster_id text not null references clusters(id),
  pool_id text references pools(id),
  engine_job_id text not null,
  accelerator_model text not null,
  accelerator_count integer not null check (accelerator_count >= 0),
  started_at timestamptz not null,
  ended_at timestamptz not null,
  elapsed_seconds bigint not null check (elapsed_seconds >= 0),
  accelerator_seconds bigint not null check (accelerator_seconds >= 0),
  -- accelerator_seconds x dense FP16 GFLOPS of the model: exact; 1 P·h = 3.6e9 GFLOP.
  gflop bigint not null check (gflop >= 0),
  recorded_at timestamptz not null default now(),
  unique (cluster_id, engine_job_id, accelerator_model)
);
create index usage_records_tenant on usage_records (tenant_id, ended_at);

-- One control loop acts at a time: whoever holds an unexpired lease. The epoch fences a stale holder.
create table leases (
  name text primary key,
  holder text not null,
  epoch bigint not null,
  expires_at timestamptz not null
);
