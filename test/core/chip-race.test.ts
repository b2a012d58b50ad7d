import { describe, expect, it } from 'vitest';
import { chipRace, type ChipRaceInput } from '../../src/core/chip-race.ts';

// November 2026 in China Standard Time: 30 days, 2,592,000 s.
const from = new Date('2026-11-01T00:00:00+08:00');
const to = new Date('2026-12-01T00:00:00+08:00');

const november: ChipRaceInput = {
  from,
  to,
  capacity: [
    { acceleratorModel: 'H100-SXM', pools: 2, providers: 1, accelerators: 16, fenPerAcceleratorHour: [1800n, 1650n] },
    { acceleratorModel: 'Ascend-910B', pools: 1, providers: 1, accelerators: 16, fenPerAcceleratorHour: [905n] },
    { acceleratorModel: 'MLU370-X8', pools: 1, providers: 1, accelerators: 8, fenPerAcceleratorHour: [] },
  ],
  runs: [
    { acceleratorModel: 'H100-SXM', outcome: 'succeeded', runs: 3, acceleratorSeconds: 36_000n },
    { acceleratorModel: 'H100-SXM', outcome: 'failed', runs: 1, acceleratorSeconds: 3_600n },
    { acceleratorModel: 'H100-SXM', outcome: 'timeout', runs: 1, acceleratorSeconds: 7_200n },
    { acceleratorModel: 'H100-SXM', outcome: 'preempted', runs: 2, acceleratorSeconds: 1_800n },
    { acceleratorModel: 'Ascend-910B', outcome: 'succeeded', runs: 4, acceleratorSeconds: 14_400n },
    // Metered before outcomes were kept, on a model no pool offers any more.
    { acceleratorModel: 'X-9000', outcome: null, runs: 2, acceleratorSeconds: 100n },
  ],
  busyAcceleratorSeconds: new Map([['H100-SXM', 41_472n]]),
  lostRuns: new Map([['H100-SXM', 1]]),
};

describe('the chip race', () => {
  it('gives the hand-worked figures and ranks by completion, unranked models last', () => {
    const rows = chipRace(november);
    expect(rows.map((r) => [r.rank, r.acceleratorModel])).toEqual([
      [1, 'Ascend-910B'],
      [2, 'H100-SXM'],
      [null, 'MLU370-X8'],
      [null, 'X-9000'],
    ]);
    const h100 = rows[1]!;
    expect(h100).toEqual({
      rank: 2,
      acceleratorModel: 'H100-SXM',
      vendor: 'NVIDIA',
      domestic: false,
      pools: 2,
      providers: 1,
      accelerators: 16,
      // 16 × 989.5 TFLOPS.
      capacityP: '15.832',
      runs: { succeeded: 3, failed: 1, timeout: 1, cancelled: 0, preempted: 2, unknown: 0, lost: 1 },
      // 36,000 + 3,600 + 7,200 + 1,800.
      acceleratorSeconds: '48600',
      // 48,600 s × 989,500 GFLOPS ÷ 3.6e9 GFLOP per P·h = 13.35825.
      ph: '13.358250',
      // 41,472 ÷ (16 × 2,592,000) = 0.1%.
      utilisationBp: 10,
      // 3 succeeded of 3 + 1 failed + 1 timed out + 1 lost.
      completionBp: 5000,
      // 36,000 ÷ 46,800 = 76.923…%.
      goodputBp: 7692,
      // 1 lost in 13.5 accelerator-hours: 74.074… per 1,000.
      lostPer1000Hours: '74.07',
      // Of 1,650 and 1,800 the lower middle, a price a pool really charges.
      medianFenPerAcceleratorHour: '1650',
      // 1,650 fen ÷ 0.9895 P = 1,667.51 → 1,668 fen per P·h.
      medianFenPerPh: '1668',
    });
    expect(rows[0]).toMatchObject({
      domestic: true,
      completionBp: 10_000,
      goodputBp: 10_000,
      lostPer1000Hours: '0.00',
      utilisationBp: 0,
      // 905 ÷ 0.353894 P = 2,557.26 → 2,557.
      medianFenPerPh: '2557',
    });
    expect(rows[2]).toMatchObject({
      runs: { succeeded: 0, failed: 0, timeout: 0, cancelled: 0, preempted: 0, unknown: 0, lost: 0 },
      utilisationBp: 0,
      completionBp: null,
      goodputBp: null,
      lostPer1000Hours: null,
      medianFenPerAcceleratorHour: null,
      medianFenPerPh: null,
    });
    expect(rows[3]).toMatchObject({
      vendor: null,
      accelerators: 0,
      capacityP: '0',
      ph: '0',
      runs: { unknown: 2 },
      acceleratorSeconds: '100',
      utilisationBp: null,
      completionBp: null,
    });
  });

  it('breaks a tie in completion by goodput, then by losses per accelerator-hour', () => {
    const tied = chipRace({
      from,
      to,
      capacity: [],
      runs: [
        { acceleratorModel: 'A100-80GB', outcome: 'succeeded', runs: 1, acceleratorSeconds: 100n },
        { acceleratorModel: 'A100-80GB', outcome: 'failed', runs: 1, acceleratorSeconds: 900n },
        { acceleratorModel: 'H800', outcome: 'succeeded', runs: 1, acceleratorSeconds: 900n },
        { acceleratorModel: 'H800', outcome: 'failed', runs: 1, acceleratorSeconds: 100n },
        { acceleratorModel: 'K100', outcome: 'succeeded', runs: 1, acceleratorSeconds: 900n },
        { acceleratorModel: 'K100', outcome: 'failed', runs: 1, acceleratorSeconds: 100n },
      ],
      busyAcceleratorSeconds: new Map(),
      lostRuns: new Map([['K100', 2]]),
    });
    // Completion: A100 and H800 1 of 2; K100 1 of 4. H800 wastes less time failing than A100.
    expect(tied.map((r) => [r.rank, r.acceleratorModel, r.completionBp, r.goodputBp])).toEqual([
      [1, 'H800', 5000, 9000],
      [2, 'A100-80GB', 5000, 1000],
      [3, 'K100', 2500, 9000],
    ]);
    // Same completion (2 of 4) and goodput (2/3): the model that lost a run ranks below the one that failed two.
    const lossy = chipRace({
      from,
      to,
      capacity: [],
      runs: [
        { acceleratorModel: 'Ascend-910B', outcome: 'succeeded', runs: 2, acceleratorSeconds: 200n },
        { acceleratorModel: 'Ascend-910B', outcome: 'failed', runs: 1, acceleratorSeconds: 100n },
        { acceleratorModel: 'MLU370-X8', outcome: 'succeeded', runs: 2, acceleratorSeconds: 200n },
        { acceleratorModel: 'MLU370-X8', outcome: 'failed', runs: 2, acceleratorSeconds: 100n },
      ],
      busyAcceleratorSeconds: new Map(),
      lostRuns: new Map([['Ascend-910B', 1]]),
    });
    expect(lossy.map((r) => [r.rank, r.acceleratorModel, r.completionBp, r.goodputBp, r.lostPer1000Hours])).toEqual([
      [1, 'MLU370-X8', 5000, 6667, '0.00'],
      [2, 'Ascend-910B', 5000, 6667, '12000.00'],
    ]);
  });

  it('refuses a period that does not end after it starts', () => {
    expect(() => chipRace({ ...november, to: from })).toThrow(/must end after it starts/);
  });
});
