/**
 * The scheduler's public face: `decide` is the one function the control plane calls each cycle; it runs the suanli
 * policy (suanli.ts) with DEFAULT_POLICY unless given a config. `POLICIES` names the baselines for side-by-side
 * runs (the simulator). Callers depend only on the types in types.ts and policy-config.ts.
 */
import { easyBackfill } from './easy-backfill.ts';
import { fifo } from './fifo.ts';
import { DEFAULT_POLICY, type PolicyConfig } from './policy-config.ts';
import { suanli } from './suanli.ts';
import type { Decisions, SchedulingPolicy, SchedulingSnapshot } from './types.ts';

export type * from './types.ts';
export type * from './policy-config.ts';
export { DEFAULT_POLICY } from './policy-config.ts';
export { applyPolicyOverride, formatPolicyErrors, type PolicyFieldError } from './policy-override.ts';
export { fcfs } from './fcfs.ts';
export { fifo } from './fifo.ts';
export { easyBackfill } from './easy-backfill.ts';

/** Places what can be placed now, explains the rest and names jobs to preempt. Pure and deterministic. */
export function decide(snapshot: SchedulingSnapshot, now: Date, config: PolicyConfig = DEFAULT_POLICY): Decisions {
  return suanli(snapshot, now, config);
}

/** The suanli policy with a given configuration. */
export function suanliPolicy(config: PolicyConfig): SchedulingPolicy {
  return (snapshot, now) => suanli(snapshot, now, config);
}

export type PolicyName = 'fifo' | 'fifo-backfill' | 'suanli';

export const POLICIES: Record<PolicyName, SchedulingPolicy> = {
  fifo,
  'fifo-backfill': easyBackfill,
  suanli: suanliPolicy(DEFAULT_POLICY),
};
