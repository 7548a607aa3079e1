-- migrate:up
-- dbmate runs each migration in a transaction; fail fast instead of queueing behind locks.
set local lock_timeout = '5s';
set local statement_timeout = '60s';
-- Liveness (workers/shared/procedures/watchdog.ts): an active execution is stalled when neither
-- its heartbeat nor a scheduled wake-up is recent. wake_up_at: when the delayed message of a
-- waiting execution (or the watchdog's re-sent one) is due. watchdog_resend_count: how often the
-- watchdog re-sent its current step's message (at most EXECUTION_STALL_MAX_RESENDS, then it
-- fails). stall_reason_text: the watchdog's last finding, with the threshold it applied.
-- dead_lettered_at: when the dead-letter queue's consumer recorded one of its messages.
alter table procedure_execution add column if not exists wake_up_at timestamptz;
-- int, like attempt_count: a handful of re-sends
-- squawk-ignore prefer-bigint-over-int
alter table procedure_execution add column if not exists watchdog_resend_count integer not null default 0;
alter table procedure_execution add column if not exists stall_reason_text text;
alter table procedure_execution add column if not exists dead_lettered_at timestamptz;

-- migrate:down
-- reverting an add is a drop; `down` is only run to start over
-- squawk-ignore-file ban-drop-column
set local lock_timeout = '5s';
set local statement_timeout = '60s';
alter table procedure_execution drop column if exists dead_lettered_at;
alter table procedure_execution drop column if exists stall_reason_text;
alter table procedure_execution drop column if exists watchdog_resend_count;
alter table procedure_execution drop column if exists wake_up_at;
