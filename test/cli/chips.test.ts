import { afterEach, describe, expect, it } from 'vitest';
import { percent } from '../../src/cli/commands/chips.ts';
import type { ChipRace } from '../../src/cli/types.ts';
import { api, fakeApi, run, type FakeApi } from './helpers.ts';

let fake: FakeApi | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const race: ChipRace = {
  month: '2026-11',
  from: '2026-10-31T16:00:00.000Z',
  to: '2026-11-30T16:00:00.000Z',
  chips: [
    {
      rank: 1,
      acceleratorModel: 'Ascend-910B',
      vendor: 'Huawei',
      domestic: true,
      pools: 1,
      providers: 1,
      accelerators: 16,
      capacityP: '5.662304',
      runs: { succeeded: 4, failed: 0, timeout: 0, cancelled: 1, preempted: 0, unknown: 0, lost: 0 },
      acceleratorSeconds: '14400',
      ph: '1.415576',
      utilisationBp: 10,
      completionBp: 10_000,
      goodputBp: 10_000,
      lostPer1000Hours: '0.00',
      medianFenPerAcceleratorHour: '905',
      medianFenPerPh: '2557',
    },
    {
      rank: null,
      acceleratorModel: 'MLU370-X8',
      vendor: 'Cambricon',
      domestic: true,
      pools: 1,
      providers: 1,
      accelerators: 8,
      capacityP: '0.768',
      runs: { succeeded: 0, failed: 0, timeout: 0, cancelled: 0, preempted: 0, unknown: 0, lost: 0 },
      acceleratorSeconds: '0',
      ph: '0.000000',
      utilisationBp: 0,
      completionBp: null,
      goodputBp: null,
      lostPer1000Hours: null,
      medianFenPerAcceleratorHour: null,
      medianFenPerPh: null,
    },
  ],
};

describe('suanli chips', () => {
  it('asks for the month and prints the ranked models with exact percentages and yuan', async () => {
    fake = await fakeApi(() => ({ json: race }));
    const r = await run(['chips', '--month', '2026-11'], { env: api(fake) });
    expect(r.code, r.stderr).toBe(0);
    expect(fake.requests[0]?.path).toBe('/api/v1/chips');
    expect(fake.requests[0]?.query.get('month')).toBe('2026-11');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('2026-11 (2026-10-31T16:00:00.000Z to 2026-11-30T16:00:00.000Z)');
    const cells = (line: string | undefined) => (line ?? '').trim().split(/\s{2,}/);
    expect(cells(lines[1])).toEqual([
      'RANK',
      'MODEL',
      'ACCEL',
      'ENDED RUNS',
      'COMPLETED',
      'GOODPUT',
      'LOST/1000H',
      'UTILISATION',
      'P·H',
      'PRICE/P·H',
    ]);
    // Ended runs leave out the cancelled one: a user's cancel says nothing of the chip.
    expect(cells(lines[2])).toEqual([
      '1',
      'Ascend-910B (domestic)',
      '16',
      '4',
      '100.0%',
      '100.0%',
      '0.00',
      '0.1%',
      '1.415576',
      '¥25.57',
    ]);
    expect(cells(lines[3])).toEqual(['-', 'MLU370-X8 (domestic)', '8', '0', '-', '-', '-', '0.0%', '0.000000', '-']);
  });

  it('refuses a malformed month before asking the API', async () => {
    fake = await fakeApi(() => ({ json: race }));
    const r = await run(['chips', '--month', '2026-13'], { env: api(fake) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/month/);
    expect(fake.requests).toHaveLength(0);
  });

  it('rounds basis points half up to a tenth of a percent', () => {
    expect([percent(7692), percent(7695), percent(5), percent(4), percent(0), percent(null)]).toEqual([
      '76.9%',
      '77.0%',
      '0.1%',
      '0.0%',
      '0.0%',
      '-',
    ]);
  });
});
