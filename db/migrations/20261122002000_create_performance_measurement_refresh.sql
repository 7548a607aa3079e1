-- migrate:up
-- dbmate runs each migration in a transaction; fail fast instead of queueing behind locks.
set local lock_timeout = '5s';
set local statement_timeout = '60s';
-- What the performance mart (performance_measurement_dataset) needs beyond the legacy:
-- the keys a load touched (incremental refresh), per-day totals (a fast dashboard summary),
-- and the timezone the dataset was last fully built in (a timezone change forces a rebuild).

-- Append-only on purpose (no unique key): a load inserts inside its own transaction without
-- waiting on a concurrent refresh, and a refresh consumes only the rows it can see, so a key
-- committed after the refresh started stays for the next one. Duplicates are collapsed on read.
create table if not exists performance_measurement_refresh_key (
  performance_measurement_refresh_key_id  bigint generated always as identity primary key,
  -- null: only the day's order count is touched (an order without product lines)
  material_artifact_id                    bigint,
  measurement_date                        date not null,
  recorded_at                             timestamptz not null default now()
);

-- One row per shop-local day with orders or dataset rows: the sums over all products of
-- performance_measurement_dataset, and the day's orders (not test, not cancelled, with or
-- without product lines) exactly as the legacy get_dashboard_summary counts them.
create table if not exists performance_measurement_daily_total (
  measurement_date               date primary key,
  orders_count                   bigint not null,
  units_sold_count               bigint not null,
  gross_sales_measurement_value  numeric not null,
  discounts_measurement_value    numeric not null,
  refunds_measurement_value      numeric not null,
  aggregate_measurement_value    numeric not null
);

-- A single row: the shop timezone the dataset's dates were last fully built in.
create table if not exists performance_measurement_refresh_state (
  singleton               boolean primary key default true,
  shop_timezone           text not null,
  full_refresh_at         timestamptz not null,
  incremental_refresh_at  timestamptz,
  constraint performance_measurement_refresh_state_singleton_check check (singleton)
);

-- migrate:down
-- reverting a create is a drop; `down` is only run to start over
-- squawk-ignore-file ban-drop-table
set local lock_timeout = '5s';
set local statement_timeout = '60s';
drop table if exists performance_measurement_refresh_state;
drop table if exists performance_measurement_daily_total;
drop table if exists performance_measurement_refresh_key;
