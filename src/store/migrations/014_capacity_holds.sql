-- Capacity the scheduler keeps for a job it preempted for (docs/scheduling.md, "Holds"). Kept here, not only in the
-- leader's memory, so that a control loop taking over after a failover honours the holds of the one before it
-- instead of handing the freed nodes to another job: the ping-pong that holds exist to prevent. The lease holder
-- rewrites the set when its holds change.
create table capacity_holds (
  job_id text primary key references jobs(id),
  pool_id text not null references pools(id),
  node_names text[] not null check (cardinality(node_names) > 0),
  accelerators_per_node integer not null check (accelerators_per_node > 0),
  since timestamptz not null
);
