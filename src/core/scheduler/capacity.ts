/**
 * Free capacity of one pool during a cycle, indexed so that a fit test costs O(node sizes), not O(nodes).
 * Up nodes sit in buckets by their free accelerators; best fit takes from the lowest bucket that fits, so partly
 * used nodes fill first and whole nodes stay free for large gangs (the same rule as filter.ts's pickNodes).
 */
import type { PoolRejection, SnapshotPool } from './types.ts';
import { canonicalModel, compareStrings, isUp, poolLabel, type PoolStats } from './filter.ts';
import { isDomestic, pPerAccelerator } from './units.ts';

function insertSorted(list: number[], value: number): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((list[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, value);
}

function removeSorted(list: number[], value: number): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((list[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  if (list[lo] === value) list.splice(lo, 1);
}

export class PoolState implements PoolStats {
  readonly label: string;
  readonly model: string;
  readonly pPerAccel: number;
  readonly domestic: boolean;
  /** Node names in code-point order: the index of a node everywhere below. */
  readonly names: string[];
  readonly sizes: number[];
  readonly up: boolean[];
  /** Free accelerators now, per node (0 for nodes that are down or drained). */
  readonly free: number[];
  readonly maxSize: number;
  readonly largest: number;
  /** P of the up nodes of a healthy pool: what reserved shares are a share of. */
  readonly usableP: number;
  private readonly levels: number[][];
  /** Capacity only shrinks within a cycle, so a failed fit stays failed: count → smallest perNode that failed. */
  private readonly failed = new Map<number, number>();
  private readonly bigEnoughUp = new Map<number, number>();
  private readonly bigEnoughAll = new Map<number, number>();
  private byName: Map<string, number> | undefined;
  /** Bumped when the pool's free capacity changes: cached "nothing fits here" answers stay valid while it holds. */
  version = 0;

  constructor(
    readonly pool: SnapshotPool,
    readonly index: number,
  ) {
    this.label = poolLabel(pool);
    this.model = canonicalModel(pool.acceleratorModel);
    this.pPerAccel = pPerAccelerator(this.model);
    this.domestic = isDomestic(this.model);
    const nodes = [...pool.nodes].sort((a, b) => compareStrings(a.name, b.name));
    this.names = nodes.map((n) => n.name);
    this.sizes = nodes.map((n) => Math.max(0, n.accelerators));
    this.up = nodes.map((n) => isUp(n));
    this.free = nodes.map((n, i) => (this.up[i] ? Math.max(0, Math.min(n.free, n.accelerators)) : 0));
    this.maxSize = this.sizes.reduce((m, s) => Math.max(m, s), 0);
    this.largest = nodes.reduce((m, n) => Math.max(m, n.accelerators), 0);
    this.levels = Array.from({ length: this.maxSize + 1 }, () => []);
    let upAccelerators = 0;
    this.free.forEach((f, i) => {
      if (!this.up[i]) return;
      upAccelerators += this.sizes[i] as number;
      if (f > 0) this.levels[f]?.push(i);
    });
    this.usableP = pool.healthy ? upAccelerators * this.pPerAccel : 0;
  }

  /** Up nodes with at least `perNode` free. */
  countAtLeast(perNode: number): number {
    let n = 0;
    for (let f = Math.max(1, perNode); f <= this.maxSize; f++) n += (this.levels[f] as number[]).length;
    return n;
  }

  fits(perNode: number, count: number): boolean {
    const failedAt = this.failed.get(count);
    if (failedAt !== undefined && perNode >= failedAt) return false;
    if (this.countAtLeast(perNode) >= count) return true;
    this.failed.set(count, Math.min(failedAt ?? Infinity, perNode));
    return false;
  }

  /** The best-fit nodes (indices) for a gang, or null. Does not take them. */
  pick(perNode: number, count: number): number[] | null {
    const chosen: number[] = [];
    for (let f = Math.max(1, perNode); f <= this.maxSize && chosen.length < count; f++) {
      for (const i of this.levels[f] as number[]) {
        chosen.push(i);
        if (chosen.length === count) break;
      }
    }
    return chosen.length === count ? chosen : null;
  }

  /** Accelerators the best-fit pick would leave free on the nodes it touches: 0 = a perfect fill. */
  leftover(perNode: number, count: number): number {
    let left = count;
    let waste = 0;
    for (let f = Math.max(1, perNode); f <= this.maxSize && left > 0; f++) {
      const n = Math.min(left, (this.levels[f] as number[]).length);
      waste += n * (f - perNode);
      left -= n;
    }
    return waste;
  }

  /** For checkPool: nodes, up or not, with at least `perNode` accelerators. */
  bigEnough(perNode: number): number {
    let n = this.bigEnoughAll.get(perNode);
    if (n === undefined) {
      n = this.pool.nodes.filter((node) => node.accelerators >= perNode).length;
      this.bigEnoughAll.set(perNode, n);
    }
    return n;
  }

  take(indices: readonly number[], perNode: number): string[] {
    this.version++;
    return indices.map((i) => {
      const before = this.free[i] as number;
      const after = before - perNode;
      removeSorted(this.levels[before] as number[], i);
      if (after > 0) insertSorted(this.levels[after] as number[], i);
      this.free[i] = after;
      return this.names[i] as string;
    });
  }

  /** Changes one node's free accelerators by `delta` (a hold taking or giving back capacity). */
  adjust(i: number, delta: number): void {
    if (delta === 0) return;
    this.version++;
    const before = this.free[i] as number;
    const after = before + delta;
    if (before > 0) removeSorted(this.levels[before] as number[], i);
    if (after > 0) insertSorted(this.levels[after] as number[], i);
    this.free[i] = after;
    // Capacity grew: failed fits may fit now (callers grow capacity only before the queue pass).
    if (delta > 0) this.failed.clear();
  }

  /** Whether the gang would fit on the up nodes once they were empty (what an engine's own queue waits for). */
  fitsWhenEmpty(perNode: number, count: number): boolean {
    return this.upWithSize(perNode) >= count;
  }

  private upWithSize(perNode: number): number {
    let n = this.bigEnoughUp.get(perNode);
    if (n === undefined) {
      n = this.sizes.filter((s, i) => this.up[i] && s >= perNode).length;
      this.bigEnoughUp.set(perNode, n);
    }
    return n;
  }

  /** Why the pool cannot take the gang now: the same words as filter.ts's busyRejection, without a node scan. */
  busyRejection(perNode: number, count: number): PoolRejection {
    const up = this.upWithSize(perNode);
    let cause: string;
    if (up < count) {
      cause = count === 1 ? 'all nodes down or drained' : `only ${up} of ${count} nodes up`;
    } else if (count === 1) {
      let best = 0;
      for (let f = this.maxSize; f > 0 && best === 0; f--) {
        if ((this.levels[f] as number[]).some((i) => (this.sizes[i] as number) >= perNode)) best = f;
      }
      cause = best === 0 ? `no ${this.model} free` : `not enough ${this.model} free (${best} of ${perNode} needed)`;
    } else {
      cause = `not enough ${this.model} free (${this.countAtLeast(perNode)} of ${count} nodes with ${perNode} free)`;
    }
    return { pool: this.label, kind: 'busy', cause };
  }

  nodeIndex(name: string): number {
    if (this.names.length > 16) {
      this.byName ??= new Map(this.names.map((n, i) => [n, i]));
      return this.byName.get(name) ?? -1;
    }
    let lo = 0;
    let hi = this.names.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareStrings(this.names[mid] as string, name) < 0) lo = mid + 1;
      else hi = mid;
    }
    return this.names[lo] === name ? lo : -1;
  }
}

/** Whether `count` entries of `free` (up nodes only) hold at least `perNode`. */
export function enoughIn(free: readonly number[], up: readonly boolean[], perNode: number, count: number): boolean {
  let n = 0;
  for (let i = 0; i < free.length && n < count; i++) if (up[i] && (free[i] as number) >= perNode) n++;
  return n >= count;
}
