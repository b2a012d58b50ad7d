-- Runs that ended on their engine and whose accounting is still to be stored as usage. A job releases its
-- accelerators when its run ends; its usage is metered from the engine's accounting when that arrives (slurmdbd
-- lags the controller by up to seconds), in batches. The row goes when the usage records are stored.
create table metering_queue (
  cluster_id text not null references clusters(id),
  engine_job_id text not null,
  job_id text not null references jobs(id),
  pool_id text references pools(id),
  ended_at timestamptz not null,
  enqueued_at timestamptz not null,
  primary key (cluster_id, engine_job_id)
);
