/**
 * Period close over the API, on the demo platform with a pro-rata programme in force: a job's charge makes a claim,
 * the office closes the month once it has ended (by the platform's clock), and only the operator may.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { parseProgrammeText } from '../../src/core/money/programmes/load.ts';
import type { Programme } from '../../src/core/money/programmes/types.ts';
import type { Store } from '../../src/store/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { HELLO_JOB, startPlatform, tickUntil, type TestPlatform } from '../helpers/platform.ts';

const PROGRAMME = `apiVersion: suanli.io/v1
kind: SubsidyProgramme
metadata: { id: test-prorata, version: '1', series: test-prorata, title: t, sources: [s] }
spec:
  validFrom: 2000-01-01
  payee: tenant
  funders: [{ funder: anhui-province, share: 100% }]
  rounding: down
  budget: { exhaustion: pro-rata-at-close, period: month }
  rules: [{ id: all-compute, base: metered, rate: { fixed: 100% } }]
`;

function programme(): Programme {
  const parsed = parseProgrammeText(PROGRAMME, 'test-prorata.yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.loaded.programme;
}

interface CloseBody {
  created: boolean;
  close: { id: string; period: string; claimedFen: string; paidFen: string; payments: Array<{ payeeId: string }> };
}

describeEachDatabase('API: period close', (database) => {
  let store: Store;
  let p: TestPlatform;
  let offsetMs = 0;
  const month = () => new Date(Date.now() + offsetMs + 8 * 3_600_000).toISOString().slice(0, 7);
  const as = (user: string) => ({ authorization: `Bearer ${p.token(user)}` });
  const get = (user: string, url: string) => p.app.inject({ method: 'GET', url, headers: as(user) });
  const post = (user: string, url: string, payload: object): Promise<LightMyRequestResponse> =>
    p.app.inject({ method: 'POST', url, headers: as(user), payload });
  const closeUrl = '/api/v1/programmes/test-prorata/closes';

  beforeAll(async () => {
    store = await database.open();
    p = await startPlatform(store, { programmes: [programme()], clock: () => new Date(Date.now() + offsetMs) });
  });
  afterAll(async () => {
    await p.close();
    await store.close();
  });

  it('closes an ended month once: the claim scaled to the pool and paid to the tenant', async () => {
    const submitted = await post('qiming-ai-admin', '/api/v1/jobs', HELLO_JOB);
    expect(submitted.statusCode, submitted.body).toBe(201);
    await tickUntil(
      p.loop,
      async () => (await store.ledger.queued()) === 0 && (await store.ledger.outstandingClaims()).length > 0,
    );

    const claims = await get('office', '/api/v1/programmes/claims');
    expect(claims.statusCode, claims.body).toBe(200);
    const [open] = claims.json<{ items: Array<{ programmeId: string; claims: number; claimedFen: string }> }>().items;
    expect(open).toMatchObject({ programmeId: 'test-prorata', claims: 1 });
    const claimed = BigInt(open!.claimedFen);
    expect(claimed).toBeGreaterThan(0n);
    expect((await get('qiming-ai-admin', '/api/v1/programmes/claims')).statusCode).toBe(403);

    const period = month();
    const early = await post('office', closeUrl, { period });
    expect(early.statusCode, early.body).toBe(409);
    expect(early.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(early.json()).toMatchObject({ type: '/problems/period-not-ended' });
    expect(early.json<{ detail: string }>().detail).toMatch(new RegExp(`^${period} has not ended`));

    // The office's monthly report shows the claim waiting, beside the pools.
    const report = await get('office', `/api/v1/reports/monthly/${period}`);
    expect(report.json()).toMatchObject({
      claimsAwaitingClose: [{ programmeId: 'test-prorata', claims: 1, fen: claimed.toString() }],
    });
    expect((await get('office', `/api/v1/reports/monthly/${period}?format=csv`)).body).toContain(
      'Claims awaiting period close,test-prorata,1,',
    );

    // Half the claim in the pool (at least a fen): the close pays that.
    const funded = claimed >= 2n ? claimed / 2n : 1n;
    const funding = await post('office', '/api/v1/programmes/test-prorata/pools/anhui-province/fundings', {
      amountFen: funded.toString(),
      reference: 'close-test',
    });
    expect(funding.statusCode, funding.body).toBe(201);
    const wallet = async () =>
      BigInt((await get('office', '/api/v1/wallet?tenantId=qiming-ai')).json<{ balanceFen: string }>().balanceFen);
    const before = await wallet();

    // The platform's clock moves past the month's end.
    const [year, m] = period.split('-').map(Number) as [number, number];
    offsetMs = Date.UTC(year, m, 1, -8) + 60_000 - Date.now();

    const dry = await post('office', closeUrl, { period, dryRun: true });
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json<CloseBody>()).toMatchObject({ created: false, close: { id: '', paidFen: funded.toString() } });
    expect(await wallet()).toBe(before);

    expect((await post('qiming-ai-admin', closeUrl, { period })).statusCode).toBe(403);
    const closed = await post('office', closeUrl, { period });
    expect(closed.statusCode, closed.body).toBe(201);
    const body = closed.json<CloseBody>();
    expect(body.close).toMatchObject({ period, claimedFen: claimed.toString(), paidFen: funded.toString() });
    expect(body.close.payments.map((x) => x.payeeId)).toEqual(['qiming-ai']);
    expect(await wallet()).toBe(before + funded);

    const again = await post('office', closeUrl, { period });
    expect(again.statusCode).toBe(200);
    expect(again.json<CloseBody>()).toMatchObject({ created: false, close: { id: body.close.id } });
    expect(await wallet()).toBe(before + funded);

    // The payment is dated the last instant of the month it settles, so that month's report counts it.
    const paidIn = await get('office', `/api/v1/reports/monthly/${period}`);
    expect(paidIn.json()).toMatchObject({
      subsidyByProgrammeAndFunder: [{ programmeId: 'test-prorata', funder: 'anhui-province', fen: funded.toString() }],
      claimsAwaitingClose: [],
    });

    const list = await get('office', closeUrl);
    expect(list.json<{ items: Array<{ id: string }> }>().items.map((c) => c.id)).toEqual([body.close.id]);
    expect((await get('office', '/api/v1/programmes/claims')).json()).toEqual({ items: [] });
  });

  it('names what is wrong with a request', async () => {
    const wrongKind = await post('office', closeUrl, { period: '2025' });
    expect(wrongKind.statusCode).toBe(400);
    expect(wrongKind.json()).toMatchObject({
      type: '/problems/invalid-period',
      detail: 'period "2025" is not a month: this programme closes by month, written like 2026-11',
      errors: [{ field: 'period' }],
    });
    const noPeriod = await post('office', closeUrl, {});
    expect(noPeriod.statusCode).toBe(400);
    expect(noPeriod.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toMatch(/period/);
    expect((await post('office', '/api/v1/programmes/nobody/closes', { period: '2026-01' })).statusCode).toBe(404);
    // Only the programmes in force are known: the shipped ones are not loaded on this platform.
    const notLoaded = await post('office', '/api/v1/programmes/anhui-2025-compute/closes', { period: '2026' });
    expect(notLoaded.json()).toMatchObject({ status: 404, detail: 'subsidy programme anhui-2025-compute not found' });
  });
});
