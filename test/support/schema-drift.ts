/**
 * Compares the drizzle schema (db/schema.ts) with a migrated database and lists every difference:
 * tables, columns (type, nullability, default), indexes, unique/primary/foreign keys and checks.
 */
import { getTableName, is, type SQL, Table } from 'drizzle-orm';
import { getTableConfig, type PgColumn, PgDialect, type PgTable } from 'drizzle-orm/pg-core';
import type { Sql } from '#shared/db/types.ts';
import * as schema from '../../db/schema.ts';

const dialect = new PgDialect();

export function drizzleTables(): PgTable[] {
  return (Object.values(schema) as unknown[]).filter((value): value is PgTable => is(value, Table));
}

function normalizeType(type: string): string {
  return type
    .replace(/\s+/g, ' ')
    .replace(/\(\s*(\d+)\s*,\s*(\d+)\s*\)/, '($1,$2)')
    .trim();
}

/** Postgres shows defaults with casts (`'viewer'::text`); drizzle writes them bare. */
function normalizeDefault(expression: string | null): string | null {
  if (expression === null) return null;
  return expression.replace(/::[a-z ]+(\[\])?(\(\d+,\s*\d+\))?/g, '').trim();
}

function drizzleDefault(column: PgColumn): string | null {
  if (!column.hasDefault || column.default === undefined) return null;
  const value = column.default as unknown;
  if (typeof value === 'object' && value !== null && 'queryChunks' in value) {
    return dialect.sqlToQuery(value as SQL).sql;
  }
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  return String(value);
}

interface Described {
  columns: Map<string, { type: string; notNull: boolean; default: string | null }>;
  indexes: Map<string, string>; // name → description
  constraints: Map<string, string>; // name → description
}

function describeDrizzle(table: PgTable): Described {
  const config = getTableConfig(table);
  const columns = new Map<string, { type: string; notNull: boolean; default: string | null }>();
  for (const column of config.columns) {
    columns.set(column.name, {
      type: normalizeType(column.getSQLType()),
      notNull: column.notNull,
      default: drizzleDefault(column),
    });
  }
  const indexes = new Map<string, string>();
  const constraints = new Map<string, string>();
  for (const index of config.indexes) {
    const cols = index.config.columns.map((c) => ('name' in c ? c.name : '<expression>')).join(',');
    indexes.set(index.config.name ?? '<unnamed>', `${index.config.unique ? 'unique ' : ''}(${cols})`);
  }
  const pkColumns = config.columns.filter((c) => c.primary).map((c) => c.name);
  const pkName = config.primaryKeys[0]?.getName() ?? `${config.name}_pkey`;
  const pk = config.primaryKeys[0]?.columns.map((c) => c.name) ?? pkColumns;
  if (pk.length > 0) {
    constraints.set(pkName, `primary key (${pk.join(',')})`);
    indexes.set(pkName, `unique (${pk.join(',')})`);
  }
  for (const u of config.uniqueConstraints) {
    const name = u.getName() ?? '<unnamed>';
    constraints.set(name, `unique (${u.columns.map((c) => c.name).join(',')})`);
    indexes.set(name, `unique (${u.columns.map((c) => c.name).join(',')})`);
  }
  for (const fk of config.foreignKeys) {
    const ref = fk.reference();
    // Foreign keys are compared by what they do: Postgres names them itself (`<table>_<column>_fkey`).
    const description = `foreign key (${ref.columns.map((c) => c.name).join(',')}) references ${getTableName(ref.foreignTable)} (${ref.foreignColumns
      .map((c) => c.name)
      .join(',')}) on delete ${fk.onDelete ?? 'no action'}`;
    constraints.set(description, description);
  }
  for (const check of config.checks) constraints.set(check.name, 'check');
  return { columns, indexes, constraints };
}

async function describeDatabase(sql: Sql, table: string): Promise<Described> {
  const columnRows = await sql<{ name: string; type: string; not_null: boolean; default: string | null }[]>`
    select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
           pg_get_expr(d.adbin, d.adrelid) as default
    from pg_attribute a
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where a.attrelid = ${table}::regclass and a.attnum > 0 and not a.attisdropped`;
  const indexRows = await sql<{ name: string; unique: boolean; columns: string }[]>`
    select i.relname as name, x.indisunique as unique,
           (select string_agg(a.attname, ',' order by k.ord)
              from unnest(x.indkey) with ordinality k(attnum, ord)
              join pg_attribute a on a.attrelid = x.indrelid and a.attnum = k.attnum) as columns
    from pg_index x join pg_class i on i.oid = x.indexrelid
    where x.indrelid = ${table}::regclass`;
  const constraintRows = await sql<
    {
      name: string;
      type: string;
      definition: string;
      columns: string;
      foreign_table: string | null;
      foreign_columns: string | null;
      on_delete: string;
    }[]
  >`
    select c.conname as name, c.contype as type, pg_get_constraintdef(c.oid) as definition,
           (select string_agg(a.attname, ',' order by k.ord) from unnest(c.conkey) with ordinality k(attnum, ord)
              join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum) as columns,
           c.confrelid::regclass::text as foreign_table,
           (select string_agg(a.attname, ',' order by k.ord) from unnest(c.confkey) with ordinality k(attnum, ord)
              join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.attnum) as foreign_columns,
           case c.confdeltype when 'c' then 'cascade' when 'n' then 'set null' when 'r' then 'restrict'
                              when 'd' then 'set default' else 'no action' end as on_delete
    from pg_constraint c where c.conrelid = ${table}::regclass and c.contype in ('p', 'u', 'f', 'c')`;
  const columns = new Map(
    columnRows.map((r) => [
      r.name,
      { type: normalizeType(r.type), notNull: r.not_null, default: normalizeDefault(r.default) },
    ]),
  );
  const indexes = new Map(indexRows.map((r) => [r.name, `${r.unique ? 'unique ' : ''}(${r.columns})`]));
  const constraints = new Map<string, string>();
  for (const r of constraintRows) {
    if (r.type === 'p') constraints.set(r.name, `primary key (${r.columns})`);
    else if (r.type === 'u') constraints.set(r.name, `unique (${r.columns})`);
    else if (r.type === 'f') {
      const description = `foreign key (${r.columns}) references ${r.foreign_table} (${r.foreign_columns}) on delete ${r.on_delete}`;
      constraints.set(description, description);
    } else constraints.set(r.name, 'check');
  }
  return { columns, indexes, constraints };
}

function compareMaps<T>(where: string, what: string, expected: Map<string, T>, actual: Map<string, T>): string[] {
  const problems: string[] = [];
  for (const [name, value] of expected) {
    if (!actual.has(name)) problems.push(`${where}: ${what} ${name} is in drizzle but not in the database`);
    else if (JSON.stringify(actual.get(name)) !== JSON.stringify(value)) {
      problems.push(
        `${where}: ${what} ${name} differs: drizzle ${JSON.stringify(value)} vs database ${JSON.stringify(actual.get(name))}`,
      );
    }
  }
  for (const name of actual.keys()) {
    if (!expected.has(name)) problems.push(`${where}: ${what} ${name} is in the database but not in drizzle`);
  }
  return problems;
}

/** Every difference between db/schema.ts and the database at `sql`; empty when they agree. */
export async function findSchemaDrift(sql: Sql, tables: PgTable[] = drizzleTables()): Promise<string[]> {
  const problems: string[] = [];
  const databaseTables = (
    await sql<{ name: string }[]>`
      select tablename as name from pg_tables where schemaname = 'public' and tablename <> 'schema_migrations'`
  ).map((r) => r.name);
  const drizzleNames = new Set(tables.map((t) => getTableConfig(t).name));
  for (const name of databaseTables) {
    if (!drizzleNames.has(name)) problems.push(`table ${name} is in the database but not in drizzle`);
  }
  for (const table of tables) {
    const name = getTableConfig(table).name;
    if (!databaseTables.includes(name)) {
      problems.push(`table ${name} is in drizzle but not in the database`);
      continue;
    }
    const expected = describeDrizzle(table);
    const actual = await describeDatabase(sql, name);
    problems.push(...compareMaps(name, 'column', expected.columns, actual.columns));
    problems.push(...compareMaps(name, 'index', expected.indexes, actual.indexes));
    problems.push(...compareMaps(name, 'constraint', expected.constraints, actual.constraints));
  }
  return problems;
}
