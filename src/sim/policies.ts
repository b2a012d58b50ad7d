/**
 * The policies the simulator compares: the scheduler's `POLICIES` (fifo, fifo-backfill, suanli), with the suanli
 * policy under an operator's configuration when `--policy FILE` gives one, and `strictFifo`, strict FIFO built from
 * fcfs (the queue stops at the first job that does not fit) for the engine's own tests.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import {
  DEFAULT_POLICY,
  POLICIES,
  applyPolicyOverride,
  formatPolicyErrors,
  suanliPolicy,
  type PolicyName,
} from '../core/scheduler/index.ts';
import { compareJobs, fcfs } from '../core/scheduler/fcfs.ts';
import type { PolicyConfig } from '../core/scheduler/policy-config.ts';
import type { SchedulingPolicy } from '../core/scheduler/types.ts';

export interface NamedPolicy {
  name: string;
  policy: SchedulingPolicy;
}

/** Strict FIFO: first-fit in submit order, stopping at the first job that cannot start. */
export const strictFifo: SchedulingPolicy = (snapshot, now) => {
  const decisions = fcfs(snapshot, now);
  const placed = new Set(decisions.placements.map((p) => p.jobId));
  const order = [...snapshot.pending].sort(compareJobs);
  const blocked = order.findIndex((j) => !placed.has(j.id));
  if (blocked < 0) return decisions;
  const allowed = new Set(order.slice(0, blocked).map((j) => j.id));
  return {
    placements: decisions.placements.filter((p) => allowed.has(p.jobId)),
    pending: order
      .filter((j) => !allowed.has(j.id))
      .map((j) => ({ jobId: j.id, reason: 'waiting behind the queue head' })),
  };
};

/** Resolves names to policies ('suanli' with `config`); names the scheduler does not know are returned in `missing`. */
export function resolvePolicies(
  names: readonly string[],
  config: PolicyConfig = DEFAULT_POLICY,
): { policies: NamedPolicy[]; missing: string[] } {
  const policies: NamedPolicy[] = [];
  const missing: string[] = [];
  for (const name of names) {
    if (!Object.hasOwn(POLICIES, name)) {
      missing.push(name);
      continue;
    }
    const policy = name === 'suanli' && config !== DEFAULT_POLICY ? suanliPolicy(config) : POLICIES[name as PolicyName];
    policies.push({ name, policy });
  }
  return { policies, missing };
}

/**
 * The suanli configuration in a policy file: its top-level `policy:` section (a server configuration file; its other
 * settings are ignored), or the whole document as that section. Throws naming the file and every bad field.
 */
export function readPolicyFile(file: string): PolicyConfig {
  let document: unknown;
  try {
    document = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const isMapping = typeof document === 'object' && document !== null && !Array.isArray(document);
  const section =
    isMapping && Object.hasOwn(document as object, 'policy') ? (document as { policy: unknown }).policy : document;
  const result = applyPolicyOverride(section);
  if (!result.ok) throw new Error(`${file}: invalid policy: ${formatPolicyErrors(result.errors)}`);
  return result.config;
}
