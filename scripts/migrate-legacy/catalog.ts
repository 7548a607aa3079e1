/**
 * What the two databases actually hold, read from the Postgres catalog: columns with their types,
 * the target's constraints, table sizes and the applied schema migrations. Everything the
 * migration builds on the target side is derived from here, so a constraint added to the new schema
 * later is checked by `assess` without anyone teaching the migration about it.
 */
import { quoteIdent } from '../../db/names-map.ts';
import type { Queryable } from './databases.ts';

export interface CatalogColumn {
  name: string;
  /** `format_type` spelling, usable in a cast: `numeric(14,2)`, `text[]`, `timestamp with time zone`. */
  type: string;
  notNull: boolean;
  /** The column default as SQL (`now()`, `'queued'::text`), or null. */
  defaultExpression: string | null;
}

export type CatalogConstraint =
  | { kind: 'check'; name: string; expression: string }
  | { kind: 'unique'; name: string; columns: string[] }
  | { kind: 'foreign key'; name: string; columns: string[]; referencedTable: string; referencedColumns: string[] };

export async function tableColumns(sql: Queryable, table: string): Promise<CatalogColumn[]> {
  return sql<CatalogColumn[]>`
    select a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
           a.attnotnull as "notNull", pg_get_expr(d.adbin, d.adrelid) as "defaultExpression"
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relname = ${table} and c.relkind in ('r', 'p')
      and a.attnum > 0 and a.attgenerated = '' and not a.attisdropped
    order by a.attnum`;
}

/** Ordinary tables of the public schema (dbmate's own bookkeeping left out). */
export async function publicTables(sql: Queryable): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') and c.relname <> 'schema_migrations'
    order by 1`;
  return rows.map((r) => r.name);
}

export async function tableExists(sql: Queryable, table: string): Promise<boolean> {
  const [row] = await sql<{ exists: boolean }[]>`select to_regclass(${`public.${table}`}) is not null as exists`;
  return row?.exists ?? false;
}

/** Checks, primary/unique keys and foreign keys of one table (not-null is on the columns). */
export async function tableConstraints(sql: Queryable, table: string): Promise<CatalogConstraint[]> {
  const rows = await sql<
    {
      name: string;
      type: string;
      definition: string;
      columns: string[];
      referenced_table: string | null;
      referenced_columns: string[] | null;
    }[]
  >`
    select con.conname as name, con.contype as type, pg_get_constraintdef(con.oid) as definition,
           array(select a.attname from unnest(con.conkey) with ordinality k(attnum, i)
                 join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum order by k.i)::text[]
             as columns,
           ref.relname as referenced_table,
           case when con.contype = 'f' then
             array(select a.attname from unnest(con.confkey) with ordinality k(attnum, i)
                   join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.attnum order by k.i)::text[]
           end as referenced_columns
    from pg_constraint con
    join pg_class c on c.oid = con.conrelid
    join pg_namespace n on n.oid = c.relnamespace
    left join pg_class ref on ref.oid = con.confrelid
    where n.nspname = 'public' and c.relname = ${table} and con.contype in ('c', 'u', 'p', 'f')
    order by con.conname`;
  return rows.map((row): CatalogConstraint => {
    if (row.type === 'c') {
      // pg_get_constraintdef: "CHECK ((expression))" possibly followed by " NOT VALID"
      const expression = row.definition.replace(/^CHECK\s*/, '').replace(/\s+NOT VALID$/, '');
      return { kind: 'check', name: row.name, expression };
    }
    if (row.type === 'f') {
      return {
        kind: 'foreign key',
        name: row.name,
        columns: row.columns,
        referencedTable: row.referenced_table ?? '',
        referencedColumns: row.referenced_columns ?? [],
      };
    }
    return { kind: 'unique', name: row.name, columns: row.columns };
  });
}

export async function tableRowCount(sql: Queryable, table: string): Promise<number> {
  const [row] = await sql.unsafe<{ count: number }[]>(`select count(*)::float8 as count from ${quoteIdent(table)}`);
  return row?.count ?? 0;
}

/** Heap + indexes + TOAST, as pg_size_pretty prints it, and in bytes. */
export async function tableSize(sql: Queryable, table: string): Promise<{ bytes: number; pretty: string }> {
  const [row] = await sql<{ bytes: number; pretty: string }[]>`
    select pg_total_relation_size(${`public.${table}`}::regclass)::float8 as bytes,
           pg_size_pretty(pg_total_relation_size(${`public.${table}`}::regclass)) as pretty`;
  return row ?? { bytes: 0, pretty: '0 bytes' };
}

/** Versions dbmate recorded in `schema_migrations`; empty when the database was never migrated. */
export async function appliedMigrationVersions(sql: Queryable): Promise<Set<string>> {
  if (!(await tableExists(sql, 'schema_migrations'))) return new Set();
  const rows = await sql<{ version: string }[]>`select version::text as version from schema_migrations`;
  return new Set(rows.map((r) => r.version));
}
