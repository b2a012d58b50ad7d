-- Jobs taken back from a cluster that stopped answering before they started there, and placed elsewhere. The
-- engine may still hold them: when the cluster answers again they are cancelled there, and what happened to each is
-- kept for the operator's reconciliation report. Nothing here is charged: the job's charged run is its new one.
create table withdrawn_dispatches (
  cluster_id text not null references clusters(id),
  engine_job_id text not null,
  job_id text not null references jobs(id),
  withdrawn_at timestamptz not null,
  settled_at timestamptz,
  -- cancelled (never started there) | ran-while-withdrawn (it started or finished there before we could cancel)
  -- | gone (the engine no longer knows it)
  outcome text,
  detail text,
  primary key (cluster_id, engine_job_id)
);
create index withdrawn_dispatches_unsettled on withdrawn_dispatches (cluster_id) where settled_at is null;
