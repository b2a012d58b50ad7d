-- The grace period (seconds from the preemption to the kill) the scheduler gave a preemption it decided, stored with
-- the request: the policy may give each preemption its own, and a control loop taking over after a failover must
-- stop the run at the same moment the one that decided it would have, not at its own policy's default. Null for a
-- preemption requested before this column existed (the policy's default applies).
alter table jobs add column preempt_grace_seconds integer check (preempt_grace_seconds >= 0);
