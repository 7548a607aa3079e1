import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, PROJECT_ROOT } from '../../scripts/lib/migrations.ts';
import { createTestDatabase, type TestDatabase } from '../support/node-databases.ts';

const run = promisify(execFile);

/** Runs `npm run deploy -- …` as CI does (node scripts/deploy.ts), never failing the promise. */
async function deploy(args: string[], env: Record<string, string>) {
  const { DATABASE_URL: _, ...inherited } = process.env;
  return run(process.execPath, ['scripts/deploy.ts', ...args], {
    cwd: PROJECT_ROOT,
    env: { ...inherited, CI: 'true', ...env },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      output: error.stdout + error.stderr,
    }),
  );
}

describe('npm run deploy', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('empty');
  });
  afterAll(() => database.drop());

  const tables = async () =>
    (await database.sql`select tablename from pg_tables where schemaname = 'public'`).map((row) => row.tablename);

  it('--dry-run bundles both Workers and reports the pending migrations without changing the database', async () => {
    const migrations = (await readdir(MIGRATIONS_DIR)).filter((file) => file.endsWith('.sql'));
    const { code, output } = await deploy(['--env', 'staging', '--dry-run'], { STAGING_DATABASE_URL: database.url });
    expect(output).toContain('ingest: wrangler deploy --dry-run --env staging (workers/ingest/wrangler.toml)');
    expect(output).toContain('dashboard-api: wrangler deploy --dry-run --env staging (wrangler.toml)');
    expect(output).toContain('(STAGING_DATABASE_URL)');
    expect(output).toContain(`Pending: ${migrations.length}`);
    // The repository's configs still carry the ids to fill in: a warning in a dry run.
    expect(output).toMatch(/placeholders left in the staging configuration[\s\S]*REPLACE_WITH_STAGING_HYPERDRIVE_ID/);
    // Both Hyperdrive configs: caching on, with the documented settings (their ids are placeholders: to create).
    expect(output).toContain(
      'Hyperdrive configs: query caching on (max_age 60 s, stale_while_revalidate 15 s), origin connection limit 20 (new database) / 5 (legacy)',
    );
    expect(output).toMatch(
      /the HYPERDRIVE config does not exist yet: `npm run deploy -- --env staging --create-hyperdrive`/,
    );
    expect(output).toContain(
      'R2 lifecycle: objects in shopify-raw-archive-staging expire 400 days after they were written (not set in a dry run)',
    );
    expect(output).toContain('dry run complete');
    expect(code).toBe(0);
    expect(await tables()).toEqual([]);
  });

  it('refuses a real deploy while placeholders remain, before touching the database', async () => {
    const { code, output } = await deploy(['--env', 'production'], { DATABASE_URL: database.url });
    expect(code).toBe(1);
    expect(output).toMatch(
      /placeholders left in the production configuration[\s\S]*REPLACE_WITH_PRODUCTION_HYPERDRIVE_ID/,
    );
    expect(output).not.toContain('migrating');
    expect(await tables()).toEqual([]);
  });

  it('names what is missing: the environment and its database', async () => {
    const noEnvironment = await deploy(['--dry-run'], {});
    expect(noEnvironment).toMatchObject({ code: 1 });
    expect(noEnvironment.output).toContain('--env must be staging or production');
    const noDatabase = await deploy(['--env', 'staging', '--dry-run'], {});
    expect(noDatabase).toMatchObject({ code: 1 });
    expect(noDatabase.output).toContain('STAGING_DATABASE_URL (or DATABASE_URL) is not set');
  });
});
