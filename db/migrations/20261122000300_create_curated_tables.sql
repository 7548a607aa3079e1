-- migrate:up
-- dbmate runs each migration in a transaction; fail fast instead of queueing behind locks.
set local lock_timeout = '5s';
set local statement_timeout = '60s';
-- Staff-curated data: media, what media denotes which product, tags and classifications.

create table if not exists media_content_entity (
  media_content_entity_id  uuid primary key default gen_random_uuid(),
  media_kind               text not null,
  url                      text not null,
  alt_text                 text,
  shopify_image_id         bigint,
  created_at               timestamptz not null default now(),
  constraint media_content_entity_shopify_image_id_key unique (shopify_image_id),
  constraint media_content_entity_media_kind_check
    check (media_kind in ('image', 'video', 'ad_creative', 'document'))
);

create table if not exists denotation_relation (
  denotation_relation_id   uuid primary key default gen_random_uuid(),
  material_artifact_id     bigint not null references material_artifact (material_artifact_id) on delete cascade,
  media_content_entity_id  uuid not null
    references media_content_entity (media_content_entity_id) on delete cascade,
  role_name                text not null default 'gallery',
  -- int, not bigint: mirrors the legacy integer column (Shopify values fit int32)
  -- squawk-ignore prefer-bigint-over-int
  display_position         integer not null default 0,
  source_system            text not null default 'shopify',
  created_by_person_id     uuid references person (person_id) on delete set null,
  created_at               timestamptz not null default now(),
  constraint denotation_relation_artifact_media_key unique (material_artifact_id, media_content_entity_id),
  constraint denotation_relation_role_name_check check (role_name in ('featured', 'gallery', 'ad', 'lifestyle')),
  constraint denotation_relation_source_system_check check (source_system in ('shopify', 'manual'))
);
create index if not exists denotation_relation_media_content_entity_id_idx
  on denotation_relation (media_content_entity_id);
create index if not exists denotation_relation_created_by_person_id_idx
  on denotation_relation (created_by_person_id);

create table if not exists tag_designation (
  tag_designation_id  uuid primary key default gen_random_uuid(),
  tag_name            text not null,
  category_name       text,
  color_code          text,
  created_at          timestamptz not null default now(),
  constraint tag_designation_tag_name_key unique (tag_name),
  constraint tag_designation_tag_name_check check (tag_name = lower(btrim(tag_name)) and tag_name <> ''),
  constraint tag_designation_color_code_check check (color_code ~ '^#[0-9a-fA-F]{6}$')
);

create table if not exists tag_content_entity (
  tag_content_entity_id  uuid primary key default gen_random_uuid(),
  material_artifact_id   bigint not null references material_artifact (material_artifact_id) on delete cascade,
  tag_designation_id     uuid not null references tag_designation (tag_designation_id) on delete cascade,
  source_system          text not null,
  created_by_person_id   uuid references person (person_id) on delete set null,
  created_at             timestamptz not null default now(),
  constraint tag_content_entity_artifact_tag_key unique (material_artifact_id, tag_designation_id),
  constraint tag_content_entity_source_system_check check (source_system in ('shopify', 'manual'))
);
create index if not exists tag_content_entity_tag_designation_id_idx on tag_content_entity (tag_designation_id);
create index if not exists tag_content_entity_created_by_person_id_idx on tag_content_entity (created_by_person_id);

create table if not exists nominal_classification (
  material_artifact_id  bigint primary key references material_artifact (material_artifact_id) on delete cascade,
  classification_code   text not null,
  is_manual             boolean not null default false,
  note_text             text,
  computed_at           timestamptz not null default now(),
  constraint nominal_classification_classification_code_check
    check (classification_code in ('A', 'B', 'C', 'NEW', 'DORMANT'))
);

-- migrate:down
-- reverting a create is a drop; `down` is only run to start over
-- squawk-ignore-file ban-drop-table
set local lock_timeout = '5s';
set local statement_timeout = '60s';
drop table if exists nominal_classification;
drop table if exists tag_content_entity;
drop table if exists tag_designation;
drop table if exists denotation_relation;
drop table if exists media_content_entity;
