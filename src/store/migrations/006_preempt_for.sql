-- The pending job a preemption is making room for: the scheduler gives the victim's accelerators to that job only.
alter table jobs add column preempt_for text;
