-- Faster posting (issue 5, docs/decisions/0007-ledger-posting-speed.md) with the same guarantees as 007.
--
-- A transaction and its postings are now written by one statement (writeEntries: the transactions, then the postings
-- of those actually inserted, as data-modifying CTEs). Both tables' statement-level triggers run at the end of that
-- statement and see each other's rows: the postings trigger checks, set-based, that every posting's transaction
-- exists and declares the same posting count, so a statement bringing postings without their transaction is refused
-- at once with a message that says so. The foreign keys stay: a trigger's check takes no lock on the row it finds,
-- and only a foreign key closes the race with a concurrent delete (docs/decisions/0007-ledger-posting-speed.md).

create or replace function suanli_postings_inserted() returns trigger language plpgsql as $$
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
  -- Every posting's transaction exists, declares the same count, and its amount is the postings' debits.
  select p.transaction_id into bad from (select transaction_id, posting_count,
      sum(fen) filter (where fen > 0) as debits from new_postings group by transaction_id, posting_count) p
    where not exists (select 1 from ledger_transactions t
      where t.id = p.transaction_id and t.posting_count = p.posting_count and t.amount_fen = p.debits) limit 1;
  if found then
    raise exception 'postings of transaction %, which does not exist with that posting count and amount (write a transaction and its postings in one statement)',
      bad.transaction_id using errcode = '23503';
  end if;
  return null;
end $$;

-- Only reversals carry `reverses` and only usage entries a usage record: the other rows need no entry in those
-- indexes (a unique index ignores NULLs anyway, so uniqueness of `reverses` is unchanged).
alter table ledger_transactions drop constraint ledger_transactions_reverses_key;
create unique index ledger_transactions_reverses on ledger_transactions (reverses) where reverses is not null;
drop index ledger_transactions_usage;
create index ledger_transactions_usage on ledger_transactions (usage_record_id) where usage_record_id is not null;

-- After each INSERT of transactions: each has postings. With the postings trigger above (all of a transaction's
-- postings come in one statement, as many as it declares, balanced, their debits its amount) that is 007's check,
-- one index probe per transaction instead of counting and adding its postings again. The tenant, provider and usage
-- record named must exist: checked here set-based for a clear message, and by the usage record's foreign key, which
-- also keeps a charged record from being deleted or renamed.

create or replace function suanli_transactions_inserted() returns trigger language plpgsql as $$
declare
  bad record;
begin
  select n.id, n.amount_fen, n.posting_count into bad from new_transactions n
    where not exists (select 1 from ledger_postings p where p.transaction_id = n.id) limit 1;
  if found then
    raise exception 'transaction % has not its % postings adding up to its amount % fen (write them in the same statement)',
      bad.id, bad.posting_count, bad.amount_fen using errcode = '23514';
  end if;
  select n.usage_record_id as id into bad from (select distinct usage_record_id from new_transactions) n
    where n.usage_record_id is not null and not exists (select 1 from usage_records u where u.id = n.usage_record_id)
    limit 1;
  if found then
    raise exception 'no usage record %', bad.id using errcode = '23503';
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

