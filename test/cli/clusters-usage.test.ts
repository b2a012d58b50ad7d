import { afterEach, describe, expect, it } from 'vitest';
import type { UsageReport } from '../../src/cli/types.ts';
import { api, cluster, fakeApi, run, type FakeApi } from './helpers.ts';

let fake: FakeApi | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function cells(line: string | undefined): string[] {
  return (line ?? '').trim().split(/\s{2,}/);
}

describe('suanli clusters', () => {
  it('prints one row per pool with free/total accelerators and exact yuan prices', async () => {
    const base = cluster();
    const pool = base.pools[0]!;
    const items = [
      cluster({
        pools: [
          pool,
          {
            ...pool,
            id: 'pool-2',
            name: 'ascend',
            acceleratorModel: 'Ascend-910B',
            domestic: true,
            fenPerAcceleratorHour: 5,
          },
          { ...pool, id: 'pool-3', name: 'spare', fenPerAcceleratorHour: null },
          { ...pool, id: 'pool-4', name: 'big', fenPerAcceleratorHour: 123_456_789 },
        ],
      }),
      cluster({
        id: 'cl-2',
        name: '芜湖-b',
        healthy: false,
        healthReason: 'slurmctld unreachable',
        provider: { id: 'pr-2', name: '芜湖数据中心', city: 'Wuhu', regions: ['anhui'] },
        pools: [],
      }),
    ];
    fake = await fakeApi(() => ({ json: { items } }));
    const r = await run(['clusters'], { env: api(fake) });

    expect(r.code).toBe(0);
    expect(fake.requests[0]?.path).toBe('/api/v1/clusters');
    const lines = r.stdout.trimEnd().split('\n');
    expect(cells(lines[0])).toEqual([
      'CLUSTER',
      'PROVIDER',
      'CITY',
      'ENGINE',
      'HEALTH',
      'POOL',
      'MODEL',
      'ACCELERATORS',
      'CAPACITY (P)',
      'PRICE (¥/ACCEL-H)',
    ]);
    expect(cells(lines[1])).toEqual([
      'hefei-a',
      'Hefei AICC',
      'Hefei',
      'slurm',
      'ok',
      'h100',
      'H100-SXM',
      '4/8',
      '7.912',
      '¥12.50',
    ]);
    expect(cells(lines[2]).slice(6)).toEqual(['Ascend-910B (domestic)', '4/8', '7.912', '¥0.05']);
    expect(cells(lines[3]).at(-1)).toBe('-');
    expect(cells(lines[4]).at(-1)).toBe('¥1234567.89');
    expect(cells(lines[5]).slice(0, 6)).toEqual([
      '芜湖-b',
      '芜湖数据中心',
      'Wuhu',
      'slurm',
      'down: slurmctld unreachable',
      '-',
    ]);
    // Right-aligned prices end in the same column.
    expect(new Set(lines.slice(0, 5).map((l) => l.length)).size).toBe(1);
  });

  it('prints the API response with --json', async () => {
    fake = await fakeApi(() => ({ json: { items: [cluster()] } }));
    const r = await run(['clusters', '--json'], { env: api(fake) });
    expect(JSON.parse(r.stdout)).toEqual({ items: [cluster()] });
  });
});

describe('suanli usage', () => {
  const report: UsageReport = {
    items: [
      {
        id: 'u-1',
        jobId: 'job-1',
        clusterId: 'cl-hefei-1',
        poolId: 'pool-1',
        engineJobId: '1001',
        acceleratorModel: 'H100-SXM',
        acceleratorCount: 8,
        startedAt: '2025-01-31T08:00:00Z',
        endedAt: '2025-01-31T09:30:00Z',
        elapsedSeconds: 5400,
        acceleratorSeconds: 43_200,
        gflop: '42724800000',
        ph: '11.868',
        outcome: 'timeout',
      },
    ],
    totals: [
      {
        tenantId: 'tenant-hf',
        acceleratorModel: 'H100-SXM',
        jobs: 1,
        acceleratorSeconds: 43_200,
        gflop: '42724800000',
        ph: '11.868',
      },
      {
        tenantId: 'tenant-hf',
        acceleratorModel: 'Ascend-910B',
        jobs: 2,
        acceleratorSeconds: 7200,
        gflop: '2',
        ph: '0.7536',
      },
    ],
  };

  it('prints the records, then totals per tenant and model and an exact grand total', async () => {
    fake = await fakeApi(() => ({ json: report }));
    const r = await run(['usage', '--from', '2025-01-01T00:00:00Z', '--to', '2025-02-01', '--job', 'job-1'], {
      env: api(fake),
    });

    expect(r.code).toBe(0);
    expect(fake.requests[0]?.path).toBe('/api/v1/usage');
    expect(Object.fromEntries(fake.requests[0]?.query ?? [])).toEqual({
      from: '2025-01-01T00:00:00.000Z',
      to: '2025-02-01T00:00:00.000Z',
      jobId: 'job-1',
    });
    const lines = r.stdout.trimEnd().split('\n');
    expect(cells(lines[0])).toEqual(['JOB', 'CLUSTER', 'MODEL', 'ACCEL', 'ELAPSED', 'ACCEL-SECONDS', 'P·H', 'ENDED']);
    expect(cells(lines[1])).toEqual(['job-1', 'cl-hefei-1', 'H100-SXM', '8', '1h30m', '43200', '11.868', 'timeout']);
    expect(lines[3]).toBe('Totals:');
    expect(cells(lines[4])).toEqual(['TENANT', 'MODEL', 'JOBS', 'ACCEL-SECONDS', 'P·H']);
    expect(cells(lines[5])).toEqual(['tenant-hf', 'H100-SXM', '1', '43200', '11.868']);
    expect(cells(lines[6])).toEqual(['tenant-hf', 'Ascend-910B', '2', '7200', '0.7536']);
    expect(cells(lines[7])).toEqual(['TOTAL', '50400', '12.6216']);
  });

  it('rejects a --from that is not a time (exit 2)', async () => {
    fake = await fakeApi(() => ({ json: report }));
    const r = await run(['usage', '--from', 'yesterday'], { env: api(fake) });
    expect(r.code).toBe(2);
    expect(fake.requests).toHaveLength(0);
  });
});
