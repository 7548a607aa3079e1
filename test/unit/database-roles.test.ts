/**
 * The least-privilege database roles docs/deploying.md documents (db/roles/*.sql), run as written on a
 * migrated new database and a legacy one: the Workers' work succeeds under them — a store loaded
 * through the loader (its ANALYZE included), the marts refreshed and classified, executions
 * recorded, the parity checks run against the legacy database — and anything beyond it is refused:
 * DDL, TRUNCATE and DROP for the app role, every write for the legacy reader.
 */
import { readFile } from 'node:fs/promises';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '#shared/db/types.ts';
import { withDatabase } from '../../scripts/lib/postgres-url.ts';
import { generateStore } from '../../scripts/store-generator/generate.ts';
import { runParityChecks } from '../../workers/shared/parity/runner.ts';
import { createTestDatabase, type TestDatabase } from '../support/node-databases.ts';
import { loadLegacySide, loadNewSide, recordCompletedSyncs } from '../support/parity-stores.ts';

/** This run's names, so a concurrent or earlier run on the same server cannot collide. */
const suffix = `${process.pid}_${Date.now().toString(36)}`;
const APP_ROLE = `dashboard_app_${suffix}`;
const READER_ROLE = `dashboard_reader_${suffix}`;
const PASSWORD = 'role-test-password';

let app: TestDatabase;
let legacy: TestDatabase;
let asApp: Sql;
let asReader: Sql;
const appNotices: string[] = [];

/** A db/roles script as psql would run it, for this run's role name and password. */
async function roleScript(file: string, role: string, variable: string): Promise<string> {
  const text = await readFile(new URL(`../../db/roles/${file}`, import.meta.url), 'utf8');
  return text.replaceAll(role.replace(/_[^_]+_[^_]+$/, ''), role).replaceAll(`:'${variable}'`, `'${PASSWORD}'`);
}

function connectAs(url: string, role: string, onnotice: (notice: postgres.Notice) => void = () => {}) {
  const u = new URL(url);
  u.username = role;
  u.password = PASSWORD;
  return postgres(u.toString(), { max: 2, onnotice });
}

async function expectRefused(query: () => Promise<unknown>, code: RegExp, label: string) {
  const error = await query().then(
    () => null,
    (e: { code?: string }) => e,
  );
  expect(error?.code, `${label} was allowed`).toMatch(code);
}

beforeAll(async () => {
  [app, legacy] = await Promise.all([createTestDatabase('app'), createTestDatabase('legacy')]);
  await app.sql.unsafe(await roleScript('app-role.sql', APP_ROLE, 'app_password'));
  await legacy.sql.unsafe(await roleScript('legacy-reader.sql', READER_ROLE, 'reader_password'));
  asApp = connectAs(app.url, APP_ROLE, (notice) => appNotices.push(`${notice.severity}: ${notice.message}`));
  asReader = connectAs(legacy.url, READER_ROLE);
});

afterAll(async () => {
  await asApp?.end({ timeout: 5 });
  await asReader?.end({ timeout: 5 });
  await Promise.all([app?.drop(), legacy?.drop()]);
  const admin = postgres(withDatabase(app.url, 'postgres'), { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop role if exists "${APP_ROLE}"`);
  await admin.unsafe(`drop role if exists "${READER_ROLE}"`);
  await admin.end();
});

describe('db/roles/app-role.sql (the Workers on the new database)', () => {
  it('is enough for loads (with their ANALYZE), mart refreshes, classification, recorded executions and the parity checks', async () => {
    const store = generateStore({ seed: 91, products: 15, orders: 60 });
    await loadLegacySide(legacy.sql, store);
    await loadNewSide(asApp, store);
    await recordCompletedSyncs(legacy.sql, asApp);
    // what the loader runs once a table has grown (load.ts): Postgres would skip it with a warning
    await asApp`analyze material_artifact`;
    expect(appNotices.filter((n) => /skipping|permission/i.test(n))).toEqual([]);
    const [analyzed] = await app.sql<{ n: number }[]>`
      select count(*)::int as n from pg_stat_user_tables
      where relname = 'material_artifact' and last_analyze is not null`;
    expect(analyzed?.n, 'material_artifact analyzed by the app role').toBe(1);

    const run = await runParityChecks(asReader, asApp);
    expect(run.checks.map((c) => [c.name, c.verdict])).toEqual(run.checks.map((c) => [c.name, 'pass']));
  });

  it('refuses DDL, TRUNCATE and DROP', async () => {
    await expectRefused(() => asApp`create table intruder (id int)`, /^42501$/, 'create table');
    await expectRefused(() => asApp`alter table person add column intruder int`, /^42501$/, 'alter table');
    await expectRefused(() => asApp`truncate act_of_sale cascade`, /^42501$/, 'truncate');
    await expectRefused(() => asApp`drop table quarantined_line`, /^42501$/, 'drop table');
    await expectRefused(
      () => asApp`create function intruder() returns int language sql as 'select 1'`,
      /^42501$/,
      'create function',
    );
  });

  it('may append to the audit trail and read it, never update, delete or truncate it', async () => {
    const [privileges] = await app.sql<Record<string, boolean>[]>`
      select has_table_privilege(${APP_ROLE}, 'staff_action', 'INSERT') as insert,
             has_table_privilege(${APP_ROLE}, 'staff_action', 'SELECT') as select,
             has_table_privilege(${APP_ROLE}, 'staff_action', 'UPDATE') as update,
             has_table_privilege(${APP_ROLE}, 'staff_action', 'DELETE') as delete,
             has_table_privilege(${APP_ROLE}, 'staff_action', 'TRUNCATE') as truncate`;
    expect(privileges).toEqual({ insert: true, select: true, update: false, delete: false, truncate: false });
    await asApp`
      insert into staff_action (actor_description, action_kind, target_kind, target_id)
      values ('roles test', 'tag.create', 'tag', 'x')`;
    await expectRefused(() => asApp`delete from staff_action`, /^42501$/, 'delete from staff_action');
  });
});

describe('db/roles/legacy-reader.sql (the legacy database, read-only)', () => {
  it('reads tables and calls the read functions', async () => {
    const [summary] = await asReader`select get_dashboard_summary(current_date - 90, current_date) as s`;
    expect(summary?.s).toBeTruthy();
    const [products] = await asReader<{ n: number }[]>`select count(*)::int as n from products`;
    expect(products?.n).toBeGreaterThan(0);
  });

  it('refuses every write, even in a transaction that asks to be read-write', async () => {
    await expectRefused(() => asReader`insert into tags (name) values ('intruder')`, /^(25006|42501)$/, 'insert');
    await expectRefused(() => asReader`delete from orders`, /^(25006|42501)$/, 'delete');
    await expectRefused(() => asReader`select refresh_mart_performance_metrics()`, /^(25006|42501)$/, 'refresh');
    await expectRefused(
      () => asReader.begin('read write', (tx) => tx`update products set title = 'intruder'`),
      /^42501$/,
      'update in a read-write transaction',
    );
    await expectRefused(() => asReader`create table intruder (id int)`, /^(25006|42501)$/, 'create table');
  });
});
