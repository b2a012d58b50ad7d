/** `suanli programmes award|awarded|claims|close|closes`: the office's decisions, against a fake API. */
import { afterEach, describe, expect, it } from 'vitest';
import { api, fakeApi, run, type FakeApi } from './helpers.ts';

let fake: FakeApi | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const CLOSE = {
  id: '0193-close',
  programmeId: 'hefei-prorata',
  programmeVersion: '1',
  period: '2026-11',
  periodStart: '2026-10-31T16:00:00.000Z',
  periodEnd: '2026-11-30T16:00:00.000Z',
  claimedFen: '15000000',
  paidFen: '10000000',
  poolsBefore: [{ funder: 'anhui-province', fen: '5000000' }],
  byFunder: [
    { funder: 'anhui-province', fen: '5000000' },
    { funder: 'hefei-city', fen: '5000000' },
  ],
  payments: [
    { payee: 'tenant', payeeId: 'acme', claimedFen: '8000000', paidFen: '5333333', claims: 3, byFunder: [] },
    { payee: 'tenant', payeeId: 'beta', claimedFen: '4000000', paidFen: '2666667', claims: 1, byFunder: [] },
  ],
  explanation: ['the pools allow ¥100,000.00'],
  closedBy: 'office',
  closedAt: '2026-12-01T02:00:00.000Z',
};

describe('suanli programmes: awarded rates and period close', () => {
  it('awards a rate given as a percentage, in basis points, and refuses a malformed one before sending', async () => {
    fake = await fakeApi((req) => ({ status: 201, json: JSON.parse(req.body) as object }));
    const args = ['programmes', 'award', '--programme', 'anhui-2025-compute', '--tenant', 'qiming-ai'];
    const r = await run([...args, '--rate', '12.5%', '--commitment', 'app-7'], { env: api(fake) });
    expect(r.code, r.stderr).toBe(0);
    expect(fake.requests[0]).toMatchObject({
      method: 'POST',
      path: '/api/v1/programmes/anhui-2025-compute/awarded-rates',
    });
    expect(JSON.parse(fake.requests[0]!.body)).toEqual({
      tenantId: 'qiming-ai',
      basisPoints: 1250,
      commitmentId: 'app-7',
    });
    expect(r.stdout).toBe('anhui-2025-compute: qiming-ai awarded 12.5% for commitment app-7, from the next charge\n');

    for (const rate of ['12.345%', '101', 'twenty']) {
      const bad = await run([...args, '--rate', rate], { env: api(fake) });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--rate.*must be a percentage from 0 to 100 with at most two decimals/);
    }
    expect(fake.requests).toHaveLength(1);
  });

  it('says what the server refused: a rate above the ceiling, a tenant that is not the operator', async () => {
    fake = await fakeApi((_req, i) =>
      i === 0
        ? {
            status: 400,
            json: {
              title: 'Bad request',
              status: 400,
              detail: 'basisPoints: awarded rate 25% is above the ceiling 20% of programme anhui-2025-compute',
            },
          }
        : { status: 403, json: { title: 'Forbidden', status: 403, detail: 'role tenant-admin may not money manage' } },
    );
    const args = ['programmes', 'award', '--programme', 'anhui-2025-compute', '--tenant', 'qiming-ai', '--rate', '25'];
    const above = await run(args, { env: api(fake) });
    expect(above).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'suanli: Bad request: basisPoints: awarded rate 25% is above the ceiling 20% of programme anhui-2025-compute\n',
    });
    const tenant = await run(['programmes', 'awarded'], { env: api(fake) });
    expect(tenant.stderr).toBe('suanli: Forbidden: role tenant-admin may not money manage\n');
  });

  it('lists the awarded rates, one programme or tenant if asked', async () => {
    fake = await fakeApi(() => ({
      json: {
        items: [
          { programmeId: 'anhui-2025-compute', tenantId: 'qiming-ai', basisPoints: 2000 },
          { programmeId: 'anhui-2025-compute', tenantId: 'zhiyuan-llm', commitmentId: 'app-7', basisPoints: 1250 },
          { programmeId: 'other', tenantId: 'qiming-ai', basisPoints: 500 },
        ],
      },
    }));
    const r = await run(['programmes', 'awarded', '--programme', 'anhui-2025-compute'], { env: api(fake) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/anhui-2025-compute\s+qiming-ai\s+\(all\)\s+20%/);
    expect(r.stdout).toMatch(/anhui-2025-compute\s+zhiyuan-llm\s+app-7\s+12\.5%/);
    expect(r.stdout).not.toContain('other');
  });

  it('closes a period and prints what was paid in exact yuan; a dry run says it posted nothing', async () => {
    fake = await fakeApi((req) => {
      const { dryRun } = JSON.parse(req.body) as { dryRun: boolean };
      return dryRun
        ? { status: 200, json: { created: false, close: { ...CLOSE, id: '' } } }
        : { status: 201, json: { created: true, close: CLOSE } };
    });
    const args = ['programmes', 'close', '--programme', 'hefei-prorata', '--period', '2026-11'];
    const r = await run(args, { env: api(fake) });
    expect(r.code, r.stderr).toBe(0);
    expect(fake.requests[0]).toMatchObject({ method: 'POST', path: '/api/v1/programmes/hefei-prorata/closes' });
    expect(JSON.parse(fake.requests[0]!.body)).toEqual({ period: '2026-11', dryRun: false });
    expect(r.stdout).toContain('hefei-prorata 2026-11: closed (0193-close)\n');
    expect(r.stdout).toContain(
      'claimed ¥150,000.00, paid ¥100,000.00 (anhui-province ¥50,000.00, hefei-city ¥50,000.00)\n',
    );
    expect(r.stdout).toMatch(/tenant acme\s+3\s+¥80,000\.00\s+¥53,333\.33/);
    expect(r.stdout).toMatch(/tenant beta\s+1\s+¥40,000\.00\s+¥26,666\.67/);

    const dry = await run([...args, '--dry-run'], { env: api(fake) });
    expect(JSON.parse(fake.requests[1]!.body)).toEqual({ period: '2026-11', dryRun: true });
    expect(dry.stdout).toContain('hefei-prorata 2026-11: dry run, nothing posted\n');
  });

  it('passes on why a period cannot be closed yet', async () => {
    fake = await fakeApi(() => ({
      status: 409,
      json: {
        title: 'Conflict',
        status: 409,
        detail: '2026-12 has not ended: it can be closed from 2027-01-01 00:00 China Standard Time',
      },
    }));
    const r = await run(['programmes', 'close', '--programme', 'p', '--period', '2026-12'], { env: api(fake) });
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: 'suanli: Conflict: 2026-12 has not ended: it can be closed from 2027-01-01 00:00 China Standard Time\n',
    });
    const missing = await run(['programmes', 'close', '--programme', 'p'], { env: api(fake) });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--period/);
  });

  it('lists closes and outstanding claims', async () => {
    fake = await fakeApi((req) =>
      req.path.endsWith('/closes')
        ? { json: { items: [CLOSE] } }
        : {
            json: {
              items: [{ programmeId: 'hefei-prorata', claims: 4, claimedFen: '576000', oldest: CLOSE.periodStart }],
            },
          },
    );
    const closes = await run(['programmes', 'closes', '--programme', 'hefei-prorata'], { env: api(fake) });
    expect(closes.code, closes.stderr).toBe(0);
    expect(closes.stdout).toMatch(/2026-11\s+¥150,000\.00\s+¥100,000\.00\s+2\s+.*office/);
    const claims = await run(['programmes', 'claims'], { env: api(fake) });
    expect(claims.stdout).toMatch(/hefei-prorata\s+4\s+¥5,760\.00/);
  });
});
