-- Who set each price version (a user id, or "seed" for demo and configuration data): prices are money.
alter table pool_prices add column created_by text not null default 'seed';
