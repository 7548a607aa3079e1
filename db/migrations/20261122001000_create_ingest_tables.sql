-- migrate:up
-- dbmate runs each migration in a transaction; fail fast instead of queueing behind locks.
set local lock_timeout = '5s';
set local statement_timeout = '60s';
-- What the Shopify ingest needs beside the raw tables: staged lines of a load in progress, lines
-- the load could not use, per-resource sync cursors, received webhooks, the archive's segment
-- index, and a step counter that makes each queue message of an execution single-use.

-- Lines of one load (a JSONL file, possibly gigabytes) staged until the file has been read to
-- the end: with groupObjects false a child may come before or after its parent, so children are
-- resolved against their parents set-based once every line is in. Rows are deleted when the
-- load finishes; (load_key, line_number) makes re-staging a byte range after a crash a no-op.
create table if not exists ingest_staged_object (
  load_key          uuid not null,
  line_number       bigint not null,
  resource_name     text not null,
  object_type       text not null,
  object_id         bigint not null,
  parent_object_id  bigint,
  -- only the consumed fields, already validated (workers/shared/ingest/shopify-objects.ts)
  payload           jsonb not null,
  staged_at         timestamptz not null default now(),
  constraint ingest_staged_object_pkey primary key (load_key, line_number)
);
create index if not exists ingest_staged_object_object_idx
  on ingest_staged_object (load_key, object_type, object_id);
create index if not exists ingest_staged_object_parent_idx
  on ingest_staged_object (load_key, parent_object_id);

-- A line a load could not use (malformed JSON, not UTF-8, a required field missing, a child
-- whose parent never appeared), with its line number and why: never silently dropped.
create table if not exists quarantined_line (
  quarantined_line_id            uuid primary key default gen_random_uuid(),
  load_key                       uuid not null,
  procedure_execution_id         uuid references procedure_execution (procedure_execution_id) on delete set null,
  information_bearing_entity_id  uuid
    references information_bearing_entity (information_bearing_entity_id) on delete set null,
  resource_name                  text not null,
  line_number                    bigint not null,
  reason_text                    text not null,
  line_excerpt                   text,
  created_at                     timestamptz not null default now(),
  constraint quarantined_line_load_line_key unique (load_key, line_number)
);
create index if not exists quarantined_line_procedure_execution_id_idx on quarantined_line (procedure_execution_id);
create index if not exists quarantined_line_information_bearing_entity_id_idx
  on quarantined_line (information_bearing_entity_id);
create index if not exists quarantined_line_created_at_idx on quarantined_line (created_at);

-- How far each resource's incremental sync has loaded: the end of the last updated_at window
-- whose data loaded completely. Never moved past a window that did not load.
create table if not exists sync_cursor (
  resource_name           text primary key,
  window_end_at           timestamptz not null,
  procedure_execution_id  uuid references procedure_execution (procedure_execution_id) on delete set null,
  updated_at              timestamptz not null default now()
);
create index if not exists sync_cursor_procedure_execution_id_idx on sync_cursor (procedure_execution_id);

-- Every accepted Shopify webhook, once: X-Shopify-Webhook-Id is the key, so a redelivery is a no-op.
create table if not exists webhook_receipt (
  webhook_id              text primary key,
  topic_name              text not null,
  shop_domain             text,
  payload                 jsonb not null,
  procedure_execution_id  uuid references procedure_execution (procedure_execution_id) on delete set null,
  received_at             timestamptz not null default now()
);
create index if not exists webhook_receipt_received_at_idx on webhook_receipt (received_at);
create index if not exists webhook_receipt_procedure_execution_id_idx on webhook_receipt (procedure_execution_id);

-- The archive object is a sequence of independent gzip members, each holding whole lines; the
-- index lets a load step read one member by byte range: [[stored offset, stored bytes, first
-- line number, line count], ...]. stored_byte_count is the gzip object's size in R2
-- (byte_count and sha256_digest describe the JSONL as Shopify served it).
alter table information_bearing_entity add column if not exists stored_byte_count bigint not null default 0;
alter table information_bearing_entity add column if not exists segment_index jsonb not null default '[]';

-- Steps taken so far; a continue message names the step it is for, so a duplicated or stale
-- message for an execution that has moved on is acknowledged without work.
-- int, not bigint: a counter of steps of one execution
-- squawk-ignore prefer-bigint-over-int
alter table procedure_execution add column if not exists step_count integer not null default 0;

-- migrate:down
-- reverting a create is a drop; `down` is only run to start over
-- squawk-ignore-file ban-drop-table, ban-drop-column
set local lock_timeout = '5s';
set local statement_timeout = '60s';
alter table procedure_execution drop column if exists step_count;
alter table information_bearing_entity drop column if exists segment_index;
alter table information_bearing_entity drop column if exists stored_byte_count;
drop table if exists webhook_receipt;
drop table if exists sync_cursor;
drop table if exists quarantined_line;
drop table if exists ingest_staged_object;
