-- Claims on pro-rata-at-close budgets made on sales of model services and corpora (docs/money.md, "Period close").
-- Migration 009 keyed every claim to a usage record; a sale is charged by the same functions as usage (011) and a
-- programme whose base admits model or corpus spend claims on it as it claims on usage. A claim now names exactly one
-- cause: the usage record (as before) or the sale. A sale is charged once (it has no generations), so it holds at
-- most one claim per programme and rule; the idempotency key (sale:<sale>:claim:<programme>:<rule>) stays unique.
-- The table stays append-only (009's trigger): adding a column rewrites no row and changes none.

alter table programme_claims alter column usage_record_id drop not null;
alter table programme_claims add column sale_id text references sales(id);
alter table programme_claims add constraint programme_claims_one_cause
  check ((usage_record_id is null) <> (sale_id is null));
create unique index programme_claims_sale on programme_claims (sale_id, programme_id, rule_id)
  where sale_id is not null;
