-- migrate:up
-- dbmate runs each migration in a transaction; fail fast instead of queueing behind locks.
set local lock_timeout = '5s';
set local statement_timeout = '60s';
-- Raw Shopify data, one row per Shopify object; ids are Shopify's numeric ids.

create table if not exists material_artifact (
  material_artifact_id  bigint primary key,
  title                 text not null,
  handle                text not null,
  vendor                text,
  product_type          text,
  status                text not null,
  shopify_tag_names     text[] not null default '{}',
  created_at            timestamptz not null,
  updated_at            timestamptz not null,
  published_at          timestamptz,
  deleted_at            timestamptz,
  synced_at             timestamptz not null default now(),
  constraint material_artifact_status_check check (status in ('active', 'archived', 'draft'))
);
create index if not exists material_artifact_updated_at_idx on material_artifact (updated_at desc);

create table if not exists material_artifact_variant (
  material_artifact_variant_id        bigint primary key,
  material_artifact_id                bigint not null
    references material_artifact (material_artifact_id) on delete cascade,
  title                               text not null,
  sku                                 text,
  price_measurement_value             numeric(12, 2) not null,
  compare_at_price_measurement_value  numeric(12, 2),
  -- int, not bigint: mirrors the legacy integer column (Shopify values fit int32)
  -- squawk-ignore prefer-bigint-over-int
  inventory_count                     integer,
  created_at                          timestamptz,
  updated_at                          timestamptz
);
create index if not exists material_artifact_variant_material_artifact_id_idx
  on material_artifact_variant (material_artifact_id);

create table if not exists act_of_sale (
  act_of_sale_id                     bigint primary key,
  order_name                         text not null,
  processed_at                       timestamptz not null,
  created_at                         timestamptz not null,
  updated_at                         timestamptz not null,
  cancelled_at                       timestamptz,
  currency_code                      text not null,
  financial_status                   text,
  fulfillment_status                 text,
  subtotal_price_measurement_value   numeric(14, 2) not null,
  total_discounts_measurement_value  numeric(14, 2) not null default 0,
  total_tax_measurement_value        numeric(14, 2) not null default 0,
  total_price_measurement_value      numeric(14, 2) not null,
  is_test                            boolean not null default false,
  synced_at                          timestamptz not null default now()
);
create index if not exists act_of_sale_processed_at_idx on act_of_sale (processed_at);

create table if not exists act_of_sale_line (
  act_of_sale_line_id               bigint primary key,
  act_of_sale_id                    bigint not null references act_of_sale (act_of_sale_id) on delete cascade,
  -- no foreign key: null for custom lines, and a line may name a product deleted in Shopify
  material_artifact_id              bigint,
  material_artifact_variant_id      bigint,
  title                             text not null,
  sku                               text,
  -- int, not bigint: mirrors the legacy integer column (Shopify values fit int32)
  -- squawk-ignore prefer-bigint-over-int
  quantity_count                    integer not null,
  unit_price_measurement_value      numeric(12, 2) not null,
  total_discount_measurement_value  numeric(14, 2) not null default 0
);
create index if not exists act_of_sale_line_act_of_sale_id_idx on act_of_sale_line (act_of_sale_id);
create index if not exists act_of_sale_line_material_artifact_id_idx on act_of_sale_line (material_artifact_id);

create table if not exists act_of_refund (
  act_of_refund_id  bigint primary key,
  act_of_sale_id    bigint not null references act_of_sale (act_of_sale_id) on delete cascade,
  created_at        timestamptz not null
);
create index if not exists act_of_refund_act_of_sale_id_idx on act_of_refund (act_of_sale_id);

create table if not exists act_of_refund_line (
  act_of_refund_line_id       bigint primary key,
  act_of_refund_id            bigint not null references act_of_refund (act_of_refund_id) on delete cascade,
  act_of_sale_line_id         bigint not null references act_of_sale_line (act_of_sale_line_id) on delete cascade,
  -- int, not bigint: mirrors the legacy integer column (Shopify values fit int32)
  -- squawk-ignore prefer-bigint-over-int
  quantity_count              integer not null,
  subtotal_measurement_value  numeric(14, 2) not null
);
create index if not exists act_of_refund_line_act_of_refund_id_idx on act_of_refund_line (act_of_refund_id);
create index if not exists act_of_refund_line_act_of_sale_line_id_idx on act_of_refund_line (act_of_sale_line_id);

-- migrate:down
-- reverting a create is a drop; `down` is only run to start over
-- squawk-ignore-file ban-drop-table
set local lock_timeout = '5s';
set local statement_timeout = '60s';
drop table if exists act_of_refund_line;
drop table if exists act_of_refund;
drop table if exists act_of_sale_line;
drop table if exists act_of_sale;
drop table if exists material_artifact_variant;
drop table if exists material_artifact;
