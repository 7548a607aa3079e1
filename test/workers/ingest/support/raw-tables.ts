/**
 * Compares the raw tables the new loader wrote with what the legacy ingest_product /
 * ingest_order / delete_product wrote for the same store, row for row, through the names map
 * (db/names-map.ts mappedColumns). Generated values are left out: synced_at, uuids and the
 * created_at of rows the database creates; uuid foreign keys are compared by their natural key
 * (an asset by its Shopify image id and URL, a tag by its name); deleted_at by whether it is set
 * (the legacy stamps now(), the new loader the deletion event's time).
 */
import { mappedColumns, mappingForLegacyTable } from '#db/names-map.ts';
import type { LegacyOrder, LegacyProduct } from '#scripts/store-generator/generate.ts';
import type { Sql } from '#shared/db/types.ts';

export const RAW_LEGACY_TABLES = [
  'products',
  'product_variants',
  'orders',
  'order_line_items',
  'refunds',
  'refund_line_items',
  'assets',
  'product_asset_mappings',
  'tags',
  'tag_classifications',
] as const;

const GENERATED = new Set(['synced_at']);
const GENERATED_IN: Record<string, string[]> = {
  assets: ['id', 'created_at'],
  product_asset_mappings: ['id', 'created_at'],
  tags: ['id', 'created_at'],
  tag_classifications: ['id', 'created_at'],
};

/** Legacy column → [legacy SQL, new SQL] where the plain column cannot be compared. */
const COMPARED_AS: Record<string, Record<string, [string, string]>> = {
  products: { deleted_at: ['(t.deleted_at is not null)', '(t.deleted_at is not null)'] },
  product_asset_mappings: {
    asset_id: [
      '(select coalesce(x.shopify_image_id::text, x.url) from assets x where x.id = t.asset_id)',
      '(select coalesce(x.shopify_image_id::text, x.url) from media_content_entity x where x.media_content_entity_id = t.media_content_entity_id)',
    ],
  },
  tag_classifications: {
    tag_id: [
      '(select x.name from tags x where x.id = t.tag_id)',
      '(select x.tag_name from tag_designation x where x.tag_designation_id = t.tag_designation_id)',
    ],
  },
};

export async function rawRows(sql: Sql, side: 'legacy' | 'new', legacyTable: string): Promise<string[]> {
  const mapping = mappingForLegacyTable(legacyTable);
  const skip = new Set([...GENERATED, ...(GENERATED_IN[legacyTable] ?? [])]);
  const expressions = mappedColumns(mapping)
    .filter((c) => !skip.has(c.legacyColumn))
    .map((c) => {
      const special = COMPARED_AS[legacyTable]?.[c.legacyColumn];
      if (special) return side === 'legacy' ? special[0] : special[1];
      return side === 'legacy' ? `t.${c.sql}` : `t."${c.newColumn}"`;
    });
  const table = side === 'legacy' ? legacyTable : mapping.newTable;
  const rows = await sql.unsafe<{ row: string }[]>(
    `select row(${expressions.join(', ')})::text as row from "${table}" t order by 1`,
  );
  return rows.map((r) => r.row);
}

/** Every raw table on both sides: {table: {legacy, new}} for one toEqual. */
export async function compareRawTables(legacy: Sql, current: Sql) {
  const result: Record<string, { legacy: string[]; new: string[] }> = {};
  for (const table of RAW_LEGACY_TABLES) {
    result[table] = { legacy: await rawRows(legacy, 'legacy', table), new: await rawRows(current, 'new', table) };
  }
  return result;
}

/** Feeds the store's REST shape to the legacy functions, in the order the old app did. */
export async function ingestLegacy(
  sql: Sql,
  store: { products: LegacyProduct[]; orders: LegacyOrder[]; deletedProductIds: number[] },
): Promise<void> {
  await sql`select ingest_product(p) from jsonb_array_elements(${JSON.stringify(store.products)}::text::jsonb) as p`;
  await sql`select ingest_order(o) from jsonb_array_elements(${JSON.stringify(store.orders)}::text::jsonb) as o`;
  await sql`select delete_product(id::bigint) from jsonb_array_elements_text(${JSON.stringify(store.deletedProductIds)}::text::jsonb) as id`;
}
