import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNotCarriedOver, mappedColumns, TABLE_MAPPINGS } from '../../db/names-map.ts';
import { createTestDatabase, type TestDatabase } from '../support/node-databases.ts';

async function columnsByTable(database: TestDatabase): Promise<Map<string, Set<string>>> {
  const rows = await database.sql<{ table_name: string; column_name: string }[]>`
    select table_name, column_name from information_schema.columns
    where table_schema = 'public' and table_name <> 'schema_migrations'`;
  const map = new Map<string, Set<string>>();
  for (const row of rows) {
    if (!map.has(row.table_name)) map.set(row.table_name, new Set());
    map.get(row.table_name)?.add(row.column_name);
  }
  return map;
}

describe('the legacy → new names map', () => {
  let legacy: TestDatabase;
  let target: TestDatabase;
  let legacyColumns: Map<string, Set<string>>;
  let newColumns: Map<string, Set<string>>;

  beforeAll(async () => {
    [legacy, target] = await Promise.all([createTestDatabase('legacy'), createTestDatabase('app')]);
    [legacyColumns, newColumns] = await Promise.all([columnsByTable(legacy), columnsByTable(target)]);
  });
  afterAll(async () => {
    await Promise.all([legacy.drop(), target.drop()]);
  });

  it('covers every table of the vendored legacy schema', () => {
    expect(TABLE_MAPPINGS.map((m) => m.legacyTable).sort()).toEqual([...legacyColumns.keys()].sort());
  });

  it('maps every legacy column or marks it as not carried over with a reason, and knows no other', () => {
    for (const mapping of TABLE_MAPPINGS) {
      const actual = [...(legacyColumns.get(mapping.legacyTable) ?? [])].sort();
      expect(Object.keys(mapping.columns).sort(), mapping.legacyTable).toEqual(actual);
      for (const [column, target] of Object.entries(mapping.columns)) {
        if (isNotCarriedOver(target))
          expect(target.notCarriedOver.length, `${mapping.legacyTable}.${column}`).toBeGreaterThan(10);
      }
    }
  });

  it('names only new tables and columns that exist after the migrations, each filled at most once', () => {
    for (const mapping of TABLE_MAPPINGS) {
      const existing = newColumns.get(mapping.newTable);
      expect(existing, `new table ${mapping.newTable}`).toBeDefined();
      const targets = mappedColumns(mapping).map((c) => c.newColumn);
      expect(new Set(targets).size, `${mapping.newTable} filled twice`).toBe(targets.length);
      for (const column of targets) expect(existing?.has(column), `${mapping.newTable}.${column}`).toBe(true);
    }
  });

  it('lists tables in foreign-key dependency order', async () => {
    const edges = await target.sql<{ child: string; parent: string }[]>`
      select conrelid::regclass::text as child, confrelid::regclass::text as parent
      from pg_constraint where contype = 'f' and conrelid <> confrelid`;
    const position = new Map(TABLE_MAPPINGS.map((m, i) => [m.newTable, i]));
    for (const { child, parent } of edges) {
      if (!position.has(child) || !position.has(parent)) continue;
      expect(position.get(parent), `${parent} before ${child}`).toBeLessThan(position.get(child) as number);
    }
  });
});
