/**
 * The chip "horse race" (赛马机制, Anhui action plan 2025 三(五)1: "chips that run well get a larger share of later
 * procurement"): how each accelerator model really ran on the platform over a period, from the runs the platform
 * followed and metered, not from datasheets. docs/chips.md defines every figure.
 *
 * Pure and exact: counts and accelerator-seconds are integers, ratios are basis points rounded half up by integer
 * arithmetic, so the same runs always rank the same way.
 */
import { findAccelerator } from './accelerators.ts';
import { GFLOPS_PER_P, capacityP, formatPh, gflopsOf } from './compute.ts';
import type { RunOutcome } from './domain.ts';

/** The metered runs of one model that ended in the period with one outcome (null: metered before outcomes were kept). */
export interface ChipRunGroup {
  acceleratorModel: string;
  outcome: RunOutcome | null;
  runs: number;
  /** All the runs' accelerator-seconds, as metered. */
  acceleratorSeconds: bigint;
}

/** A model's pools as they stand (capacity is what the model offered in the period, read from the pools now). */
export interface ChipCapacity {
  acceleratorModel: string;
  pools: number;
  providers: number;
  accelerators: number;
  /** Current list prices of its pools, fen per accelerator-hour (one per priced pool). */
  fenPerAcceleratorHour: readonly bigint[];
}

export interface ChipRaceInput {
  from: Date;
  to: Date;
  capacity: readonly ChipCapacity[];
  runs: readonly ChipRunGroup[];
  /** Accelerator-seconds of each model's runs inside [from, to) (a run across a bound counts only its part inside). */
  busyAcceleratorSeconds: ReadonlyMap<string, bigint>;
  /** Runs the platform marked lost on each model in the period (the cluster no longer knew them: nothing metered). */
  lostRuns: ReadonlyMap<string, number>;
}

export interface ChipRaceRow {
  /** 1 = ran best; models without a finished run in the period are not ranked (null) and come last. */
  rank: number | null;
  acceleratorModel: string;
  vendor: string | null;
  domestic: boolean;
  pools: number;
  providers: number;
  accelerators: number;
  capacityP: string;
  runs: Record<RunOutcome | 'unknown' | 'lost', number>;
  acceleratorSeconds: string;
  ph: string;
  /** Busy accelerator-seconds ÷ (accelerators × the period's seconds), basis points; null without capacity. */
  utilisationBp: number | null;
  /** Succeeded ÷ (succeeded + failed + timed out + lost) runs, basis points; null without such runs. */
  completionBp: number | null;
  /** Accelerator-seconds of succeeded runs ÷ those of succeeded, failed and timed-out runs, basis points. */
  goodputBp: number | null;
  /** Lost runs per 1,000 accelerator-hours metered, to 2 decimals; null with nothing metered. */
  lostPer1000Hours: string | null;
  /** The median list price of the model's priced pools, fen per accelerator-hour. */
  medianFenPerAcceleratorHour: string | null;
  /** That price per P·h of dense FP16 compute (fen), rounded half up: what a unit of normalised compute costs. */
  medianFenPerPh: string | null;
}

/** a × 10,000 / b rounded half up; null when b is 0. */
function basisPoints(a: bigint, b: bigint): number | null {
  if (b === 0n) return null;
  return Number((a * 20_000n + b) / (2n * b));
}

const median = (values: readonly bigint[]): bigint | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const mid = Math.floor(sorted.length / 2);
  // An even count takes the lower middle: a price that some pool really charges, never an average of two.
  return sorted.length % 2 === 1 ? sorted[mid]! : sorted[mid - 1]!;
};

/** fen per accelerator-hour → fen per P·h: fen × GFLOPS per P ÷ the model's GFLOPS, half up. */
function fenPerPh(model: string, fenPerAcceleratorHour: bigint): bigint | null {
  const gflops = findAccelerator(model) ? gflopsOf(model) : 0n;
  if (gflops === 0n) return null;
  const numerator = fenPerAcceleratorHour * GFLOPS_PER_P;
  return (numerator * 2n + gflops) / (2n * gflops);
}

/** Lost runs per 1,000 accelerator-hours, exact to 2 decimals (half up). */
function perThousandHours(lost: number, acceleratorSeconds: bigint): string | null {
  if (acceleratorSeconds === 0n) return null;
  // lost × 1000 h × 3600 s/h × 100 (two decimals) ÷ seconds.
  const hundredths = (BigInt(lost) * 360_000_000n * 2n + acceleratorSeconds) / (2n * acceleratorSeconds);
  return `${hundredths / 100n}.${(hundredths % 100n).toString().padStart(2, '0')}`;
}

/** Better first: completion, then goodput, then fewer losses per hour, then the model's name for a stable order. */
function compare(a: ChipRaceRow, b: ChipRaceRow): number {
  if ((a.completionBp === null) !== (b.completionBp === null)) return a.completionBp === null ? 1 : -1;
  const byCompletion = (b.completionBp ?? 0) - (a.completionBp ?? 0);
  if (byCompletion !== 0) return byCompletion;
  const byGoodput = (b.goodputBp ?? -1) - (a.goodputBp ?? -1);
  if (byGoodput !== 0) return byGoodput;
  const lostA = Number(a.lostPer1000Hours ?? 0);
  const lostB = Number(b.lostPer1000Hours ?? 0);
  if (lostA !== lostB) return lostA - lostB;
  return a.acceleratorModel < b.acceleratorModel ? -1 : a.acceleratorModel > b.acceleratorModel ? 1 : 0;
}

export function chipRace(input: ChipRaceInput): ChipRaceRow[] {
  const periodSeconds = BigInt(Math.floor((input.to.getTime() - input.from.getTime()) / 1000));
  if (periodSeconds <= 0n) throw new RangeError('the period must end after it starts');
  const models = new Set<string>([
    ...input.capacity.map((c) => c.acceleratorModel),
    ...input.runs.map((r) => r.acceleratorModel),
    ...input.lostRuns.keys(),
  ]);
  const rows: ChipRaceRow[] = [];
  for (const model of models) {
    const spec = findAccelerator(model);
    const capacity = input.capacity.find((c) => c.acceleratorModel === model);
    const runs: ChipRaceRow['runs'] = {
      succeeded: 0,
      failed: 0,
      timeout: 0,
      cancelled: 0,
      preempted: 0,
      unknown: 0,
      lost: input.lostRuns.get(model) ?? 0,
    };
    const seconds: Record<RunOutcome | 'unknown', bigint> = {
      succeeded: 0n,
      failed: 0n,
      timeout: 0n,
      cancelled: 0n,
      preempted: 0n,
      unknown: 0n,
    };
    for (const group of input.runs) {
      if (group.acceleratorModel !== model) continue;
      const key = group.outcome ?? 'unknown';
      runs[key] += group.runs;
      seconds[key] += group.acceleratorSeconds;
    }
    const total = Object.values(seconds).reduce((a, b) => a + b, 0n);
    const ended = runs.succeeded + runs.failed + runs.timeout + runs.lost;
    const accelerators = capacity?.accelerators ?? 0;
    const price = median(capacity?.fenPerAcceleratorHour ?? []);
    const perPh = price === null ? null : fenPerPh(model, price);
    rows.push({
      rank: null,
      acceleratorModel: model,
      vendor: spec?.vendor ?? null,
      domestic: spec?.domestic ?? false,
      pools: capacity?.pools ?? 0,
      providers: capacity?.providers ?? 0,
      accelerators,
      capacityP: spec ? capacityP(model, accelerators) : '0',
      runs,
      acceleratorSeconds: total.toString(),
      ph: spec ? formatPh(gflopsOf(model) * total) : '0',
      utilisationBp: basisPoints(input.busyAcceleratorSeconds.get(model) ?? 0n, BigInt(accelerators) * periodSeconds),
      completionBp: basisPoints(BigInt(runs.succeeded), BigInt(ended)),
      goodputBp: basisPoints(seconds.succeeded, seconds.succeeded + seconds.failed + seconds.timeout),
      lostPer1000Hours: perThousandHours(runs.lost, total),
      medianFenPerAcceleratorHour: price === null ? null : price.toString(),
      medianFenPerPh: perPh === null ? null : perPh.toString(),
    });
  }
  rows.sort(compare);
  let rank = 0;
  for (const row of rows) if (row.completionBp !== null) row.rank = ++rank;
  return rows;
}
