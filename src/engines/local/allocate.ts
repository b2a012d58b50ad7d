/**
 * Submit checks and the choice of concrete accelerator indices on each node of a gang.
 */
import { EngineRejection } from '../engine.ts';
import type { EngineSubmitRequest } from '../engine.ts';
import type { LocalPoolConfig } from './config.ts';
import type { RankAssignment } from './files.ts';

/** Indices in use, keyed by `nodeKey(pool, node)`. */
export type BusyIndices = Map<string, Set<number>>;

export const nodeKey = (pool: string, node: string): string => `${pool}\u0000${node}`;

export const IMAGE_REJECTION =
  'the local engine runs commands on the host and cannot run container images; remove `image` or choose a Kubernetes or Slurm cluster';

/** Throws EngineRejection for a request that could never run here, whatever else is running. */
export function checkRequest(pools: LocalPoolConfig[], request: EngineSubmitRequest): LocalPoolConfig {
  const { spec } = request;
  if (spec.image !== undefined) throw new EngineRejection(IMAGE_REJECTION);
  const hasCommand = spec.command !== undefined && spec.command.length > 0;
  if (hasCommand === (spec.script !== undefined)) {
    throw new EngineRejection('the job needs exactly one of `command` (a non-empty argv) and `script`');
  }
  if (!(Number.isFinite(spec.timeLimitSeconds) && spec.timeLimitSeconds > 0)) {
    throw new EngineRejection(`time limit must be a positive number of seconds, not ${spec.timeLimitSeconds}`);
  }
  if (!Number.isInteger(spec.acceleratorsPerNode) || spec.acceleratorsPerNode < 0) {
    throw new EngineRejection(`acceleratorsPerNode must be a whole number, not ${spec.acceleratorsPerNode}`);
  }
  const pool = pools.find((p) => p.name === request.pool);
  if (!pool) {
    const known = pools.map((p) => p.name).join(', ') || 'none';
    throw new EngineRejection(`no pool "${request.pool}" on this local engine (pools: ${known})`);
  }
  if (request.nodeNames.length !== spec.nodes) {
    throw new EngineRejection(`the job asks for ${spec.nodes} node(s) but ${request.nodeNames.length} were chosen`);
  }
  if (new Set(request.nodeNames).size !== request.nodeNames.length) {
    throw new EngineRejection(`a node was chosen twice: ${request.nodeNames.join(', ')}`);
  }
  for (const name of request.nodeNames) {
    const node = pool.nodes.find((n) => n.name === name);
    if (!node) throw new EngineRejection(`pool "${pool.name}" has no node "${name}"`);
    if (node.accelerators < spec.acceleratorsPerNode) {
      throw new EngineRejection(
        `node "${name}" has ${node.accelerators} accelerator(s); the job asks for ${spec.acceleratorsPerNode} per node`,
      );
    }
  }
  return pool;
}

/**
 * The lowest free indices on each chosen node, rank order = node order.
 * Too few free is a plain Error, not a rejection: it passes once running jobs end.
 */
export function assignAccelerators(
  pool: LocalPoolConfig,
  request: EngineSubmitRequest,
  busy: BusyIndices,
): RankAssignment[] {
  const perNode = request.spec.acceleratorsPerNode;
  return request.nodeNames.map((name, rank) => {
    const total = pool.nodes.find((n) => n.name === name)?.accelerators ?? 0;
    const used = busy.get(nodeKey(pool.name, name)) ?? new Set<number>();
    const free = Array.from({ length: total }, (_, i) => i).filter((i) => !used.has(i));
    if (free.length < perNode) {
      throw new Error(
        `node "${name}" in pool "${pool.name}" has ${free.length} free accelerator(s) of ${total}; the job needs ${perNode}`,
      );
    }
    return { rank, node: name, accelerators: free.slice(0, perNode) };
  });
}
