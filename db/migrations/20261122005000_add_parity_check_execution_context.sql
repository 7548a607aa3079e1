-- migrate:up
-- dbmate runs each migration in a transaction; fail fast instead of queueing behind locks.
set local lock_timeout = '5s';
set local statement_timeout = '60s';
-- What a parity run compared besides its window (workers/shared/parity/window.ts): the last day
-- dated data was compared through, each system's last completed sync (the watermark is the older
-- one), and why a run that could not complete failed. Nullable: rows written before have none.
alter table parity_check_execution add column if not exists through_date date;
alter table parity_check_execution add column if not exists legacy_synced_at timestamptz;
alter table parity_check_execution add column if not exists new_synced_at timestamptz;
alter table parity_check_execution add column if not exists error_text text;

-- migrate:down
-- reverting an add is a drop; `down` is only run to start over
-- squawk-ignore-file ban-drop-column
set local lock_timeout = '5s';
set local statement_timeout = '60s';
alter table parity_check_execution drop column if exists error_text;
alter table parity_check_execution drop column if exists new_synced_at;
alter table parity_check_execution drop column if exists legacy_synced_at;
alter table parity_check_execution drop column if exists through_date;
