-- migrate:up
-- dbmate runs each migration in a transaction; fail fast instead of queueing behind locks.
set local lock_timeout = '5s';
set local statement_timeout = '60s';
-- The performance mart, recorded units of background work, the R2 archive index and parity runs.

create table if not exists performance_measurement_dataset (
  material_artifact_id               bigint not null,
  measurement_date                   date not null,
  -- int, not bigint: mirrors the legacy integer column (Shopify values fit int32)
  -- squawk-ignore prefer-bigint-over-int
  orders_count                       integer not null,
  -- int, not bigint: mirrors the legacy integer column (Shopify values fit int32)
  -- squawk-ignore prefer-bigint-over-int
  units_sold_count                   integer not null,
  -- int, not bigint: mirrors the legacy integer column (Shopify values fit int32)
  -- squawk-ignore prefer-bigint-over-int
  units_refunded_count               integer not null,
  gross_sales_measurement_value      numeric(14, 2) not null,
  discounts_measurement_value        numeric(14, 2) not null,
  refunds_measurement_value          numeric(14, 2) not null,
  aggregate_measurement_value        numeric(14, 2) not null,
  constraint performance_measurement_dataset_pkey primary key (material_artifact_id, measurement_date)
);
create index if not exists performance_measurement_dataset_measurement_date_idx
  on performance_measurement_dataset (measurement_date);

create table if not exists procedure_execution (
  procedure_execution_id         uuid primary key default gen_random_uuid(),
  procedure_kind                 text not null,
  status                         text not null default 'queued',
  -- set for work of which only one may be active at a time (e.g. a sync of one resource);
  -- null for history migrated from the legacy system and for work that may overlap
  concurrency_key                text,
  parent_procedure_execution_id  uuid references procedure_execution (procedure_execution_id) on delete set null,
  trigger_source                 text not null default 'system',
  parameters                     jsonb not null default '{}',
  checkpoint_state               jsonb not null default '{}',
  -- int, not bigint: mirrors the legacy integer column (Shopify values fit int32)
  -- squawk-ignore prefer-bigint-over-int
  attempt_count                  integer not null default 0,
  -- int, not bigint: mirrors the legacy integer column (Shopify values fit int32)
  -- squawk-ignore prefer-bigint-over-int
  rows_processed_count           integer not null default 0,
  error_text                     text,
  requested_at                   timestamptz not null default now(),
  started_at                     timestamptz,
  heartbeat_at                   timestamptz,
  finished_at                    timestamptz,
  constraint procedure_execution_status_check
    check (status in ('queued', 'running', 'waiting', 'succeeded', 'failed')),
  constraint procedure_execution_finished_check
    check ((status in ('succeeded', 'failed')) = (finished_at is not null))
);
create index if not exists procedure_execution_requested_at_idx on procedure_execution (requested_at desc);
create index if not exists procedure_execution_kind_status_idx on procedure_execution (procedure_kind, status);
create index if not exists procedure_execution_parent_idx on procedure_execution (parent_procedure_execution_id);
create unique index if not exists procedure_execution_one_active_per_concurrency_key
  on procedure_execution (concurrency_key)
  where status in ('queued', 'running', 'waiting') and concurrency_key is not null;

create table if not exists information_bearing_entity (
  information_bearing_entity_id  uuid primary key default gen_random_uuid(),
  object_key                     text not null,
  source_system                  text not null default 'shopify',
  resource_name                  text not null,
  byte_count                     bigint not null,
  line_count                     bigint not null,
  sha256_digest                  text not null,
  procedure_execution_id         uuid references procedure_execution (procedure_execution_id) on delete set null,
  created_at                     timestamptz not null default now(),
  constraint information_bearing_entity_object_key_key unique (object_key),
  constraint information_bearing_entity_sha256_digest_check check (sha256_digest ~ '^[0-9a-f]{64}$'),
  constraint information_bearing_entity_counts_check check (byte_count >= 0 and line_count >= 0)
);
create index if not exists information_bearing_entity_created_at_idx on information_bearing_entity (created_at);
create index if not exists information_bearing_entity_procedure_execution_id_idx
  on information_bearing_entity (procedure_execution_id);

create table if not exists parity_check_execution (
  parity_check_execution_id  uuid primary key default gen_random_uuid(),
  procedure_execution_id     uuid references procedure_execution (procedure_execution_id) on delete set null,
  verdict                    text not null,
  window_from_date           date not null,
  window_to_date             date not null,
  watermark_at               timestamptz,
  -- one element per check: {name, legacy_value, new_value, difference, tolerance, verdict, details}
  check_results              jsonb not null default '[]',
  started_at                 timestamptz not null default now(),
  finished_at                timestamptz,
  constraint parity_check_execution_verdict_check check (verdict in ('pass', 'fail', 'error')),
  constraint parity_check_execution_window_check check (window_from_date <= window_to_date)
);
create index if not exists parity_check_execution_started_at_idx on parity_check_execution (started_at desc);
create index if not exists parity_check_execution_procedure_execution_id_idx
  on parity_check_execution (procedure_execution_id);

-- migrate:down
-- reverting a create is a drop; `down` is only run to start over
-- squawk-ignore-file ban-drop-table
set local lock_timeout = '5s';
set local statement_timeout = '60s';
drop table if exists parity_check_execution;
drop table if exists information_bearing_entity;
drop table if exists procedure_execution;
drop table if exists performance_measurement_dataset;
