-- migrate:up transaction:false
-- The dashboard's top products (workers/shared/marts/dashboard.ts) sums net sales, units and orders
-- per product over a date window: with the measures in the index it is an index-only scan of the
-- window's entries instead of a visit to every heap page holding one of its rows (the rows of a
-- day are scattered over the table by incremental refreshes). The measures are key columns, not
-- INCLUDE ones, so that db/schema.ts can state the index exactly; (measurement_date,
-- material_artifact_id) is unique, so they never take part in a comparison. It also serves every
-- lookup by date, so the next migration drops the single-column date index it supersedes.
-- Built concurrently so a deploy never blocks the running system's writes, outside a transaction
-- (transaction:false). Postgres runs statements sent together as one transaction, which refuses a
-- concurrent build, so the index is the only statement here: no `set lock_timeout` or
-- `statement_timeout` before it (it waits only behind schema changes, never blocks reads or writes).
-- squawk-ignore-file ban-concurrent-index-creation-in-transaction, require-lock-timeout, require-statement-timeout
-- A failed build leaves an INVALID index that `if not exists` would skip: if this migration fails,
-- run `drop index concurrently if exists performance_measurement_dataset_date_artifact_measures_idx`
-- before running it again.
create index concurrently if not exists performance_measurement_dataset_date_artifact_measures_idx
  on performance_measurement_dataset
  (measurement_date, material_artifact_id, aggregate_measurement_value, units_sold_count, orders_count);

-- migrate:down transaction:false
drop index concurrently if exists performance_measurement_dataset_date_artifact_measures_idx;
