/** Pending-reason text beyond filter.ts's pool-by-pool causes: queue context people can act on. */
import type { PriorityClass } from '../domain.ts';
import type { PoolState } from './capacity.ts';
import { pendingReason } from './filter.ts';
import type { Shape } from './shapes.ts';
import type { PoolRejection } from './types.ts';

/** Static and busy rejections, merged back into pool order so the reason reads as filter.ts's does. */
export function busyReason(shape: Shape, busy: readonly PoolState[]): string {
  const all: Array<{ index: number; rejection: PoolRejection }> = [
    ...shape.rejections,
    ...busy.map((p) => ({ index: p.index, rejection: p.busyRejection(shape.perNode, shape.count) })),
  ];
  all.sort((a, b) => a.index - b.index);
  return pendingReason(all.map((r) => r.rejection));
}

export function staticReason(shape: Shape): string {
  return pendingReason(shape.rejections.map((r) => r.rejection));
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "in ~2 h", "in ~15 min", "now". */
export function inAbout(ms: number): string {
  if (ms <= 0) return 'now';
  const minutes = Math.ceil(ms / 60_000);
  return minutes < 90 ? `in ~${minutes} min` : `in ~${Math.round(minutes / 60)} h`;
}

/** Waiting jobs ahead of the current one, by class. */
export class Ahead {
  total = 0;
  strategic = 0;

  add(cls: PriorityClass): void {
    this.total++;
    if (cls === 'strategic') this.strategic++;
  }

  context(cls: PriorityClass): string {
    if (cls !== 'strategic' && this.strategic > 0) return `; waiting behind ${plural(this.strategic, 'strategic job')}`;
    if (this.total > 0) return `; ${plural(this.total, 'job')} ahead in the queue`;
    return '';
  }
}

export { plural };
