-- How each metered run ended, as the control plane saw it when it followed the run to its end: the chip "horse race"
-- (赛马机制, docs/chips.md) compares accelerator models by how their runs end, not only by how long they ran. The
-- engine's word, not the job's: a job whose run was preempted is requeued, and a time-out is kept apart from a
-- failure. Rows stored before this migration have none (null: not known).
alter table metering_queue add column outcome text
  check (outcome in ('succeeded', 'failed', 'timeout', 'cancelled', 'preempted'));
alter table usage_records add column outcome text
  check (outcome in ('succeeded', 'failed', 'timeout', 'cancelled', 'preempted'));
create index usage_records_ended on usage_records (ended_at);
