import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, migrate, PROJECT_ROOT, runDbmate, withMigrationLock } from '../../scripts/lib/migrations.ts';
import { createTestDatabase, type TestDatabase } from '../support/node-databases.ts';
import { findSchemaDrift } from '../support/schema-drift.ts';

const run = promisify(execFile);
const squawk = join(PROJECT_ROOT, 'node_modules/.bin/squawk');

async function lint(...paths: string[]) {
  return run(squawk, ['--config', join(PROJECT_ROOT, '.squawk.toml'), ...paths]).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  );
}

describe('migrations', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('empty');
  });
  afterAll(() => database.drop());

  it('squawk finds nothing in db/migrations (each finding is fixed or annotated with its reason)', async () => {
    const result = await lint(`${MIGRATIONS_DIR}/*.sql`);
    expect(result.stdout).toContain('Found 0 issues');
    expect(result.code).toBe(0);
  });

  it('squawk fails a migration that would block writes on a live table', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'squawk-'));
    const file = join(dir, '20990101000000_bad.sql');
    await writeFile(file, '-- migrate:up\ncreate index act_of_sale_name_idx on act_of_sale (order_name);\n');
    const result = await lint(file);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toContain('require-concurrent-index-creation');
  });

  it('go up, all the way down, and up again to the same schema', async () => {
    await migrate(database.url, { quiet: true });
    expect(await findSchemaDrift(database.sql)).toEqual([]);
    const migrations = (await database.sql`select version from schema_migrations`).length;
    expect(migrations).toBeGreaterThan(0);
    for (let i = 0; i < migrations; i++) await runDbmate(database.url, 'rollback', { quiet: true });
    const left =
      await database.sql`select tablename from pg_tables where schemaname = 'public' and tablename <> 'schema_migrations'`;
    expect(left).toEqual([]);
    await migrate(database.url, { quiet: true });
    await migrate(database.url, { quiet: true }); // a second run is a no-op
    expect(await findSchemaDrift(database.sql)).toEqual([]);
  });

  it('holds an advisory lock so a second migrator waits, then times out with a clear message', async () => {
    let release!: () => void;
    const held = withMigrationLock(database.url, () => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((r) => setTimeout(r, 300));
    await expect(withMigrationLock(database.url, async () => 'ran', 1_000)).rejects.toThrow(/held the migration lock/);
    release();
    await held;
    await expect(withMigrationLock(database.url, async () => 'ran', 1_000)).resolves.toBe('ran');
  });
});
