/**
 * Capacity arithmetic for scheduling decisions. Stored usage is exact (integer GFLOP, compute.ts); a scheduling
 * cycle only compares and sums, so it works in floating-point P, which is exact enough for that and fast.
 */
import { findAccelerator } from '../accelerators.ts';
import { tflopsToGflops } from '../compute.ts';

const cache = new Map<string, number>();

/** P (PFLOPS) of one accelerator of this model; 0 for a model the catalogue does not know (it counts as free). */
export function pPerAccelerator(model: string): number {
  let p = cache.get(model);
  if (p === undefined) {
    const spec = findAccelerator(model);
    p = spec === undefined ? 0 : Number(tflopsToGflops(spec.denseFp16Tflops)) / 1e6;
    cache.set(model, p);
  }
  return p;
}

const domestic = new Map<string, boolean>();

export function isDomestic(model: string): boolean {
  let d = domestic.get(model);
  if (d === undefined) domestic.set(model, (d = findAccelerator(model)?.domestic ?? false));
  return d;
}

/** "7.92 P", "12.5 P", "8 P": short, for people. */
export function formatP(p: number): string {
  return `${Number(p.toFixed(p >= 10 ? 1 : 2))} P`;
}
