import { afterEach, describe, expect, it } from 'vitest';
import type { ReconciliationReport } from '../../src/cli/types.ts';
import { api, fakeApi, run, type FakeApi } from './helpers.ts';

let fake: FakeApi | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function cells(line: string | undefined): string[] {
  return (line ?? '').trim().split(/\s{2,}/);
}

const CLUSTERS: ReconciliationReport['clusters'] = [
  { id: 'wuhu-1', name: '芜湖-1', reachable: true },
  { id: 'hefei-1', name: 'hefei-1', reachable: false, error: 'connection refused' },
];

describe('suanli reconcile', () => {
  it('prints one row per item, naming clusters, and a line per cluster that did not answer', async () => {
    const report: ReconciliationReport = {
      checkedAt: new Date().toISOString(),
      clusters: CLUSTERS,
      items: [
        {
          kind: 'unknown-to-suanli',
          clusterId: 'wuhu-1',
          jobId: '0190aaaa-0000-7000-8000-000000000001',
          engineJobId: '4711',
          engineState: 'running',
          detail: 'tag suanli-0190aaaa-0000-7000-8000-000000000001-1: job not known',
        },
        {
          kind: 'withdrawn',
          clusterId: 'hefei-1',
          jobId: 'job-2',
          engineJobId: 'local-9',
          engineState: null,
          detail: 'withdrawn 2025-01-01T00:00:00.000Z; not settled yet',
        },
      ],
    };
    fake = await fakeApi(() => ({ json: report }));
    const r = await run(['reconcile'], { env: api(fake) });

    expect(r.code, r.stderr).toBe(0);
    expect(fake.requests[0]?.path).toBe('/api/v1/reconciliation');
    const lines = r.stdout.trimEnd().split('\n');
    expect(cells(lines[0])).toEqual(['KIND', 'CLUSTER', 'JOB', 'ENGINE JOB', 'ENGINE STATE', 'DETAIL']);
    expect(cells(lines[1])).toEqual([
      'unknown-to-suanli',
      '芜湖-1',
      '0190aaaa-0000-7000-8000-000000000001',
      '4711',
      'running',
      'tag suanli-0190aaaa-0000-7000-8000-000000000001-1: job not known',
    ]);
    expect(cells(lines[2])).toEqual([
      'withdrawn',
      'hefei-1',
      'job-2',
      'local-9',
      '-',
      'withdrawn 2025-01-01T00:00:00.000Z; not settled yet',
    ]);
    expect(lines[3]).toBe("cluster hefei-1 did not answer (connection refused): only suanli's records were checked");
    expect(lines).toHaveLength(4);
  });

  it('says when there is nothing to reconcile, and prints the response with --json', async () => {
    const empty: ReconciliationReport = {
      checkedAt: new Date().toISOString(),
      clusters: [CLUSTERS[0]!],
      items: [],
    };
    fake = await fakeApi(() => ({ json: empty }));
    expect((await run(['reconcile'], { env: api(fake) })).stdout).toBe('nothing to reconcile\n');
    const asJson = await run(['reconcile', '--json'], { env: api(fake) });
    expect(JSON.parse(asJson.stdout)).toEqual(empty);
  });

  it('passes on the server refusing a tenant', async () => {
    fake = await fakeApi(() => ({
      status: 403,
      json: { title: 'Forbidden', status: 403, detail: 'role tenant-member may not clusters manage' },
    }));
    const r = await run(['reconcile'], { env: api(fake) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/may not clusters manage/);
  });
});
