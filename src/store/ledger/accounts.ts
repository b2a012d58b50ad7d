/**
 * Ledger account ids. An id is `<kind>:<owner>`, so the kind of any account a posting names is known without a
 * lookup, and the writer can create accounts on first use (insert … on conflict do nothing) in the same statement
 * batch as the postings.
 */
import type { AccountKind } from '../../core/money/ledger.ts';
import { ACCOUNT_KINDS } from '../../core/money/ledger.ts';

export const PLATFORM_FEE_ACCOUNT = 'platform-fee:platform';
export const BANK_ACCOUNT = 'bank:platform';

export const tenantWallet = (tenantId: string) => `tenant-wallet:${tenantId}`;
export const providerPayable = (providerId: string) => `provider-payable:${providerId}`;
export const voucherLiability = (voucherId: string) => `voucher-liability:${voucherId}`;
export const funderAccount = (funder: string) => `funder:${funder}`;
/** One pool per programme and funder: each funder's share of a programme's budget is tracked (and capped) apart. */
export const programmePool = (programmeId: string, funder: string) => `programme-pool:${programmeId}/${funder}`;

export interface ParsedAccount {
  id: string;
  kind: AccountKind;
  ownerId: string;
}

/** The kind and owner of an account id; throws for an id that names no known kind. */
export function parseAccountId(id: string): ParsedAccount {
  const colon = id.indexOf(':');
  const kind = colon > 0 ? id.slice(0, colon) : '';
  const ownerId = id.slice(colon + 1);
  if (!(ACCOUNT_KINDS as readonly string[]).includes(kind) || ownerId === '') {
    throw new RangeError(`not a ledger account id: ${JSON.stringify(id)} (expected <kind>:<owner>)`);
  }
  return { id, kind: kind as AccountKind, ownerId };
}
