-- The double-entry ledger (issue 5, docs/money.md): accounts, transactions and their postings in fen, vouchers, the
-- queue of usage records waiting to be charged, and the audit log. The database itself refuses an unbalanced
-- transaction, an edited or deleted posting, and a programme pool or voucher paying out more than it holds, so no
-- code path (nor a hand-typed SQL statement) can break those rules.

-- Northern-Anhui (皖北) and other regional programmes look at where a project runs.
alter table projects add column regions text[] not null default '{}';

-- How each provider's charges are rounded to whole fen, and the platform's fee on them (basis points).
alter table providers add column price_rounding text not null default 'half-up'
  check (price_rounding in ('half-up', 'half-even', 'down', 'up'));
alter table providers add column platform_fee_bp integer not null default 0 check (platform_fee_bp between 0 and 10000);

-- Refuses UPDATE, DELETE and TRUNCATE: the table is append-only (a mistake is corrected by a new row).
create function suanli_append_only() returns trigger language plpgsql as $$
begin
  raise exception '% is append-only: % refused (correct with a reversing entry instead)', tg_table_name, tg_op
    using errcode = 'P0001';
end $$;

-- One account per tenant wallet, provider payable, programme pool (per funder), voucher, funder, the platform fee
-- and the platform's bank account. balance_fen is a cache of Σ postings kept by the trigger below in the same
-- transaction (tests check it equals the sum); debit positive, credit negative.
create table ledger_accounts (
  id text primary key,
  kind text not null check (kind in ('tenant-wallet', 'provider-payable', 'programme-pool', 'voucher-liability',
    'platform-fee', 'funder', 'bank')),
  owner_id text,
  currency text not null default 'CNY' check (currency = 'CNY'),
  balance_fen bigint not null default 0,
  created_at timestamptz not null default now()
);

create table vouchers (
  id text primary key,
  kind text not null check (kind in ('compute', 'model', 'corpus')),
  -- Non-transferable: the tenant is fixed at issue (a trigger below refuses changing it).
  tenant_id text not null references tenants(id),
  programme_id text not null,
  funder text not null,
  face_fen bigint not null check (face_fen > 0),
  valid_from timestamptz not null,
  valid_to timestamptz not null,
  -- Empty = any provider / any product (for compute vouchers a product is an accelerator model).
  providers text[] not null default '{}',
  products text[] not null default '{}',
  -- The largest share of one charge the voucher may pay (basis points); the tenant's wallet pays the rest.
  max_share_bp integer not null default 10000 check (max_share_bp between 1 and 10000),
  issued_by text not null,
  issued_at timestamptz not null,
  check (valid_to > valid_from)
);
create index vouchers_tenant on vouchers (tenant_id, valid_to);

create function suanli_voucher_fixed() returns trigger language plpgsql as $$
begin
  raise exception 'vouchers are fixed once issued (non-transferable): % refused', tg_op using errcode = 'P0001';
end $$;
create trigger vouchers_fixed before update or delete on vouchers for each row execute function suanli_voucher_fixed();

create table ledger_transactions (
  id text primary key,
  -- Order of writing: statements list entries of one instant in the order they were posted.
  seq bigserial not null,
  at timestamptz not null,
  -- charge | voucher-issue | voucher-apply | voucher-expiry | subsidy | top-up | pool-funding | payout | reversal
  purpose text not null,
  reason text not null check (btrim(reason) <> ''),
  -- Replaying the same cause (a usage record and purpose, an API request) finds this key and changes nothing.
  idempotency_key text not null unique,
  -- Σ of the debits (= Σ of the credits): what the transaction moves.
  amount_fen bigint not null check (amount_fen > 0),
  posting_count integer not null check (posting_count >= 2),
  usage_record_id text references usage_records(id),
  voucher_id text references vouchers(id),
  programme_id text,
  programme_version text,
  programme_rule text,
  funder text,
  reverses text unique references ledger_transactions(id),
  -- Whose statement shows it: the tenant and provider concerned, where there is one.
  -- Checked against tenants and providers per statement by the trigger below (set-based, not per row).
  tenant_id text,
  provider_id text,
  -- Rating details of a charge (price versions, parts, seconds), or an award's explanation.
  detail jsonb not null default '{}',
  recorded_by text not null,
  recorded_at timestamptz not null default now()
);
-- Statements read through ledger_postings_account; the monthly report scans a month by `at`.
create index ledger_transactions_at on ledger_transactions (at);
create index ledger_transactions_usage on ledger_transactions (usage_record_id);
create index ledger_transactions_programme on ledger_transactions (programme_id, tenant_id, at) where programme_id is not null;

-- Postings are written before their transaction row, all postings of a transaction in one statement. A posting
-- carries its transaction's declared count and its seq must lie below it: with the primary key and the per-statement
-- count check below, no posting can be added to a transaction later. The foreign key is checked at commit.
create table ledger_postings (
  transaction_id text not null,
  seq smallint not null,
  posting_count integer not null,
  account_id text not null,
  fen bigint not null check (fen <> 0),
  primary key (transaction_id, seq),
  check (seq >= 0 and seq < posting_count),
  foreign key (transaction_id) references ledger_transactions (id) deferrable initially deferred
);
create index ledger_postings_account on ledger_postings (account_id);

create trigger ledger_transactions_append_only before update or delete on ledger_transactions
  for each statement execute function suanli_append_only();
create trigger ledger_transactions_no_truncate before truncate on ledger_transactions
  for each statement execute function suanli_append_only();
create trigger ledger_postings_append_only before update or delete on ledger_postings
  for each statement execute function suanli_append_only();
create trigger ledger_postings_no_truncate before truncate on ledger_postings
  for each statement execute function suanli_append_only();

-- After each INSERT of postings (set-based: one run per statement however many rows): every transaction's postings
-- are all there (as many as it declares) and add up to zero; every account exists; the cached balances are kept;
-- and no programme pool or voucher may end with a debit balance (paid out more than it was given). The accounts are
-- locked in id order first, so concurrent writers queue on them rather than deadlock, and each sees the balance the
-- one before it left.
create function suanli_postings_inserted() returns trigger language plpgsql as $$
declare
  bad record;
  accounts integer;
  updated integer;
begin
  select transaction_id, posting_count, count(*) as n, sum(fen) as total into bad from new_postings
    group by transaction_id, posting_count having count(*) <> posting_count or sum(fen) <> 0 limit 1;
  if found then
    raise exception 'transaction % does not balance: % of its % postings, adding up to % fen (a transaction''s postings are written together and add up to 0)',
      bad.transaction_id, bad.n, bad.posting_count, bad.total using errcode = '23514';
  end if;
  perform 1 from ledger_accounts where id in (select distinct account_id from new_postings) order by id for update;
  update ledger_accounts a set balance_fen = a.balance_fen + s.fen
    from (select account_id, sum(fen)::bigint as fen from new_postings group by account_id) s
    where a.id = s.account_id;
  get diagnostics updated = row_count;
  select count(distinct account_id) into accounts from new_postings;
  if updated <> accounts then
    select n.account_id as id into bad from new_postings n
      where not exists (select 1 from ledger_accounts a where a.id = n.account_id) limit 1;
    raise exception 'no ledger account %', bad.id using errcode = '23503';
  end if;
  select a.id, a.balance_fen into bad from ledger_accounts a
    where a.id in (select distinct account_id from new_postings)
      and a.kind in ('programme-pool', 'voucher-liability') and a.balance_fen > 0 limit 1;
  if found then
    raise exception 'account % would be overdrawn by % fen: a pool or voucher cannot pay out more than it holds',
      bad.id, bad.balance_fen using errcode = '23514';
  end if;
  return null;
end $$;
create trigger ledger_postings_inserted after insert on ledger_postings
  referencing new table as new_postings for each statement execute function suanli_postings_inserted();

-- After each INSERT of transactions: each has its postings already (written just before, see above) and declares
-- their debits as its amount, and names a tenant and provider that exist. A transaction without postings therefore
-- cannot be stored, and postings without their transaction fail the deferred foreign key at commit.
create function suanli_transactions_inserted() returns trigger language plpgsql as $$
declare
  bad record;
begin
  select n.id, n.amount_fen, n.posting_count into bad from new_transactions n
    cross join lateral (select count(*) as postings, sum(p.fen) filter (where p.fen > 0) as debits
      from ledger_postings p where p.transaction_id = n.id and p.posting_count = n.posting_count) s
    where s.postings <> n.posting_count or n.amount_fen is distinct from s.debits
    limit 1;
  if found then
    raise exception 'transaction % has not its % postings adding up to its amount % fen (write them first)',
      bad.id, bad.posting_count, bad.amount_fen using errcode = '23514';
  end if;
  select n.tenant_id as id into bad from (select distinct tenant_id from new_transactions) n
    where n.tenant_id is not null and not exists (select 1 from tenants t where t.id = n.tenant_id) limit 1;
  if found then
    raise exception 'no tenant %', bad.id using errcode = '23503';
  end if;
  select n.provider_id as id into bad from (select distinct provider_id from new_transactions) n
    where n.provider_id is not null and not exists (select 1 from providers p where p.id = n.provider_id) limit 1;
  if found then
    raise exception 'no provider %', bad.id using errcode = '23503';
  end if;
  return null;
end $$;
create trigger ledger_transactions_inserted after insert on ledger_transactions
  referencing new table as new_transactions for each statement execute function suanli_transactions_inserted();

-- Usage records waiting to be charged. A trigger enqueues every new usage record in the same transaction that
-- stores it, so no writer can forget one and a crash loses none; the row goes in the transaction that posts the
-- charge. A record with no price in force stays here, with the reason, until its provider publishes one.
create table posting_queue (
  usage_record_id text primary key references usage_records(id),
  enqueued_at timestamptz not null default now(),
  -- 0 for the first charge; a record reversed and queued again is charged anew under generation n + 1, so its new
  -- idempotency keys differ from the reversed ones.
  generation integer not null default 0,
  attempts integer not null default 0,
  unpriced_reason text,
  last_attempt_at timestamptz
);

-- Posters take the oldest first.
create index posting_queue_order on posting_queue (enqueued_at, usage_record_id);

create function suanli_enqueue_usage() returns trigger language plpgsql as $$
begin
  insert into posting_queue (usage_record_id) select id from new_usage on conflict do nothing;
  return null;
end $$;
create trigger usage_records_enqueue after insert on usage_records
  referencing new table as new_usage for each statement execute function suanli_enqueue_usage();

-- The programme office's decisions for programmes whose rate is a ceiling ("不超过20%"): the rate each tenant is
-- awarded, optionally for one commitment (application or contract). Append-only; the latest decision per programme,
-- tenant and commitment is in force, and the history stays.
create table programme_awarded_rates (
  id bigserial primary key,
  programme_id text not null,
  tenant_id text not null references tenants(id),
  commitment_id text,
  basis_points integer not null check (basis_points between 0 and 10000),
  decided_by text not null,
  decided_at timestamptz not null
);
create index programme_awarded_rates_key on programme_awarded_rates (programme_id, tenant_id, commitment_id, id);
create trigger programme_awarded_rates_append_only before update or delete on programme_awarded_rates
  for each statement execute function suanli_append_only();

-- Who changed what, when: prices, programmes, vouchers, top-ups, pool funding, reversals. Append-only.
create table audit_log (
  id bigserial primary key,
  at timestamptz not null,
  actor text not null,
  action text not null,
  object_type text not null,
  object_id text not null,
  before jsonb,
  after jsonb
);
create index audit_log_object on audit_log (object_type, object_id, id);
create trigger audit_log_append_only before update or delete on audit_log
  for each statement execute function suanli_append_only();
create trigger audit_log_no_truncate before truncate on audit_log
  for each statement execute function suanli_append_only();

-- Usage metered before the ledger existed is charged too.
insert into posting_queue (usage_record_id) select id from usage_records on conflict do nothing;
