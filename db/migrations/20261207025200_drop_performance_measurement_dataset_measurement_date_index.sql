-- migrate:up transaction:false
-- Superseded by performance_measurement_dataset_date_artifact_measures_idx (the previous
-- migration), which starts with measurement_date: one index less to maintain on every refresh.
-- Dropped concurrently so reads and writes of the mart never wait; alone in its migration, outside
-- a transaction (transaction:false), for the same reasons as a concurrent build.
-- squawk-ignore-file ban-concurrent-index-creation-in-transaction, require-lock-timeout, require-statement-timeout
drop index concurrently if exists performance_measurement_dataset_measurement_date_idx;

-- migrate:down transaction:false
create index concurrently if not exists performance_measurement_dataset_measurement_date_idx
  on performance_measurement_dataset (measurement_date);
