-- Claims on pro-rata-at-close budgets and the period closes that settle them (docs/money.md, "Period close").
-- A programme whose budget is pro-rata-at-close does not pay an award when the charge is posted: the award is a
-- claim, recorded here in the same database transaction as the charge, and paid (scaled to what the funders' pools
-- hold) when the office closes the period. All three tables are append-only: a claim is settled by a row of its own,
-- at most once (its primary key), never by changing the claim.

-- One close per programme and period; closing again finds this row and posts nothing.
create table programme_period_closes (
  id text primary key,
  programme_id text not null,
  programme_version text not null,
  period text not null,
  period_start timestamptz not null,
  period_end timestamptz not null,
  claimed_fen bigint not null check (claimed_fen >= 0),
  paid_fen bigint not null check (paid_fen >= 0 and paid_fen <= claimed_fen),
  -- What each funder's pool held before the close, what it paid, and the rule's explanation.
  detail jsonb not null,
  closed_by text not null,
  closed_at timestamptz not null,
  unique (programme_id, period)
);

create table programme_claims (
  id text primary key,
  -- usage:<record>#<generation>:claim:<programme>:<rule>, as the subsidy it stands for would have been keyed.
  idempotency_key text not null unique,
  programme_id text not null,
  programme_version text not null,
  rule_id text not null,
  usage_record_id text not null references usage_records(id),
  -- The charge the claim was made on: a reversed charge's claims are not paid.
  charge_transaction_id text not null references ledger_transactions(id),
  tenant_id text not null references tenants(id),
  provider_id text not null references providers(id),
  payee text not null check (payee in ('tenant', 'provider')),
  -- When the usage ended: dates the claim into a period (China Standard Time).
  at timestamptz not null,
  amount_fen bigint not null check (amount_fen > 0),
  -- The evaluator's split between funders and its explanation, for statements; the close splits anew.
  detail jsonb not null,
  recorded_at timestamptz not null
);
create index programme_claims_open on programme_claims (programme_id, at);

create table programme_claim_settlements (
  claim_id text primary key references programme_claims(id),
  close_id text not null references programme_period_closes(id),
  paid_fen bigint not null check (paid_fen >= 0),
  -- The payee's transaction that paid it; null when the pools paid nothing.
  transaction_id text references ledger_transactions(id)
);
create index programme_claim_settlements_close on programme_claim_settlements (close_id);

create trigger programme_period_closes_append_only before update or delete on programme_period_closes
  for each statement execute function suanli_append_only();
create trigger programme_claims_append_only before update or delete on programme_claims
  for each statement execute function suanli_append_only();
create trigger programme_claim_settlements_append_only before update or delete on programme_claim_settlements
  for each statement execute function suanli_append_only();
