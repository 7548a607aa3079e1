/**
 * What stops the data migration before it moves anything: legacy rows the new schema rejects,
 * structure the names map does not know, and a target that is not ready. `assess` names each
 * (table, key, rule); `run` refuses with a non-zero exit and writes nothing. And when a row gets
 * past assess, the COPY failure itself names table, key and constraint, and keeps what committed.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mappingForLegacyTable } from '../../db/names-map.ts';
import { tableColumns } from '../../scripts/migrate-legacy/catalog.ts';
import { readCheckpoints } from '../../scripts/migrate-legacy/checkpoint.ts';
import { openMigrationDatabases } from '../../scripts/migrate-legacy/databases.ts';
import { MigrationError } from '../../scripts/migrate-legacy/errors.ts';
import { copyTable } from '../../scripts/migrate-legacy/run.ts';
import { describeMigratedTable } from '../../scripts/migrate-legacy/table-sql.ts';
import {
  buildLegacyDatabase,
  migrateLegacy,
  STAFF_EMAILS,
  snapshotDatabase,
} from '../support/legacy-migration-fixture.ts';
import { createTestDatabase, type TestDatabase } from '../support/node-databases.ts';

type Sql = TestDatabase['sql'];

interface Blocker {
  legacyTable: string | null;
  rule: string;
  problem: string;
  keys: string[][];
  rowCount: number;
}

async function assessBlockers(legacy: TestDatabase, target: TestDatabase, args: string[] = []): Promise<Blocker[]> {
  const result = await migrateLegacy(['assess', '--json', ...args], { legacy: legacy.url, target: target.url });
  expect(result.stderr).toBe('');
  const report = JSON.parse(result.stdout) as { blockers: Blocker[] };
  expect(result.code).toBe(report.blockers.length > 0 ? 1 : 0);
  return report.blockers;
}

/** Each case breaks a small, otherwise clean legacy database one way and returns the key it broke. */
const LEGACY_ROW_CASES: {
  name: string;
  legacyTable: string;
  rule: string;
  breakIt: (sql: Sql) => Promise<string[]>;
}[] = [
  {
    name: "a tag colour that is not #rrggbb ('red')",
    legacyTable: 'tags',
    rule: 'tag_designation_color_code_check',
    breakIt: async (sql) => {
      const [row] = await sql<
        { id: string }[]
      >`insert into tags (name, color) values ('urgent', 'red') returning id::text`;
      return [row?.id as string];
    },
  },
  {
    name: 'an upper-case tag name',
    legacyTable: 'tags',
    rule: 'tag_designation_tag_name_check',
    breakIt: async (sql) => {
      const [row] = await sql<{ id: string }[]>`insert into tags (name) values ('Summer Sale') returning id::text`;
      return [row?.id as string];
    },
  },
  {
    name: 'a blank tag name',
    legacyTable: 'tags',
    rule: 'tag_designation_tag_name_check',
    breakIt: async (sql) => {
      const [row] = await sql<{ id: string }[]>`insert into tags (name) values ('   ') returning id::text`;
      return [row?.id as string];
    },
  },
  {
    name: 'an email that is not lower-case',
    legacyTable: 'profiles',
    rule: 'person_email_check',
    breakIt: async (sql) => {
      const [row] = await sql<{ id: string }[]>`
        insert into profiles (email, role) values ('Casey@Example.com', 'staff') returning id::text`;
      return [row?.id as string];
    },
  },
  {
    name: 'is_master that disagrees with the role (dropping is_master would demote them)',
    legacyTable: 'profiles',
    rule: "is_master = (role = 'master')",
    breakIt: async (sql) => {
      const [row] = await sql<{ id: string }[]>`
        update profiles set is_master = true where email = ${STAFF_EMAILS.admin} returning id::text`;
      return [row?.id as string];
    },
  },
  {
    name: 'a succeeded sync run without a finish time',
    legacyTable: 'sync_runs',
    rule: 'procedure_execution_finished_check',
    breakIt: async (sql) => {
      const [row] = await sql<{ id: string }[]>`
        insert into sync_runs (kind, status, finished_at) values ('orders', 'succeeded', null) returning id::text`;
      return [row?.id as string];
    },
  },
  {
    name: 'an orphan row (a legacy database whose foreign key was never enforced)',
    legacyTable: 'tag_classifications',
    rule: 'tag_content_entity_material_artifact_id_fkey',
    breakIt: async (sql) => {
      await sql`alter table tag_classifications drop constraint tag_classifications_product_id_fkey`;
      const [row] = await sql<{ id: string }[]>`
        insert into tag_classifications (product_id, tag_id, source)
        values (42, (select id from tags order by name limit 1), 'manual') returning id::text`;
      return [row?.id as string];
    },
  },
];

describe('migrate:legacy blockers', () => {
  let legacy: TestDatabase;
  let target: TestDatabase;
  const cleanup: TestDatabase[] = [];

  beforeEach(async () => {
    [legacy, target] = await Promise.all([createTestDatabase('legacy'), createTestDatabase('app')]);
    await buildLegacyDatabase(legacy.sql, { seed: 5, products: 6, orders: 20 });
  });
  afterEach(async () => {
    await Promise.all([legacy.drop(), target.drop(), ...cleanup.splice(0).map((d) => d.drop())]);
  });
  afterAll(async () => {
    await Promise.all(cleanup.map((d) => d.drop()));
  });

  it('the clean fixture has no blockers (so each case below is what makes assess fail)', async () => {
    expect(await assessBlockers(legacy, target)).toEqual([]);
  });

  for (const c of LEGACY_ROW_CASES) {
    it(`assess reports ${c.name} with its table, key and rule`, async () => {
      const key = await c.breakIt(legacy.sql);
      const blockers = await assessBlockers(legacy, target);
      expect(blockers).toEqual([
        expect.objectContaining({ legacyTable: c.legacyTable, rule: c.rule, keys: [key], rowCount: 1 }),
      ]);
      expect(blockers[0]?.problem).toContain(key[0]);
    });
  }

  it('run refuses a constraint-violating row: exit 1 naming table, key and constraint, and nothing written', async () => {
    const [tag] = await legacy.sql<{ id: string }[]>`
      insert into tags (name, color) values ('urgent', 'red') returning id::text`;
    const before = await snapshotDatabase(target.sql);
    const result = await migrateLegacy(['run'], { legacy: legacy.url, target: target.url });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('the migration cannot start: 1 blocker(s)');
    expect(result.stdout).toMatch(new RegExp(`\\[tags\\] tag_designation_color_code_check: .*id=${tag?.id}`));
    expect(await snapshotDatabase(target.sql)).toEqual(before);
  });

  it('assess reports legacy columns and tables the names map does not know', async () => {
    await legacy.sql`alter table products add column staff_notes text`;
    await legacy.sql`create table wishlists (id bigint primary key, product_id bigint)`;
    const blockers = await assessBlockers(legacy, target);
    expect(blockers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          legacyTable: 'products',
          rule: 'unknown column',
          problem: expect.stringContaining('products.staff_notes'),
        }),
        expect.objectContaining({
          legacyTable: null,
          rule: 'unknown table',
          problem: expect.stringContaining('wishlists'),
        }),
      ]),
    );
    expect(blockers).toHaveLength(2);
  });

  it('assess reports a target that is not migrated', async () => {
    const empty = await createTestDatabase('empty');
    cleanup.push(empty);
    const blockers = await assessBlockers(legacy, empty);
    expect(blockers[0]).toMatchObject({ legacyTable: null, rule: 'target not migrated' });
    expect(blockers[0]?.problem).toContain('npm run db:migrate');
    expect(blockers.filter((b) => b.rule === 'target not migrated').length).toBe(blockers.length);
  });

  it('assess reports a target that already holds rows it did not write (e.g. a seeded person)', async () => {
    await target.sql`insert into person (email, role_name) values ('seeded@example.com', 'master')`;
    expect(await assessBlockers(legacy, target)).toEqual([
      expect.objectContaining({ legacyTable: 'profiles', rule: 'target not empty' }),
    ]);
  });

  it('--tables refuses a table whose foreign-key parents are not migrated yet', async () => {
    const blockers = await assessBlockers(legacy, target, ['--tables', 'tag_classifications']);
    expect(blockers.map((b) => [b.legacyTable, b.rule, b.problem.split(' (')[0]]).sort()).toEqual([
      ['tag_classifications', 'parent not migrated', 'tag_content_entity references material_artifact'],
      ['tag_classifications', 'parent not migrated', 'tag_content_entity references person'],
      ['tag_classifications', 'parent not migrated', 'tag_content_entity references tag_designation'],
    ]);
    const parents = await migrateLegacy(['run', '--tables', 'profiles,products,tags'], {
      legacy: legacy.url,
      target: target.url,
    });
    expect(parents.code).toBe(0);
    expect(await assessBlockers(legacy, target, ['--tables', 'tag_content_entity'])).toEqual([]);
  });

  it('an unknown --tables name is a usage error (exit 2) listing the known names', async () => {
    const result = await migrateLegacy(['plan', '--tables', 'profiles,wishlists'], {
      legacy: legacy.url,
      target: target.url,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown table wishlists');
    expect(result.stderr).toContain('sync_runs');
  });

  it('a row that gets past assess fails its batch naming table, key and constraint; earlier batches stay committed', async () => {
    await legacy.sql`insert into tags (name) select 'bulk tag ' || g from generate_series(1, 120) g`;
    const [bad] = await legacy.sql<{ id: string }[]>`
      update tags set color = 'red'
      where id = (select id from tags order by id offset 75 limit 1) returning id::text`;
    const db = await openMigrationDatabases(legacy.url, target.url);
    try {
      const mapping = mappingForLegacyTable('tags');
      const table = describeMigratedTable(
        mapping,
        await tableColumns(db.legacy, 'tags'),
        await tableColumns(db.target, 'tag_designation'),
      );
      const failure = await copyTable(
        db.legacy,
        (work) => db.target.begin((tx) => work(tx)) as Promise<number>,
        table,
        null,
        {
          batchSize: 50,
        },
      ).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(MigrationError);
      const message = (failure as Error).message;
      expect(message).toContain('copying tags → tag_designation failed');
      expect(message).toContain(`at legacy row id=${bad?.id}`);
      expect(message).toContain('(constraint tag_designation_color_code_check)');

      const checkpoint = (await readCheckpoints(db.target)).get('tags');
      expect(checkpoint).toMatchObject({ status: 'copying', rowsCopied: 50, batches: 1 });
      const [{ n } = { n: -1 }] = await target.sql<{ n: number }[]>`select count(*)::int as n from tag_designation`;
      expect(n).toBe(50);
      const idle = await target.sql`
        select 1 from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`;
      expect(idle).toHaveLength(0);
    } finally {
      await db.close();
    }
  });
});
