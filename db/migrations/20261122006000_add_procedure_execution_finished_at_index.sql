-- migrate:up transaction:false
-- /health's failure rate reads the executions finished in the last hour (workers/shared/health.ts).
-- Built concurrently so a deploy never blocks the running system's writes, outside a transaction
-- (transaction:false). Postgres runs statements sent together as one transaction, which refuses a
-- concurrent build, so the index is the only statement here: no `set lock_timeout` or
-- `statement_timeout` before it (it waits only behind schema changes, never blocks reads or writes).
-- squawk-ignore-file ban-concurrent-index-creation-in-transaction, require-lock-timeout, require-statement-timeout
-- A failed build leaves an INVALID index that `if not exists` would skip: if this migration
-- fails, run `drop index concurrently if exists procedure_execution_finished_at_idx` before running it again.
create index concurrently if not exists procedure_execution_finished_at_idx
  on procedure_execution (finished_at) where finished_at is not null;

-- migrate:down transaction:false
drop index concurrently if exists procedure_execution_finished_at_idx;
