-- migrate:up
-- dbmate runs each migration in a transaction; fail fast instead of queueing behind locks.
set local lock_timeout = '5s';
set local statement_timeout = '60s';
-- The audit trail: one row per staff or admin write (workers/shared/audit/staff-action.ts), written
-- in the same transaction as the write it records: who (the person, or a service token by name),
-- when, what (action_kind), on what (target_kind, target_id), and the values before and after.
-- Append-only: a trigger refuses every update, delete and truncate, whoever asks (README
-- "Audit trail"); db/roles/app-role.sql also withholds those privileges from the Workers' role.
-- No foreign key to person: the record must outlive whatever it names.

create table if not exists staff_action (
  staff_action_id        uuid primary key default gen_random_uuid(),
  performed_at           timestamptz not null default now(),
  actor_person_id        uuid,
  actor_description      text not null,
  action_kind            text not null,
  target_kind            text not null,
  target_id              text not null,
  before_state           jsonb,
  after_state            jsonb,
  request_id             text
);
create index if not exists staff_action_performed_at_idx on staff_action (performed_at desc, staff_action_id desc);
create index if not exists staff_action_actor_person_id_idx
  on staff_action (actor_person_id, performed_at desc);
create index if not exists staff_action_target_idx on staff_action (target_id, performed_at desc);

create or replace function staff_action_refuse_change() returns trigger
language plpgsql as $$
begin
  raise exception 'staff_action is append-only: % is refused', tg_op
    using errcode = 'insufficient_privilege';
end
$$;

drop trigger if exists staff_action_append_only on staff_action;
create trigger staff_action_append_only
  before update or delete on staff_action
  for each row execute function staff_action_refuse_change();
drop trigger if exists staff_action_no_truncate on staff_action;
create trigger staff_action_no_truncate
  before truncate on staff_action
  for each statement execute function staff_action_refuse_change();

-- The Workers' role (db/roles/app-role.sql), where it exists already: insert and select only.
do $$
begin
  if exists (select from pg_roles where rolname = 'dashboard_app') then
    revoke update, delete, truncate on staff_action from dashboard_app;
  end if;
end
$$;

-- migrate:down
-- reverting a create is a drop; `down` is only run to start over
-- squawk-ignore-file ban-drop-table
set local lock_timeout = '5s';
set local statement_timeout = '60s';
drop table if exists staff_action;
drop function if exists staff_action_refuse_change();
