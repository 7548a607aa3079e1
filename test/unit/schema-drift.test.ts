import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/node-databases.ts';
import { findSchemaDrift } from '../support/schema-drift.ts';

describe('drizzle schema vs dbmate migrations', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('app');
  });
  afterAll(() => database.drop());

  it('db/schema.ts mirrors the migrated database exactly', async () => {
    expect(await findSchemaDrift(database.sql)).toEqual([]);
  });

  it('reports a column whose nullability, type or default changed, and an index that vanished', async () => {
    await database.sql`alter table person alter column full_name set not null`;
    await database.sql`alter table act_of_sale alter column order_name type varchar(40)`;
    await database.sql`alter table tag_designation alter column category_name set default 'general'`;
    await database.sql`drop index act_of_sale_processed_at_idx`;
    await database.sql`alter table material_artifact add column shadow_note text`;
    const drift = await findSchemaDrift(database.sql);
    expect(drift).toEqual(
      expect.arrayContaining([
        expect.stringContaining('person: column full_name differs'),
        expect.stringContaining('act_of_sale: column order_name differs'),
        expect.stringContaining('tag_designation: column category_name differs'),
        'act_of_sale: index act_of_sale_processed_at_idx is in drizzle but not in the database',
        'material_artifact: column shadow_note is in the database but not in drizzle',
      ]),
    );
    expect(drift).toHaveLength(5);
  });
});
