-- Sales of model services (模型: API usage, fine-tuning, a licensed model) and corpora (语料: datasets) by providers to
-- tenants through the platform (issue 5, docs/money.md "Sales"). The seller reports a sale as a centre reports metered
-- usage; it is charged in the ledger in the same database transaction that stores it, like a usage record: the
-- tenant's wallet pays, the provider's payable receives (less the platform fee), model or corpus vouchers pay up to
-- their remaining value, and subsidy programmes whose base includes that kind of spend award on it.

create table sales (
  id text primary key,
  provider_id text not null references providers(id),
  -- The seller's own order number: recording it again finds this row and charges nothing more.
  reference text not null check (btrim(reference) <> ''),
  tenant_id text not null references tenants(id),
  project_id text references projects(id),
  kind text not null check (kind in ('model', 'corpus')),
  -- What was sold (a voucher's "usable products" names these), and in words, for statements.
  product text not null check (btrim(product) <> ''),
  description text not null default '',
  -- The provider's price of what it sold: the charge's base, whole fen.
  amount_fen bigint not null check (amount_fen > 0),
  occurred_at timestamptz not null,
  recorded_by text not null,
  recorded_at timestamptz not null,
  unique (provider_id, reference)
);
create index sales_tenant on sales (tenant_id, occurred_at);
create index sales_provider_at on sales (provider_id, occurred_at);

-- A sale is a fact: corrected by reversing its ledger entries, never by changing or deleting it.
create trigger sales_append_only before update or delete on sales
  for each statement execute function suanli_append_only();
create trigger sales_no_truncate before truncate on sales
  for each statement execute function suanli_append_only();

-- The sale a ledger transaction charges, applies a voucher to, subsidises or reverses (as usage_record_id does for
-- metered usage). Null on every other row, so the posting of usage is unchanged.
alter table ledger_transactions add column sale_id text references sales(id);
create index ledger_transactions_sale on ledger_transactions (sale_id) where sale_id is not null;
