/** The rows a fault test ends with, against the legacy functions' rows for the same store (the clean run). */

import type { GeneratedStore } from '#scripts/store-generator/generate.ts';
import type { Sql } from '#shared/db/types.ts';
import { expectSameTables } from '#test/support/reliability.ts';
import { compareRawTables, ingestLegacy, RAW_LEGACY_TABLES } from './raw-tables.ts';

export const PRODUCT_TABLES = [
  'products',
  'product_variants',
  'assets',
  'product_asset_mappings',
  'tags',
  'tag_classifications',
];

/** Every raw table of the new side (or those named) against the legacy functions' rows for the same store. */
export async function expectRawTablesOfTheStore(
  legacy: Sql,
  sql: Sql,
  tables: readonly string[] = RAW_LEGACY_TABLES,
): Promise<void> {
  const compared = await compareRawTables(legacy, sql);
  const side = (which: 'legacy' | 'new') =>
    Object.fromEntries(tables.map((table) => [table, compared[table]?.[which] ?? []]));
  expectSameTables(side('legacy'), side('new'));
}

/** The store's products (no orders) fed to the legacy functions, then the product-side raw tables compared. */
export async function expectProductTablesOfTheStore(legacy: Sql, sql: Sql, store: GeneratedStore): Promise<void> {
  await ingestLegacy(legacy, { products: store.legacy.products, orders: [], deletedProductIds: [] });
  await expectRawTablesOfTheStore(legacy, sql, PRODUCT_TABLES);
}

/** Every raw table's rows (new side), for faults that must have written nothing. */
export async function rawRowsOfEveryTable(legacy: Sql, sql: Sql): Promise<string[]> {
  const compared = await compareRawTables(legacy, sql);
  return RAW_LEGACY_TABLES.flatMap((table) => (compared[table]?.new ?? []).map((row) => `${table} ${row}`));
}
