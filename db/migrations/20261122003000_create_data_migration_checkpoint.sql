-- migrate:up
-- dbmate runs each migration in a transaction; fail fast instead of queueing behind locks.
set local lock_timeout = '5s';
set local statement_timeout = '60s';
-- The one-time data migration from the legacy database (scripts/migrate-legacy) records here, per
-- legacy table, the key of the last row it copied. Each batch of rows and its checkpoint commit in
-- one transaction, so a killed run resumes exactly after the last committed batch.

create table if not exists data_migration_checkpoint (
  legacy_table_name  text primary key,
  new_table_name     text not null,
  status             text not null default 'copying',
  -- the legacy key (names-map `legacyKey` order) of the last row copied, each part as text
  last_legacy_key    text[],
  rows_copied_count  bigint not null default 0,
  batch_count        bigint not null default 0,
  started_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now(),
  completed_at       timestamptz,
  constraint data_migration_checkpoint_status_check check (status in ('copying', 'completed')),
  constraint data_migration_checkpoint_completed_check check ((status = 'completed') = (completed_at is not null))
);

-- migrate:down
-- reverting a create is a drop; `down` is only run to start over
-- squawk-ignore-file ban-drop-table
set local lock_timeout = '5s';
set local statement_timeout = '60s';
drop table if exists data_migration_checkpoint;
