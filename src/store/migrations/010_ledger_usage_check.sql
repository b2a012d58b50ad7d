-- Posting speed (issue 5, docs/decisions/0007-ledger-posting-speed.md): the transactions' trigger no longer checks that
-- the usage record a transaction names exists. The foreign key ledger_transactions.usage_record_id → usage_records(id)
-- (migration 007, kept) checks exactly that for every row of the same statement, and locks the record against a
-- concurrent delete, which the trigger's check could not; the trigger's second, set-based look-up of every usage record
-- (one index probe per transaction) only gave a different message. A transaction naming no usage record is now refused
-- with the foreign key's message ("violates foreign key constraint ledger_transactions_usage_record_id_fkey",
-- "Key (usage_record_id)=(…) is not present in table usage_records"). The other checks are 008's, unchanged.

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

