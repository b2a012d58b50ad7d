-- A preemption the scheduler decided and the control loop is carrying out: the job is being stopped on its engine
-- and will return to the queue (preempted -> pending) rather than end as cancelled.
alter table jobs add column preempt_requested_at timestamptz;
alter table jobs add column preempt_reason text;
