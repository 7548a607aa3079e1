/**
 * `npm run parity` from a terminal: a table of the checks, exit 0 when all pass, 1 when one fails
 * (naming it and why), 2 on bad usage; the operator's view of the same checks the Worker runs.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateStore } from '../../scripts/store-generator/generate.ts';
import { createTestDatabase, type TestDatabase } from '../support/node-databases.ts';
import { loadStoreIntoBoth } from '../support/parity-stores.ts';

const CLI = fileURLToPath(new URL('../../scripts/parity/cli.ts', import.meta.url));

let legacyDb: TestDatabase;
let newDb: TestDatabase;

function parity(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, DATABASE_URL: '', LEGACY_DATABASE_URL: '' } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  [legacyDb, newDb] = await Promise.all([createTestDatabase('legacy'), createTestDatabase('app')]);
  await loadStoreIntoBoth(legacyDb.sql, newDb.sql, generateStore({ seed: 63, products: 30, orders: 400, days: 40 }));
});

afterAll(async () => {
  await Promise.all([legacyDb?.drop(), newDb?.drop()]);
});

describe('npm run parity', () => {
  it('prints a table of the checks and exits 0 when every check passes', async () => {
    const { code, stdout } = await parity('--legacy', legacyDb.url, '--new', newDb.url);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^parity run .*: PASS$/m);
    expect(stdout).toMatch(/^check\s+legacy\s+new\s+difference\s+tolerance\s+verdict$/m);
    for (const name of [
      'dataset_row_count',
      'daily_net_sales',
      'top_products',
      'classification_distribution',
      'denotation_coverage',
      'tag_count',
    ]) {
      expect(stdout).toMatch(new RegExp(`^${name}\\s.*\\s0%\\s+1\\.00%\\s+PASS$`, 'm'));
    }
    const [tags] = await legacyDb.sql<{ n: number }[]>`select count(*)::int as n from tag_classifications`;
    expect(stdout).toMatch(new RegExp(`^tag_count\\s+${tags?.n}\\s+${tags?.n}\\s`, 'm'));
  });

  it('exits 1 when a check fails, naming it and what differs', async () => {
    await newDb.sql`delete from tag_content_entity where material_artifact_id % 2 = 0`;
    try {
      const { code, stdout } = await parity('--legacy', legacyDb.url, '--new', newDb.url);
      expect(code).toBe(1);
      expect(stdout).toMatch(/^parity run .*: FAIL$/m);
      expect(stdout).toMatch(/^tag_count\s.*FAIL$/m);
      expect(stdout).toMatch(/^FAIL tag_count: \d+ legacy tag classifications vs \d+ new; \d+ products differ/m);
      const json = await parity('--legacy', legacyDb.url, '--new', newDb.url, '--json', '--tolerance', '0.5');
      const run = JSON.parse(json.stdout);
      expect(run.tolerance).toBe(0.5);
      expect(
        run.checks.find((c: { name: string }) => c.name === 'tag_count').details.differing_products.length,
      ).toBeGreaterThan(0);
    } finally {
      // Restore the new side for the other tests.
      await newDb.sql`truncate tag_content_entity`;
      await newDb.sql`
        insert into tag_content_entity (material_artifact_id, tag_designation_id, source_system)
        select p.material_artifact_id, t.tag_designation_id, 'shopify'
        from material_artifact p cross join unnest(p.shopify_tag_names) as n(name)
        join tag_designation t on t.tag_name = n.name`;
    }
  });

  it('exits 2 with the usage on bad arguments', async () => {
    const missing = await parity('--legacy', legacyDb.url);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--new is required (or set DATABASE_URL)');
    expect(missing.stderr).toContain('usage: npm run parity');
    const badTolerance = await parity('--legacy', legacyDb.url, '--new', newDb.url, '--tolerance', '5');
    expect(badTolerance.code).toBe(2);
    expect(badTolerance.stderr).toContain('--tolerance must be a number greater than 0 and below 1');
  });
});
