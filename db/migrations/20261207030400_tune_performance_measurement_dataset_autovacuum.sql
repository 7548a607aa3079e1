-- migrate:up
-- dbmate runs each migration in a transaction; fail fast instead of queueing behind locks.
set local lock_timeout = '5s';
set local statement_timeout = '60s';
-- The top products' index-only scan (performance_measurement_dataset_date_artifact_measures_idx)
-- skips the heap only for pages the visibility map marks all-visible, and refreshes rewrite the
-- recent days the dashboard reads most. By default autovacuum waits for 20 % of the table to
-- change; at 1 % it renews the map after a few incremental refreshes. A storage parameter: it
-- takes a SHARE UPDATE EXCLUSIVE lock, which reads and writes of the table do not wait for.
alter table performance_measurement_dataset
  set (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01);

-- migrate:down
set local lock_timeout = '5s';
set local statement_timeout = '60s';
alter table performance_measurement_dataset
  reset (autovacuum_vacuum_scale_factor, autovacuum_vacuum_insert_scale_factor);
