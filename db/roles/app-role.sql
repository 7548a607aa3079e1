-- dashboard_app: the role the Workers connect as through Hyperdrive (`HYPERDRIVE`, the new
-- database). It reads and writes rows and nothing more: it owns no table, cannot create, alter,
-- drop or truncate one, and cannot create objects in the schema. The migrations (dbmate, run by
-- `npm run deploy` with the deploy role's DATABASE_URL) own the schema.
--
-- Run once per environment as the deploy role, after the first migration:
--   psql "$DATABASE_URL" -v app_password='…' -f db/roles/app-role.sql
-- then give Hyperdrive postgres://dashboard_app:…@<host>/<database> (docs/deploying.md, step 1).
-- Re-running it is harmless (it also sets a new password). Needs PostgreSQL 17+ (MAINTAIN).
-- Tested by test/unit/database-roles.test.ts.

do $$
begin
  if not exists (select from pg_roles where rolname = 'dashboard_app') then
    create role dashboard_app login;
  end if;
end
$$;
alter role dashboard_app password :'app_password';

-- usage only: since PostgreSQL 15 nobody but the schema's owner may create objects in public
grant usage on schema public to dashboard_app;

-- rows of every table the migrations made, and of every table they will make (the deploy role
-- runs this script and the migrations, so its default privileges cover the future tables)
grant select, insert, update, delete on all tables in schema public to dashboard_app;
grant usage, select on all sequences in schema public to dashboard_app;
alter default privileges in schema public grant select, insert, update, delete on tables to dashboard_app;
alter default privileges in schema public grant usage, select on sequences to dashboard_app;

-- ANALYZE of the tables a load has just filled (workers/shared/ingest/load.ts); without it
-- Postgres skips the analyze with a warning and the next batches plan without statistics
grant maintain on all tables in schema public to dashboard_app;
alter default privileges in schema public grant maintain on tables to dashboard_app;

-- the audit trail is append-only (db/migrations/*_create_staff_action.sql): the grants above give
-- update and delete on every table, so withdraw them here again for staff_action
do $$
begin
  if to_regclass('public.staff_action') is not null then
    revoke update, delete, truncate on staff_action from dashboard_app;
  end if;
end
$$;
