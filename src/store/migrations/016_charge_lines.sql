-- Usage records charged as lines of per-batch charge transactions (issue 5, docs/decisions/0009-charge-lines.md).
--
-- Until now every usage record was queued by a trigger, taken off the queue and charged by a transaction of its own:
-- about four indexed, checked rows per record. Now the posters read usage records in stream order, past a stored
-- position, and a record whose charge is all it posts (no voucher spent on it, no subsidy or claim awarded on it)
-- becomes one line of its batch's charge transaction for its tenant, provider and month (China Standard Time). The
-- transaction and its postings are as before (balanced, cached balances, append-only); its lines hold each record's
-- fen. A record that draws on a voucher or a programme is posted as before, with transactions of its own, so its
-- awards, claims and reversals link to its own charge. The queue stays for records that had no price yet and for
-- records reversed and charged again.

-- Stream order must be commit order: a poster takes only records whose inserting transaction is older than every
-- transaction still running (pg_snapshot_xmin), so a record that commits late is never passed over. Within one
-- transaction, records come in the order they were inserted.
alter table usage_records add column ledger_xid xid8 not null default pg_current_xact_id();
alter table usage_records add column ledger_seq bigint generated always as identity;
create index usage_records_ledger_order on usage_records (ledger_xid, ledger_seq);
-- A charge line names its record by this number: 8 bytes, where an id is tens of characters.
create unique index usage_records_ledger_seq on usage_records (ledger_seq);

-- How far the posters have read. One row; a poster locks it, charges what lies past it and moves it in the same
-- database transaction, so every record is taken once. It never moves back.
create table ledger_stream_position (
  id boolean primary key default true check (id),
  xid xid8 not null,
  seq bigint not null,
  moved_at timestamptz not null default now()
);
-- Every record stored before this migration was queued by the old trigger (and is charged from the queue, or was):
-- the stream starts after them.
insert into ledger_stream_position (xid, seq) select pg_current_xact_id(), coalesce(max(ledger_seq), 0) from usage_records;

create function suanli_stream_position_forward() returns trigger language plpgsql as $$
begin
  if tg_op <> 'UPDATE' then
    raise exception 'ledger_stream_position has one row, moved forward only: % refused', tg_op using errcode = 'P0001';
  end if;
  if (new.xid, new.seq) < (old.xid, old.seq) then
    raise exception 'the ledger''s stream position cannot move back (from %/% to %/%): records behind it are charged',
      old.xid, old.seq, new.xid, new.seq using errcode = 'P0001';
  end if;
  return new;
end $$;
create trigger ledger_stream_position_forward before update or delete on ledger_stream_position
  for each row execute function suanli_stream_position_forward();
create trigger ledger_stream_position_no_truncate before truncate on ledger_stream_position
  for each statement execute function suanli_append_only();

drop trigger usage_records_enqueue on usage_records;
drop function suanli_enqueue_usage();

-- A line names its usage record without a foreign key (that would be a row and a lock per record again): a record the
-- stream has passed can no longer be deleted, nor its identity, tenant, usage or position changed. The position is
-- read under a share lock, so a poster that has taken the record (and holds the position's row lock) is waited for.
create function suanli_usage_record_kept() returns trigger language plpgsql as $$
declare
  position record;
begin
  select xid, seq into position from ledger_stream_position for share;
  if (old.ledger_xid, old.ledger_seq) <= (position.xid, position.seq) and (tg_op = 'DELETE'
      or new.id <> old.id or new.ledger_xid <> old.ledger_xid or new.ledger_seq <> old.ledger_seq
      or new.tenant_id <> old.tenant_id or new.accelerator_seconds <> old.accelerator_seconds) then
    raise exception 'usage record % has been taken for charging: % refused (reverse its charge instead)',
      old.id, tg_op using errcode = 'P0001';
  end if;
  return case when tg_op = 'DELETE' then old else new end;
end $$;
create trigger usage_records_kept before update or delete on usage_records
  for each row execute function suanli_usage_record_kept();

-- The lines of one charge transaction: the usage records it charges, by their ledger_seq (each charged at its end,
-- read from the record), their fen, the platform fee's share of each, and the price version(s) each was rated at.
-- `stream_xid`/`stream_seq` is the position of the first record of the batch that wrote it, so a record's line is
-- found from its own position. The arrays are stored uncompressed: compressing tens of kilobytes per batch cost
-- PostgreSQL more than writing them.
create table ledger_charge_lines (
  transaction_id text primary key references ledger_transactions(id),
  stream_xid xid8 not null,
  stream_seq bigint not null,
  usage_seqs bigint[] not null,
  fen bigint[] not null,
  fee_fen bigint[] not null,
  price_versions text[] not null,
  check (cardinality(usage_seqs) > 0 and cardinality(fen) = cardinality(usage_seqs)
    and cardinality(fee_fen) = cardinality(usage_seqs) and cardinality(price_versions) = cardinality(usage_seqs))
);
alter table ledger_charge_lines alter column usage_seqs set storage external,
  alter column fen set storage external, alter column fee_fen set storage external,
  alter column price_versions set storage external;
create index ledger_charge_lines_stream on ledger_charge_lines (stream_xid, stream_seq);
create trigger ledger_charge_lines_append_only before update or delete on ledger_charge_lines
  for each statement execute function suanli_append_only();
create trigger ledger_charge_lines_no_truncate before truncate on ledger_charge_lines
  for each statement execute function suanli_append_only();

-- After each INSERT of lines (set-based, written in the same statement as their transaction): the transaction is a
-- charge of one tenant and provider naming no usage record or sale itself; every line is a positive charge with a fee
-- between 0 and it; the lines add up to the transaction's amount; and its postings are exactly the tenant's wallet
-- debited that amount, the platform fee credited the lines' fees and the provider's payable the rest.
create function suanli_charge_lines_inserted() returns trigger language plpgsql as $$
declare
  bad record;
begin
  select n.transaction_id, s.* into bad from new_lines n
    join ledger_transactions t on t.id = n.transaction_id
    cross join lateral (select sum(f) as fen, sum(c) as fee, min(f) as least_fen, bool_and(c >= 0 and c <= f) as fees_ok
      from unnest(n.fen, n.fee_fen) as u(f, c)) s
    where t.purpose <> 'charge' or t.usage_record_id is not null or t.sale_id is not null or t.tenant_id is null
      or t.provider_id is null or s.least_fen <= 0 or not s.fees_ok or s.fen <> t.amount_fen
      or t.posting_count <> 1 + (s.fee > 0)::int + (s.fen > s.fee)::int
      or not exists (select 1 from ledger_postings p where p.transaction_id = t.id
        and p.account_id = 'tenant-wallet:' || t.tenant_id and p.fen = s.fen)
      or (s.fee > 0 and not exists (select 1 from ledger_postings p where p.transaction_id = t.id
        and p.account_id = 'platform-fee:platform' and p.fen = -s.fee))
      or (s.fen > s.fee and not exists (select 1 from ledger_postings p where p.transaction_id = t.id
        and p.account_id = 'provider-payable:' || t.provider_id and p.fen = s.fee - s.fen))
    limit 1;
  if found then
    raise exception 'charge lines of transaction % do not match it (% fen, % fee): lines are positive charges adding up to a charge transaction''s amount, fee and payable',
      bad.transaction_id, bad.fen, bad.fee using errcode = '23514';
  end if;
  return null;
end $$;
create trigger ledger_charge_lines_inserted after insert on ledger_charge_lines
  referencing new table as new_lines for each statement execute function suanli_charge_lines_inserted();

-- 010's transaction check, plus: a charge naming no usage record or sale has its lines (written in the same statement).
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
  select n.id into bad from new_transactions n
    where n.purpose = 'charge' and n.usage_record_id is null and n.sale_id is null
      and not exists (select 1 from ledger_charge_lines l where l.transaction_id = n.id) limit 1;
  if found then
    raise exception 'charge % names no usage record or sale and has no lines (write its lines in the same statement)',
      bad.id using errcode = '23514';
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

-- A charge transaction with lines is reversed line by line: one reversal per transaction and usage record (a
-- reversal of any other transaction names the same usage record as it, or none, so it stays one per transaction).
drop index ledger_transactions_reverses;
create unique index ledger_transactions_reverses on ledger_transactions (reverses, coalesce(usage_record_id, ''))
  where reverses is not null;
