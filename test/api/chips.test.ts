/**
 * GET /chips, the chip race, through the whole platform: runs on the local engine end as they do, the control loop
 * keeps each run's outcome with its usage record, and the operator reads the models ranked by how their runs ended.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ALL, type Store } from '../../src/store/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { HELLO_JOB, startPlatform, tickUntil, type TestPlatform } from '../helpers/platform.ts';

interface ChipRow {
  rank: number | null;
  acceleratorModel: string;
  runs: Record<string, number>;
  completionBp: number | null;
  goodputBp: number | null;
  acceleratorSeconds: string;
}

const job = (name: string, model: string, script: string, timeLimit = '5m') => ({
  ...HELLO_JOB,
  metadata: { name, project: 'demo' },
  spec: { ...HELLO_JOB.spec, resources: { accelerator: { model }, acceleratorsPerNode: 1 }, timeLimit, script },
});

describeEachDatabase('the chip race route', (database) => {
  let store: Store;
  let platform: TestPlatform;
  const call = (user: string, url: string, payload?: object) =>
    platform.app.inject({
      method: payload ? 'POST' : 'GET',
      url,
      headers: { authorization: `Bearer ${platform.token(user)}` },
      ...(payload ? { payload } : {}),
    });

  beforeAll(async () => {
    store = await database.open();
    platform = await startPlatform(store);
  });
  afterAll(async () => {
    await platform.close();
    await store.close();
  });

  it('ranks the models by how their runs ended, each outcome kept with the run’s usage', async () => {
    const specs = [
      job('ok-h100', 'H100-SXM', 'sleep 1'),
      job('fails-h100', 'H100-SXM', 'exit 3'),
      job('too-long-h100', 'H100-SXM', 'sleep 30', '2s'),
      job('ok-910b', 'Ascend-910B', 'sleep 1'),
    ];
    const ids: string[] = [];
    for (const spec of specs) {
      const response = await call('qiming-ai-admin', '/api/v1/jobs', spec);
      expect(response.statusCode, response.body).toBe(201);
      ids.push(response.json<{ id: string }>().id);
    }
    await tickUntil(platform.loop, async () => (await store.usage.list(ALL)).length === ids.length, 30_000);
    const outcomes = new Map((await store.usage.list(ALL)).map((u) => [u.jobId, u.outcome]));
    expect(ids.map((id) => outcomes.get(id))).toEqual(['succeeded', 'failed', 'timeout', 'succeeded']);

    const response = await call('office', '/api/v1/chips');
    expect(response.statusCode, response.body).toBe(200);
    const chips = response.json<{ month: string; chips: ChipRow[] }>().chips;
    // Ascend-910B: 1 of 1 completed; H100-SXM: 1 of 3 (one failed, one timed out); the rest ran nothing.
    expect(chips.slice(0, 2).map((c) => [c.rank, c.acceleratorModel, c.completionBp])).toEqual([
      [1, 'Ascend-910B', 10_000],
      [2, 'H100-SXM', 3333],
    ]);
    expect(chips[1]!.runs).toEqual({
      succeeded: 1,
      failed: 1,
      timeout: 1,
      cancelled: 0,
      preempted: 0,
      unknown: 0,
      lost: 0,
    });
    expect(chips.slice(2).every((c) => c.rank === null && c.acceleratorSeconds === '0')).toBe(true);
    const usage = await store.usage.list(ALL);
    const h100Seconds = usage
      .filter((u) => u.acceleratorModel === 'H100-SXM')
      .reduce((sum, u) => sum + u.acceleratorSeconds, 0);
    expect(chips[1]!.acceleratorSeconds).toBe(String(h100Seconds));

    // The monthly report the programme office files carries the same race, in JSON and in its CSV.
    const month = response.json<{ month: string }>().month;
    const report = await call('office', `/api/v1/reports/monthly/${month}`);
    expect(report.statusCode, report.body).toBe(200);
    expect(
      report
        .json<{ chips: ChipRow[] }>()
        .chips.slice(0, 2)
        .map((c) => c.acceleratorModel),
    ).toEqual(['Ascend-910B', 'H100-SXM']);
    const csv = await call('office', `/api/v1/reports/monthly/${month}?format=csv`);
    const h100Line = csv.body.split('\r\n').find((l) => l.startsWith('Chip race') && l.includes(',H100-SXM,'));
    // rank, model, domestic, accelerators, ended runs, completion %, …
    expect(h100Line?.split(',').slice(1, 7)).toEqual(['2', 'H100-SXM', 'no', '16', '3', '33.33']);
  });

  it('is the operator’s, and names a bad month', async () => {
    expect((await call('qiming-ai-admin', '/api/v1/chips')).statusCode).toBe(403);
    const bad = await call('office', '/api/v1/chips?month=2026-13');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/month/);
    const future = await call('office', '/api/v1/chips?month=2999-01');
    expect(future.statusCode).toBe(400);
    expect(future.body).toMatch(/2999-01 has not begun/);
    const past = await call('office', '/api/v1/chips?month=2020-01');
    expect(past.statusCode, past.body).toBe(200);
    expect(past.json<{ chips: ChipRow[] }>().chips.every((c) => c.rank === null)).toBe(true);
  });
});
