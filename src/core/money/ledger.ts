/**
 * The double-entry ledger's types and rules, pure. Every movement of money is one transaction whose postings add up
 * to zero; balances are derived by adding postings, never stored; a mistake is corrected by a reversing transaction,
 * never by editing one. The PostgreSQL tables (issue 5) hold exactly these shapes.
 *
 * Sign convention: a posting's fen is a debit when positive and a credit when negative. Accounts the platform owes
 * money on (tenant wallets, provider payables, voucher liabilities, programme pools) therefore carry negative
 * balances: a tenant holding ¥100.00 in its wallet has balance −10000n.
 */
import type { Fen } from './amount.ts';
import { BASIS_POINTS } from './amount.ts';
import type { Charge } from './rating.ts';

export const ACCOUNT_KINDS = [
  'tenant-wallet',
  'provider-payable',
  'programme-pool',
  'voucher-liability',
  'platform-fee',
  'funder',
  /** The platform's bank account: tenants' payments arrive here and provider payouts leave from it. */
  'bank',
] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

export interface Account {
  id: string;
  kind: AccountKind;
  /** The tenant, provider, programme or funder the account belongs to, where there is one. */
  ownerId?: string;
  name?: string;
}

export interface Posting {
  accountId: string;
  /** Debit positive, credit negative; never zero. */
  fen: Fen;
}

/** What caused a transaction, so that every fen can be traced to a usage record or sale, voucher or programme rule. */
export interface TransactionLinks {
  usageRecordId?: string;
  /** A provider's sale of a model service or corpus to a tenant (charged like metered usage). */
  saleId?: string;
  voucherId?: string;
  programmeRule?: string;
  /** Set on a reversal: the id of the transaction it cancels. */
  reverses?: string;
}

export interface Transaction {
  id: string;
  at: Date;
  reason: string;
  links: TransactionLinks;
  postings: readonly Posting[];
}

export const LEDGER_PROBLEMS = [
  'missing-id',
  'missing-reason',
  'invalid-date',
  'too-few-postings',
  'missing-account',
  'not-integer-fen',
  'zero-posting',
  'unbalanced',
] as const;
export type LedgerProblem = (typeof LEDGER_PROBLEMS)[number];

/** A transaction the ledger must refuse; `problem` is stable for programs, the message is for people. */
export class LedgerError extends Error {
  override readonly name = 'LedgerError';
  constructor(
    readonly transactionId: string,
    readonly problem: LedgerProblem,
    detail: string,
  ) {
    super(`transaction ${transactionId || '(no id)'}: ${detail}`);
  }
}

/**
 * Throws LedgerError unless the transaction can be posted: it has an id, a reason and a valid date, at least two
 * postings, each on a named account with a non-zero bigint of fen (a number would have passed through a float), and
 * the postings add up to zero.
 */
export function validateTransaction(tx: Transaction): void {
  if (typeof tx.id !== 'string' || tx.id === '') fail(tx, 'missing-id', 'has no id');
  if (typeof tx.reason !== 'string' || tx.reason.trim() === '') fail(tx, 'missing-reason', 'has no reason');
  // Duck-typed: the core may not name the Date global (lint rule), and a date is anything with a valid getTime.
  const at: unknown = tx.at;
  const valid = typeof at === 'object' && at !== null && 'getTime' in at && typeof at.getTime === 'function';
  if (!valid || Number.isNaN(tx.at.getTime())) fail(tx, 'invalid-date', 'has no valid date');
  if (tx.postings.length < 2) {
    fail(tx, 'too-few-postings', `has ${tx.postings.length} posting(s); at least 2 are needed`);
  }
  // A plain loop and a module-level `fail`: this runs for every entry the ledger writes, tens of thousands a second.
  let sum = 0n;
  for (let i = 0; i < tx.postings.length; i++) {
    const p = tx.postings[i]!;
    if (typeof p.accountId !== 'string' || p.accountId === '')
      fail(tx, 'missing-account', `posting ${i} has no account`);
    if (typeof p.fen !== 'bigint') fail(tx, 'not-integer-fen', `posting ${i} (${p.accountId}) is not a bigint of fen`);
    if (p.fen === 0n) fail(tx, 'zero-posting', `posting ${i} (${p.accountId}) is zero`);
    sum += p.fen;
  }
  if (sum !== 0n) fail(tx, 'unbalanced', `postings add up to ${sum} fen, not 0`);
}

function fail(tx: Transaction, problem: LedgerProblem, detail: string): never {
  throw new LedgerError(tx.id, problem, detail);
}

/**
 * Each account's balance (Σ of its postings), derived from the transactions. Every account that any posting touches
 * is in the map, even when its balance has come back to zero. Validates each transaction first.
 */
export function balances(transactions: Iterable<Transaction>): Map<string, Fen> {
  const result = new Map<string, Fen>();
  for (const tx of transactions) {
    validateTransaction(tx);
    for (const p of tx.postings) result.set(p.accountId, (result.get(p.accountId) ?? 0n) + p.fen);
  }
  return result;
}

/** The correcting transaction: every posting negated, the same links plus `reverses`. Posting both nets to zero. */
export function reverse(tx: Transaction, id: string, at: Date, reason: string): Transaction {
  return {
    id,
    at,
    reason,
    links: { ...tx.links, reverses: tx.id },
    postings: tx.postings.map((p) => ({ accountId: p.accountId, fen: -p.fen })),
  };
}

export interface ChargeAccounts {
  tenantWallet: string;
  providerPayable: string;
  platformFee: string;
  /** The platform's fee, in basis points of the charge (0..10000). */
  feeBasisPoints: bigint | number;
}

/**
 * The transaction that settles a charge: the tenant's wallet is debited the whole charge; the platform fee is
 * credited floor(charge × feeBasisPoints / 10000) and the provider's payable the rest. The remainder fen of the fee
 * division thus goes to the provider: the platform never takes a fraction of a fen it did not earn. A zero share is
 * left out (the ledger has no zero postings); a zero charge moves nothing and gives null.
 */
export function chargeTransaction(
  charge: Pick<Charge, 'fen' | 'usageRecordId' | 'priceBookId' | 'priceVersion'>,
  accounts: ChargeAccounts,
  tx: { id: string; at: Date; reason?: string },
): Transaction | null {
  const bps = BigInt(accounts.feeBasisPoints);
  if (bps < 0n || bps > BASIS_POINTS) throw new RangeError(`feeBasisPoints must be in 0..10000, got ${bps}`);
  if (charge.fen < 0n) throw new RangeError(`a charge must not be negative, got ${charge.fen}; reverse it instead`);
  if (charge.fen === 0n) return null;
  const fee = (charge.fen * bps) / BASIS_POINTS; // floor: both factors are non-negative
  const provider = charge.fen - fee;
  const postings: Posting[] = [{ accountId: accounts.tenantWallet, fen: charge.fen }];
  if (provider !== 0n) postings.push({ accountId: accounts.providerPayable, fen: -provider });
  if (fee !== 0n) postings.push({ accountId: accounts.platformFee, fen: -fee });
  const result: Transaction = {
    id: tx.id,
    at: tx.at,
    reason: tx.reason ?? `usage charge (${charge.priceBookId} ${charge.priceVersion})`,
    links: charge.usageRecordId === null ? {} : { usageRecordId: charge.usageRecordId },
    postings,
  };
  validateTransaction(result);
  return result;
}
