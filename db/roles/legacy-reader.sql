-- dashboard_reader: the role the Workers connect to the legacy database as (`LEGACY_HYPERDRIVE`,
-- the parity checks), and the one `npm run migrate:legacy` may use for LEGACY_DATABASE_URL. It
-- reads the legacy tables and calls its read functions; it cannot write anything: only SELECT is
-- granted, and its transactions are read-only by default as a second fence.
--
-- Run once in the legacy (Supabase) database as its owner:
--   psql "$LEGACY_OWNER_URL" -v reader_password='…' -f db/roles/legacy-reader.sql
-- (or paste it into Supabase's SQL editor with the password written in). Then give Hyperdrive
-- postgres://dashboard_reader:…@db.<project>.supabase.co:5432/postgres (docs/deploying.md, step 2).
-- Re-running it is harmless. Tested by test/unit/database-roles.test.ts.

do $$
begin
  if not exists (select from pg_roles where rolname = 'dashboard_reader') then
    create role dashboard_reader login;
  end if;
end
$$;
alter role dashboard_reader password :'reader_password';
alter role dashboard_reader set default_transaction_read_only = on;

grant usage on schema public to dashboard_reader;
grant select on all tables in schema public to dashboard_reader;
