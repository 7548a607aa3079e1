/**
 * SQL text for one legacy → new table, built from the names map and the two catalogs: the mapped
 * select list the source COPYs out, key predicates for batches, and the canonical row rendering
 * both sides hash for verification. The one place that turns a TableMapping into SQL.
 *
 * The migration runs this text with `unsafe` (COPY takes no bind parameters): it holds only
 * identifiers from the names map and the catalogs, quoted by quoteIdent, types from the catalog,
 * and key values read from the legacy rows, escaped by literal() — never operator input.
 */
import { mappedColumns, newColumnFor, quoteIdent, type TableMapping } from '../../db/names-map.ts';
import type { CatalogColumn } from './catalog.ts';
import { MigrationError } from './errors.ts';

export interface MigratedColumn {
  legacyColumn: string;
  newColumn: string;
  /** SQL over the legacy row (from the names map). */
  legacySql: string;
  /** The target column's type; the legacy value is cast to it before it is rendered or hashed. */
  type: string;
}

export interface KeyPart {
  legacyColumn: string;
  newColumn: string;
  type: string;
}

export interface MigratedTable {
  mapping: TableMapping;
  legacyTable: string;
  newTable: string;
  columns: MigratedColumn[];
  key: KeyPart[];
}

/** Fails when the map names a column the databases do not have (assess reports those first). */
export function describeMigratedTable(
  mapping: TableMapping,
  legacyColumns: CatalogColumn[],
  targetColumns: CatalogColumn[],
): MigratedTable {
  const targetType = new Map(targetColumns.map((c) => [c.name, c.type]));
  const legacyType = new Map(legacyColumns.map((c) => [c.name, c.type]));
  const typeOf = (column: string) => {
    const type = targetType.get(column);
    if (!type) throw new MigrationError(`${mapping.newTable}.${column} (named by the names map) does not exist`);
    return type;
  };
  const columns = mappedColumns(mapping).map((c) => ({
    legacyColumn: c.legacyColumn,
    newColumn: c.newColumn,
    legacySql: c.sql,
    type: typeOf(c.newColumn),
  }));
  const key = mapping.legacyKey.map((legacyColumn) => {
    const type = legacyType.get(legacyColumn);
    if (!type) throw new MigrationError(`${mapping.legacyTable}.${legacyColumn} (its key) does not exist`);
    return { legacyColumn, newColumn: newColumnFor(mapping.legacyTable, legacyColumn), type };
  });
  return { mapping, legacyTable: mapping.legacyTable, newTable: mapping.newTable, columns, key };
}

export type Side = 'legacy' | 'target';

const q = quoteIdent;

/**
 * A key value as a SQL literal. Keys are embedded rather than bound because `COPY (query) TO
 * STDOUT` takes no parameters; they come from the legacy rows, not from a caller. An escape string
 * (E'…', backslashes and quotes doubled) reads the same whatever standard_conforming_strings is.
 */
export function literal(value: string, type: string): string {
  return `E'${value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'::${type}`;
}

/** `(sql)::type as "new_column", …` over the legacy row: what the source COPYs out. */
export function legacySelectList(table: MigratedTable): string {
  return table.columns.map((c) => `(${c.legacySql})::${c.type} as ${q(c.newColumn)}`).join(', ');
}

/** The target columns, in the order of legacySelectList. */
export function targetColumnList(table: MigratedTable): string {
  return table.columns.map((c) => q(c.newColumn)).join(', ');
}

export function keyColumns(table: MigratedTable, side: Side): string {
  return table.key.map((k) => q(side === 'legacy' ? k.legacyColumn : k.newColumn)).join(', ');
}

/** `order by` list over the key columns. */
export function keyOrder(table: MigratedTable, side: Side, direction: 'asc' | 'desc' = 'asc'): string {
  return table.key.map((k) => `${q(side === 'legacy' ? k.legacyColumn : k.newColumn)} ${direction}`).join(', ');
}

/** The key as text[], the form checkpoints and reports carry keys in. */
export function keyArray(table: MigratedTable, side: Side): string {
  return `array[${table.key.map((k) => `${q(side === 'legacy' ? k.legacyColumn : k.newColumn)}::text`).join(', ')}]`;
}

function keyTuple(table: MigratedTable, key: readonly string[]): string {
  if (key.length !== table.key.length) {
    throw new MigrationError(`${table.legacyTable}: a key has ${key.length} parts, expected ${table.key.length}`);
  }
  return `(${table.key.map((k, i) => literal(key[i] as string, k.type)).join(', ')})`;
}

export function keyAfter(table: MigratedTable, side: Side, key: readonly string[] | null): string {
  return key ? `(${keyColumns(table, side)}) > ${keyTuple(table, key)}` : 'true';
}

export function keyAtMost(table: MigratedTable, side: Side, key: readonly string[] | null): string {
  return key ? `(${keyColumns(table, side)}) <= ${keyTuple(table, key)}` : 'true';
}

export function keyIn(table: MigratedTable, side: Side, keys: readonly (readonly string[])[]): string {
  if (keys.length === 0) return 'false';
  return `(${keyColumns(table, side)}) in (${keys.map((key) => keyTuple(table, key)).join(', ')})`;
}

/**
 * One mapped row as text[]: each mapped value cast to the target column's type, rendered with
 * `::text`. Computed over the legacy row and over the target row, equal renderings mean equal values.
 */
export function rowValues(table: MigratedTable, side: Side): string {
  const parts = table.columns.map((c) =>
    side === 'legacy' ? `((${c.legacySql})::${c.type})::text` : `${q(c.newColumn)}::text`,
  );
  return `array[${parts.join(', ')}]`;
}

/** The canonical text of one mapped row: a text[] literal, in which NULL and the string 'NULL' differ. */
export function rowText(table: MigratedTable, side: Side): string {
  return `${rowValues(table, side)}::text`;
}

/** A 64-bit hash of the canonical row text; summed (as numeric) it is an order-independent checksum. */
export function rowHash(table: MigratedTable, side: Side): string {
  return `('x' || left(md5(${rowText(table, side)}), 16))::bit(64)::bigint`;
}

export function tableName(table: MigratedTable, side: Side): string {
  return q(side === 'legacy' ? table.legacyTable : table.newTable);
}

/** `id=…` or `product_id=…, metric_date=…`: a legacy key as reports print it. */
export function formatKey(legacyKey: readonly string[], key: readonly string[]): string {
  return legacyKey.map((column, i) => `${column}=${key[i] ?? 'null'}`).join(', ');
}
