/**
 * Configuration of the local engine: pools of virtual nodes on this one machine.
 */

export interface LocalPoolConfig {
  name: string;
  acceleratorModel: string;
  /** The accelerators are real NVIDIA GPUs: ranks also get CUDA_VISIBLE_DEVICES. */
  real?: boolean;
  /** Virtual node names; several let a single machine run multi-node gangs. */
  nodes: Array<{ name: string; accelerators: number }>;
}

export interface LocalEngineConfig {
  /** Holds `jobs/<engineJobId>/`; may be shared with a later engine instance, which re-attaches. */
  workDir: string;
  pools: LocalPoolConfig[];
  /** Seconds between SIGTERM and SIGKILL when a job is cancelled, times out or loses a rank. Default 5. */
  killGraceSeconds?: number;
  /**
   * Host environment variables the job's processes inherit (the spec's env comes on top).
   * A whitelist, because the control plane's own environment may carry secrets such as database URLs.
   */
  passEnv?: string[];
}

export const DEFAULT_KILL_GRACE_SECONDS = 5;

export const DEFAULT_PASS_ENV = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TMPDIR',
  'LD_LIBRARY_PATH',
  'CUDA_HOME',
];

/** Throws on a configuration the engine cannot serve, naming what is wrong. */
export function validateLocalEngineConfig(config: LocalEngineConfig): void {
  if (!config.workDir) throw new Error('local engine: workDir is required');
  const pools = new Set<string>();
  for (const pool of config.pools) {
    if (!pool.name) throw new Error('local engine: every pool needs a name');
    if (pools.has(pool.name)) throw new Error(`local engine: pool "${pool.name}" is configured twice`);
    pools.add(pool.name);
    const nodes = new Set<string>();
    for (const node of pool.nodes) {
      if (!node.name) throw new Error(`local engine: pool "${pool.name}" has a node without a name`);
      if (nodes.has(node.name)) throw new Error(`local engine: pool "${pool.name}" lists node "${node.name}" twice`);
      nodes.add(node.name);
      if (!Number.isInteger(node.accelerators) || node.accelerators < 0) {
        throw new Error(`local engine: node "${pool.name}/${node.name}" needs a whole, non-negative accelerator count`);
      }
    }
  }
  if ('queueAheadAccelerators' in config) {
    // Jobs queued ahead come without nodes; this engine runs each job on the nodes the scheduler chose.
    throw new Error('local engine: queueAheadAccelerators is for engines with a queue of their own (slurm)');
  }
  const grace = config.killGraceSeconds;
  if (grace !== undefined && !(grace >= 0 && Number.isFinite(grace))) {
    throw new Error('local engine: killGraceSeconds must be a non-negative number');
  }
}
