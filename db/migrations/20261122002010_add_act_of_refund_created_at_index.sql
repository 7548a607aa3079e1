-- migrate:up transaction:false
-- The incremental mart refresh finds a touched day's refunds by their time
-- (workers/shared/marts/performance-dataset.ts), like the orders by processed_at.
-- Built concurrently so a deploy never blocks the running system's writes, outside a transaction
-- (transaction:false). Postgres runs statements sent together as one transaction, which refuses a
-- concurrent build, so the index is the only statement here: no `set lock_timeout` or
-- `statement_timeout` before it (it waits only behind schema changes, never blocks reads or writes).
-- squawk-ignore-file ban-concurrent-index-creation-in-transaction, require-lock-timeout, require-statement-timeout
-- A failed build leaves an INVALID index that `if not exists` would skip: if this migration
-- fails, run `drop index concurrently if exists act_of_refund_created_at_idx` before running it again.
create index concurrently if not exists act_of_refund_created_at_idx on act_of_refund (created_at);

-- migrate:down transaction:false
drop index concurrently if exists act_of_refund_created_at_idx;
