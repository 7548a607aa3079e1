/**
 * The COPY pipe under the data migration, against the two postgres.js 3.4.9 COPY bugs it works
 * around: a connection left with a paused socket after a COPY TO STDOUT (porsager/postgres#1016)
 * and a COPY FROM STDIN that never settles when the server rejects its last rows (#1173). Each test
 * bounds its wait, so a regression fails instead of hanging the suite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countNewlines, pipeCopy } from '../../scripts/migrate-legacy/copy-stream.ts';
import { type MigrationDatabases, openMigrationDatabases } from '../../scripts/migrate-legacy/databases.ts';
import { createTestDatabase, type TestDatabase } from '../support/node-databases.ts';

function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not settle in ${ms} ms`)), ms)),
  ]);
}

const tagsOut = (rows: number, badLast = false) =>
  `copy (select 'tag ' || g || ' ' || repeat('x', 90), case when ${badLast} and g = ${rows} then 'red' end
         from generate_series(1, ${rows}) g) to stdout`;
const tagsIn = 'copy tag_designation (tag_name, color_code) from stdin';

describe('pipeCopy', () => {
  let legacy: TestDatabase;
  let target: TestDatabase;
  let db: MigrationDatabases;

  beforeAll(async () => {
    [legacy, target] = await Promise.all([createTestDatabase('legacy'), createTestDatabase('app')]);
    db = await openMigrationDatabases(legacy.url, target.url);
  });
  afterAll(async () => {
    await db.close();
    await Promise.all([legacy.drop(), target.drop()]);
  });

  it('counts rows by their newline bytes only', () => {
    expect(countNewlines(Buffer.from('a\tb\\nc\n\\N\tx\n'))).toBe(2);
    expect(countNewlines(Buffer.alloc(0))).toBe(0);
  });

  it('leaves the source connection usable after outputs of every size (postgres.js #1016)', async () => {
    await db.legacy.begin(async (source) => {
      for (const rows of [1, 500, 700, 1_000, 1_500, 3_000]) {
        await db.target.begin(async (tx) => {
          expect(await within(pipeCopy(source, tagsOut(rows), tx, tagsIn), `copy of ${rows} rows`)).toBe(rows);
          await tx`delete from tag_designation`;
        });
        // the next query on the same source connection must be answered
        expect(await within(source`select ${rows}::int as n`, `the query after ${rows} rows`)).toEqual([{ n: rows }]);
      }
    });
  });

  it('rejects with the server error when the last row is refused after CopyDone, and both sides stay usable (#1173)', async () => {
    await db.legacy.begin(async (source) => {
      const failure = await within(
        db.target.begin((tx) => pipeCopy(source, tagsOut(800, true), tx, tagsIn)),
        'the failed copy',
      ).catch((error: unknown) => error);
      expect(failure).toMatchObject({ constraint_name: 'tag_designation_color_code_check' });
      expect((failure as { where?: string }).where).toContain('line 800');
      expect(await within(source`select 1::int as one`, 'the source afterwards')).toEqual([{ one: 1 }]);
    });
    expect(await within(db.target`select count(*)::int as n from tag_designation`, 'the target afterwards')).toEqual([
      { n: 0 },
    ]);
  });

  it('rejects when the source query fails at its first row (with the start of its COPY, in one socket read)', async () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const failure = await within(
        db.target.begin((tx) =>
          pipeCopy(
            db.legacy,
            `copy (select 'tag ' || (1 / (g - 1)), null from generate_series(1, 3) g) to stdout`,
            tx,
            tagsIn,
          ),
        ),
        'the failed copy',
      ).catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: '22012' }); // division by zero, and no uncaught stream error
    }
    expect(await within(db.legacy`select 1::int as one`, 'the source afterwards')).toEqual([{ one: 1 }]);
  });

  it('rejects when the source query fails mid-stream, and the target transaction rolls back', async () => {
    const failure = await within(
      db.target.begin((tx) =>
        pipeCopy(
          db.legacy,
          `copy (select 'tag ' || g || (1 / (g - 2000)), null from generate_series(1, 3000) g) to stdout`,
          tx,
          tagsIn,
        ),
      ),
      'the failed copy',
    ).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: '22012' }); // division by zero
    expect(await within(db.target`select count(*)::int as n from tag_designation`, 'the target afterwards')).toEqual([
      { n: 0 },
    ]);
    expect(await within(db.legacy`select 1::int as one`, 'the source afterwards')).toEqual([{ one: 1 }]);
  });
});
