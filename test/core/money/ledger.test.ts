import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ROUNDING_MODES } from '../../../src/core/money/amount.ts';
import {
  LedgerError,
  balances,
  chargeTransaction,
  reverse,
  validateTransaction,
} from '../../../src/core/money/ledger.ts';
import type { LedgerProblem, Posting, Transaction } from '../../../src/core/money/ledger.ts';
import { rate } from '../../../src/core/money/rating.ts';
import type { Charge } from '../../../src/core/money/rating.ts';

const AT = new Date(Date.UTC(2026, 2, 1));
const ACCOUNTS = ['wallet:t1', 'wallet:t2', 'payable:p1', 'payable:p2', 'fee', 'pool:anhui-2.0', 'funder:province'];
const tx = (id: string, postings: Posting[], links = {}): Transaction => ({
  id,
  at: AT,
  reason: 'test',
  links,
  postings,
});

/** A balanced transaction: non-zero postings on random accounts plus one that brings the sum back to zero. */
const arbTransaction = (id: string): fc.Arbitrary<Transaction> =>
  fc
    .record({
      postings: fc.array(
        fc.record({
          accountId: fc.constantFrom(...ACCOUNTS),
          fen: fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }).filter((x) => x !== 0n),
        }),
        { minLength: 1, maxLength: 5 },
      ),
      closing: fc.constantFrom(...ACCOUNTS),
    })
    .filter(({ postings }) => postings.reduce((a, p) => a + p.fen, 0n) !== 0n)
    .map(({ postings, closing }) =>
      tx(id, [...postings, { accountId: closing, fen: -postings.reduce((a, p) => a + p.fen, 0n) }]),
    );

const arbStream = fc
  .integer({ min: 0, max: 15 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbTransaction(`tx${i}`))));

const sameBalances = (a: Map<string, bigint>, b: Map<string, bigint>): void => {
  for (const id of new Set([...a.keys(), ...b.keys()])) expect([id, a.get(id) ?? 0n]).toEqual([id, b.get(id) ?? 0n]);
};

const charge = (fen: bigint, usageRecordId: string | null = 'u1'): Charge => ({
  usageRecordId,
  priceBookId: 'b',
  fen,
  unitPriceFen: 1800n,
  acceleratorSeconds: 0n,
  rounding: 'half-up',
  priceVersion: 'v1',
  parts: [],
});
const chargeAccounts = { tenantWallet: 'wallet:t1', providerPayable: 'payable:p1', platformFee: 'fee' };

describe('validateTransaction', () => {
  const cases: Array<[LedgerProblem, Transaction]> = [
    [
      'missing-id',
      tx('', [
        { accountId: 'a', fen: 1n },
        { accountId: 'b', fen: -1n },
      ]),
    ],
    [
      'missing-reason',
      {
        ...tx('t', [
          { accountId: 'a', fen: 1n },
          { accountId: 'b', fen: -1n },
        ]),
        reason: ' ',
      },
    ],
    [
      'invalid-date',
      {
        ...tx('t', [
          { accountId: 'a', fen: 1n },
          { accountId: 'b', fen: -1n },
        ]),
        at: new Date(NaN),
      },
    ],
    ['too-few-postings', tx('t', [{ accountId: 'a', fen: 0n }])],
    [
      'missing-account',
      tx('t', [
        { accountId: '', fen: 1n },
        { accountId: 'b', fen: -1n },
      ]),
    ],
    [
      'not-integer-fen',
      tx('t', [
        { accountId: 'a', fen: 1 as unknown as bigint },
        { accountId: 'b', fen: -1n },
      ]),
    ],
    [
      'zero-posting',
      tx('t', [
        { accountId: 'a', fen: 0n },
        { accountId: 'b', fen: 0n },
      ]),
    ],
    [
      'unbalanced',
      tx('t', [
        { accountId: 'a', fen: 2n },
        { accountId: 'b', fen: -1n },
      ]),
    ],
  ];
  for (const [problem, bad] of cases) {
    it(`refuses ${problem}`, () => {
      expect(() => validateTransaction(bad)).toThrow(LedgerError);
      try {
        validateTransaction(bad);
      } catch (error) {
        expect((error as LedgerError).problem).toBe(problem);
      }
    });
  }

  it('accepts every generated transaction', () => {
    fc.assert(fc.property(arbTransaction('t'), (t) => validateTransaction(t)));
  });
});

describe('balances', () => {
  it('sum to zero over any stream of transactions', () => {
    fc.assert(
      fc.property(arbStream, (stream) => {
        expect([...balances(stream).values()].reduce((a, b) => a + b, 0n)).toBe(0n);
      }),
    );
  });

  it('are restored by reversing a transaction, wherever the pair lands in the stream', () => {
    fc.assert(
      fc.property(arbStream, arbTransaction('wrong'), fc.nat(), fc.nat(), (stream, wrong, i, j) => {
        const withPair = [...stream];
        withPair.splice(i % (withPair.length + 1), 0, wrong);
        const correction = reverse(wrong, 'fix', AT, 'posted in error');
        withPair.splice(j % (withPair.length + 1), 0, correction);
        sameBalances(balances(withPair), balances(stream));
        expect(correction.links.reverses).toBe('wrong');
      }),
    );
  });

  it('refuses a stream holding an invalid transaction', () => {
    expect(() =>
      balances([
        tx('bad', [
          { accountId: 'a', fen: 1n },
          { accountId: 'b', fen: -2n },
        ]),
      ]),
    ).toThrow(LedgerError);
  });
});

describe('chargeTransaction', () => {
  it('splits ¥54.00 at a 5% fee as ¥51.30 to the provider and ¥2.70 to the platform', () => {
    const t = chargeTransaction(charge(5400n), { ...chargeAccounts, feeBasisPoints: 500 }, { id: 'c1', at: AT });
    expect(t?.postings).toEqual([
      { accountId: 'wallet:t1', fen: 5400n },
      { accountId: 'payable:p1', fen: -5130n },
      { accountId: 'fee', fen: -270n },
    ]);
    expect(t?.links).toEqual({ usageRecordId: 'u1' });
  });

  it('gives the remainder fen to the provider: 5% of 19 fen = 0.95 → fee 0, provider 19', () => {
    const t = chargeTransaction(charge(19n), { ...chargeAccounts, feeBasisPoints: 500n }, { id: 'c2', at: AT });
    expect(t?.postings).toEqual([
      { accountId: 'wallet:t1', fen: 19n },
      { accountId: 'payable:p1', fen: -19n },
    ]);
  });

  it('moves nothing for a zero charge and refuses bad input', () => {
    expect(chargeTransaction(charge(0n), { ...chargeAccounts, feeBasisPoints: 500 }, { id: 'c3', at: AT })).toBeNull();
    expect(() => chargeTransaction(charge(-1n), { ...chargeAccounts, feeBasisPoints: 0 }, { id: 'c', at: AT })).toThrow(
      RangeError,
    );
    expect(() =>
      chargeTransaction(charge(1n), { ...chargeAccounts, feeBasisPoints: 10_001 }, { id: 'c', at: AT }),
    ).toThrow(RangeError);
  });

  it('balances for every charge and fee, the fee never above its rate', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 15n }), fc.bigInt({ min: 0n, max: 10_000n }), (fen, bps) => {
        const t = chargeTransaction(charge(fen), { ...chargeAccounts, feeBasisPoints: bps }, { id: 'c', at: AT })!;
        validateTransaction(t);
        const b = balances([t]);
        expect(b.get('wallet:t1')).toBe(fen);
        const fee = -(b.get('fee') ?? 0n);
        expect(fee * 10_000n <= fen * bps && (fee + 1n) * 10_000n > fen * bps).toBe(true);
        expect(-(b.get('payable:p1') ?? 0n)).toBe(fen - fee);
      }),
    );
  });

  it('end to end: rated usage posted and one posting reversed; wallets carry exactly the charges', () => {
    const T0 = Date.UTC(2026, 0, 1);
    const book = {
      id: 'hefei',
      rounding: 'half-up' as const,
      prices: [
        {
          version: 'v1',
          poolId: 'p1',
          acceleratorModel: 'H100-SXM',
          fenPerAcceleratorHour: 1800n,
          validFrom: new Date(T0),
          validTo: null,
        },
        {
          version: 'v2',
          poolId: 'p1',
          acceleratorModel: 'H100-SXM',
          fenPerAcceleratorHour: 1500n,
          validFrom: new Date(T0 + 3600_000),
          validTo: null,
        },
      ],
    };
    fc.assert(
      fc.property(
        fc.array(fc.record({ fromS: fc.nat(10_000), lengthS: fc.nat(10_000), accelerators: fc.nat(8) }), {
          maxLength: 20,
        }),
        fc.constantFrom(...ROUNDING_MODES),
        fc.nat(),
        (runs, rounding, undo) => {
          const charges = runs.map((r, i) =>
            rate(
              {
                id: `u${i}`,
                poolId: 'p1',
                acceleratorModel: 'H100-SXM',
                startedAt: new Date(T0 + r.fromS * 1000),
                endedAt: new Date(T0 + (r.fromS + r.lengthS) * 1000),
                acceleratorSeconds: r.accelerators * r.lengthS,
              },
              { ...book, rounding },
            ),
          );
          const posted = charges.flatMap((c, i) => {
            const t = chargeTransaction(c, { ...chargeAccounts, feeBasisPoints: 300 }, { id: `c${i}`, at: AT });
            return t === null ? [] : [t];
          });
          const total = charges.reduce((a, c) => a + c.fen, 0n);
          const b = balances(posted);
          expect(b.get('wallet:t1') ?? 0n).toBe(total);
          expect((b.get('payable:p1') ?? 0n) + (b.get('fee') ?? 0n)).toBe(-total);
          // Reverse one usage charge: the balances are as if it had never been posted.
          if (posted.length > 0) {
            const k = undo % posted.length;
            const wrong = posted[k]!;
            sameBalances(
              balances([...posted, reverse(wrong, 'r', AT, 'usage record withdrawn')]),
              balances(posted.filter((_, i) => i !== k)),
            );
          }
        },
      ),
    );
  });
});
