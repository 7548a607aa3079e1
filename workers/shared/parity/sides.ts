/**
 * One database as the parity checks see it. Every check is written once, in the legacy
 * vocabulary (`mart_performance_metrics.net_sales`), and runs on both databases: a `Side` turns
 * each legacy name into that database's own table or column through db/names-map.ts, so the
 * names map stays the only place that pairs a legacy name with a new one.
 *
 * Runtime-neutral (postgres.js types only): used by the ingest Worker and by the operator CLI.
 */
import type postgres from 'postgres';
import { mappedColumns, mappingForLegacyTable, newColumnFor, quoteIdent } from '#db/names-map.ts';
import type { Queryable } from '#shared/db/types.ts';

export type { Queryable } from '#shared/db/types.ts';

export type SideName = 'legacy' | 'new';

export interface Side {
  name: SideName;
  sql: Queryable;
  /** This database's name for a legacy table. */
  tableName(legacyTable: string): string;
  /** This database's name for a legacy column. */
  columnName(legacyTable: string, legacyColumn: string): string;
  /** The table as an identifier to interpolate into a query. */
  table(legacyTable: string): postgres.Helper<string, []>;
  /** The column as an identifier to interpolate into a query. */
  column(legacyTable: string, legacyColumn: string): postgres.Helper<string, []>;
  /**
   * (This and rowText are spliced with sql.unsafe: identifiers from db/names-map.ts, quoted, never
   * input.)
   * SQL text selecting every column the names map carries over, each as text and aliased to its
   * legacy name (`"aggregate_measurement_value"::text as "net_sales"`), over the table alias given.
   */
  mappedColumnsAsText(legacyTable: string, alias: string): string;
  /** SQL text: the mapped columns of one row joined by '|', identical on both sides for equal rows. */
  rowText(legacyTable: string, alias: string): string;
  /** The legacy names of the columns compared, in the names map's order. */
  comparedColumns(legacyTable: string): string[];
}

export function legacySide(sql: Queryable): Side {
  return makeSide(
    'legacy',
    sql,
    (table) => table,
    (_table, column) => column,
  );
}

export function newSide(sql: Queryable): Side {
  return makeSide(
    'new',
    sql,
    (table) => mappingForLegacyTable(table).newTable,
    (table, column) => newColumnFor(table, column),
  );
}

function makeSide(
  name: SideName,
  sql: Queryable,
  tableName: (legacyTable: string) => string,
  columnName: (legacyTable: string, legacyColumn: string) => string,
): Side {
  const carried = (legacyTable: string) => {
    // A legacy column copied to two new columns (sync_runs.started_at) is compared once.
    const seen = new Set<string>();
    return mappedColumns(mappingForLegacyTable(legacyTable)).filter((c) => {
      if (seen.has(c.legacyColumn)) return false;
      seen.add(c.legacyColumn);
      return true;
    });
  };
  return {
    name,
    sql,
    tableName,
    columnName,
    table: (legacyTable) => sql(tableName(legacyTable)) as postgres.Helper<string, []>,
    column: (legacyTable, legacyColumn) => sql(columnName(legacyTable, legacyColumn)) as postgres.Helper<string, []>,
    mappedColumnsAsText: (legacyTable, alias) =>
      carried(legacyTable)
        .map(
          (c) =>
            `${quoteIdent(alias)}.${quoteIdent(columnName(legacyTable, c.legacyColumn))}::text as ${quoteIdent(c.legacyColumn)}`,
        )
        .join(', '),
    comparedColumns: (legacyTable) => carried(legacyTable).map((c) => c.legacyColumn),
    rowText: (legacyTable, alias) =>
      `concat_ws('|', ${carried(legacyTable)
        .map((c) => `${quoteIdent(alias)}.${quoteIdent(columnName(legacyTable, c.legacyColumn))}::text`)
        .join(', ')})`,
  };
}

/** Runs the same query on both sides at once. */
export async function onBothSides<T>(
  legacy: Side,
  fresh: Side,
  query: (side: Side) => Promise<T>,
): Promise<{ legacy: T; new: T }> {
  const [a, b] = await Promise.all([query(legacy), query(fresh)]);
  return { legacy: a, new: b };
}
