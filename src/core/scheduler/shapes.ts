/**
 * What about a job does not change within a cycle: which pools could ever take it and why the others cannot.
 * Jobs with the same requirement, constraints and gang size share one `Shape`. Each part of filter.ts's checkPool
 * (model, constraints, size) is also cached by itself, so a 100k-job queue with thousands of shapes checks each pool
 * once per distinct requirement, constraint set and gang size rather than once per job.
 */
import type { JobSpec } from '../domain.ts';
import type { PoolState } from './capacity.ts';
import { acceptedModels, checkConstraints, checkHealth, checkModel, checkSize } from './filter.ts';
import type { PoolRejection } from './types.ts';

export interface Shape {
  key: string;
  perNode: number;
  count: number;
  /** Pools that pass every static check, in pool order. */
  eligible: PoolState[];
  /** Static rejections with their pool's index, in pool order. */
  rejections: Array<{ index: number; rejection: PoolRejection }>;
  /** True when the job accepts both domestic and other pools: the domestic floor may steer it. */
  domesticChoice: boolean;
  /** P per accelerator of the cheapest eligible model, for fair-share estimates before placement. */
  minPPerAccel: number;
}

type PerPool = Array<PoolRejection | null>;

export function shapeKey(spec: JobSpec): string {
  return JSON.stringify([spec.accelerator, spec.constraints, spec.acceleratorsPerNode, spec.nodes]);
}

export class ShapeCache {
  private readonly shapes = new Map<string, Shape>();
  private readonly models = new Map<string, PerPool>();
  private readonly constraints = new Map<string, PerPool>();
  private readonly sizes = new Map<string, PerPool>();
  private readonly health: PerPool;

  constructor(private readonly pools: readonly PoolState[]) {
    this.health = pools.map((p) => checkHealth(p.pool));
  }

  of(spec: JobSpec): Shape {
    const key = shapeKey(spec);
    let shape = this.shapes.get(key);
    if (shape === undefined) {
      shape = this.build(key, spec);
      this.shapes.set(key, shape);
    }
    return shape;
  }

  private part(cache: Map<string, PerPool>, key: string, check: (pool: PoolState) => PoolRejection | null): PerPool {
    let found = cache.get(key);
    if (found === undefined) {
      found = this.pools.map(check);
      cache.set(key, found);
    }
    return found;
  }

  private build(key: string, spec: JobSpec): Shape {
    const { acceleratorsPerNode: perNode, nodes: count } = spec;
    // Only on a miss: the catalogue lookups are the costly part.
    let accepted: { models: ReadonlySet<string> | null } | undefined;
    const models = this.part(this.models, JSON.stringify(spec.accelerator), (p) => {
      accepted ??= { models: acceptedModels(spec) };
      return checkModel(accepted.models, p.pool, p.model);
    });
    const constraints = this.part(this.constraints, JSON.stringify(spec.constraints), (p) =>
      checkConstraints(spec.constraints, p.pool),
    );
    const sizes = this.part(this.sizes, `${perNode}x${count}`, (p) => checkSize(perNode, count, p.pool, p));
    const eligible: PoolState[] = [];
    const rejections: Shape['rejections'] = [];
    for (const state of this.pools) {
      const i = state.index;
      const rejection = models[i] ?? constraints[i] ?? sizes[i] ?? this.health[i] ?? null;
      if (rejection) rejections.push({ index: i, rejection });
      else eligible.push(state);
    }
    const domestic = eligible.some((p) => p.domestic);
    const minPPerAccel = eligible.reduce((m, p) => Math.min(m, p.pPerAccel), Infinity);
    return {
      key,
      perNode,
      count,
      eligible,
      rejections,
      domesticChoice: domestic && eligible.some((p) => !p.domestic),
      minPPerAccel: Number.isFinite(minPPerAccel) ? minPPerAccel : 0,
    };
  }
}
