/**
 * Issuing a voucher again under its id: the same terms are answered 200 with the voucher issued before and
 * `created: false` (as a replayed job submission is answered 200), and nothing more leaves the pool; other terms are
 * 409 naming what differs. A repeat is not checked again against its voucher programme's terms, which would count
 * the voucher against its own yearly limit. The clock is fixed inside the Jiangsu programme's year.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import type { Store } from '../../src/store/index.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { startPlatform, type TestPlatform } from '../helpers/platform.ts';

const NOW = new Date('2026-06-01T10:00:00+08:00');
const PROGRAMME = 'jiangsu-2026-compute-voucher';

describeEachDatabase('API: issuing a voucher again', (database) => {
  let store: Store;
  let p: TestPlatform;
  const post = (url: string, payload: object): Promise<LightMyRequestResponse> =>
    p.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${p.token('office')}` }, payload });
  const pool = async () => -(await store.ledger.balance(`programme-pool:${PROGRAMME}/jiangsu-locality`));

  beforeAll(async () => {
    store = await database.open();
    p = await startPlatform(store, { clock: () => NOW });
  });
  afterAll(async () => {
    await p.close();
    await store.close();
  });

  // ¥100,000.00, one of the programme's face values, valid the 365 days the programme allows.
  const voucher = (id: string) => ({
    id,
    kind: 'compute',
    tenantId: 'qiming-ai',
    programmeId: PROGRAMME,
    funder: 'jiangsu-locality',
    faceFen: '10000000',
    validFrom: '2026-06-01T00:00:00+08:00',
    validTo: '2027-06-01T00:00:00+08:00',
  });

  it('answers a repeat 200 with the voucher issued before, even at the yearly limit, and refuses other terms', async () => {
    const funded = await post(`/api/v1/programmes/${PROGRAMME}/pools/jiangsu-locality/fundings`, {
      amountFen: '50000000',
      reference: 'jiangsu-2026',
    });
    expect(funded.statusCode, funded.body).toBe(201);
    // Five of ¥100,000.00: the tenant's ¥500,000.00 for the year, and the whole pool.
    for (const n of [1, 2, 3, 4, 5]) {
      const issued = await post('/api/v1/vouchers', voucher(`js-${n}`));
      expect(issued.statusCode, issued.body).toBe(201);
      expect(issued.json()).toMatchObject({ id: `js-${n}`, created: true, remainingFen: '10000000' });
    }
    expect(await pool()).toBe(0n);
    const first = (await store.ledger.voucher('js-5'))!;

    const again = await post('/api/v1/vouchers', voucher('js-5'));
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({
      id: 'js-5',
      created: false,
      faceFen: '10000000',
      maxShareBasisPoints: 5000,
      issuedAt: first.issuedAt.toISOString(),
    });
    expect(await pool()).toBe(0n);
    expect((await store.ledger.vouchers('qiming-ai')).filter((v) => v.programmeId === PROGRAMME)).toHaveLength(5);

    // A new voucher is still held to the programme's limit.
    const sixth = await post('/api/v1/vouchers', voucher('js-6'));
    expect(sixth.statusCode).toBe(400);
    expect(sixth.json<{ detail: string }>().detail).toMatch(/may be issued ¥0\.00 more/);

    // The same id with other terms is another voucher: refused, naming what differs.
    const other = await post('/api/v1/vouchers', {
      ...voucher('js-5'),
      kind: 'model',
      validTo: '2027-05-01T00:00:00+08:00',
    });
    expect(other.statusCode).toBe(409);
    expect(other.json<{ detail: string }>().detail).toBe('voucher js-5 exists with other terms: kind, validTo');
    expect(await pool()).toBe(0n);
  });
});
