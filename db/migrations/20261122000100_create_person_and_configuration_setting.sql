-- migrate:up
-- dbmate runs each migration in a transaction; fail fast instead of queueing behind locks.
set local lock_timeout = '5s';
set local statement_timeout = '60s';
-- Staff members and the shop's settings: the data only the legacy database holds today.
create extension if not exists pgcrypto;

create table if not exists person (
  person_id   uuid primary key default gen_random_uuid(),
  email       text not null,
  full_name   text,
  role_name   text not null default 'viewer',
  created_at  timestamptz not null default now(),
  constraint person_email_key unique (email),
  constraint person_email_check check (email = lower(btrim(email)) and email like '%_@_%'),
  constraint person_role_name_check check (role_name in ('master', 'admin', 'staff', 'viewer'))
);

create table if not exists configuration_setting (
  setting_key    text primary key,
  setting_value  jsonb not null,
  updated_at     timestamptz not null default now()
);

-- migrate:down
-- reverting a create is a drop; `down` is only run to start over
-- squawk-ignore-file ban-drop-table
set local lock_timeout = '5s';
set local statement_timeout = '60s';
drop table if exists configuration_setting;
drop table if exists person;
