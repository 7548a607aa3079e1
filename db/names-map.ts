/**
 * The one place that knows how the legacy Supabase schema's names map onto the new ontology-style
 * schema. The data migration (scripts/migrate-legacy) and the parity checks read it; the test
 * test/unit/names-map.test.ts proves every legacy column is either mapped here or explicitly
 * marked as not carried over.
 */

/** A legacy column goes to one or more new columns; `sql` is an expression over the legacy row. */
export interface ColumnTarget {
  column: string;
  /** SQL over the legacy row producing the new value; defaults to the legacy column itself. */
  sql?: string;
}

export interface NotCarriedOver {
  notCarriedOver: string; // why
  /**
   * SQL over the legacy row, true when dropping the column loses nothing (it only repeats other
   * columns). The data migration reports rows where it is false as blockers instead of losing them.
   */
  redundantWhen?: string;
}

export type ColumnMapping = ColumnTarget[] | NotCarriedOver;

/**
 * Who creates a table's rows. `staff` rows exist only in the legacy database and must be migrated
 * exactly; `shopify` rows can be reloaded by a full Shopify sync; `derived` rows are recomputed.
 */
export type RowOrigin = 'staff' | 'shopify' | 'mixed' | 'derived';

export interface TableMapping {
  legacyTable: string;
  newTable: string;
  origin: RowOrigin;
  /** Primary key columns in the legacy table (for checkpoints, spot checks and differing keys). */
  legacyKey: string[];
  columns: Record<string, ColumnMapping>;
}

const to = (column: string, sql?: string): ColumnTarget[] => [sql ? { column, sql } : { column }];
const notCarriedOver = (why: string, redundantWhen?: string): NotCarriedOver =>
  redundantWhen ? { notCarriedOver: why, redundantWhen } : { notCarriedOver: why };

/** In foreign-key dependency order: a table only references tables listed before it. */
export const TABLE_MAPPINGS: readonly TableMapping[] = [
  {
    legacyTable: 'profiles',
    newTable: 'person',
    origin: 'staff',
    legacyKey: ['id'],
    columns: {
      id: to('person_id'),
      email: to('email'),
      full_name: to('full_name'),
      role: to('role_name'),
      is_master: notCarriedOver(
        "redundant with role = 'master'; the new schema keeps the role as the one truth",
        "is_master = (role = 'master')",
      ),
      created_at: to('created_at'),
    },
  },
  {
    legacyTable: 'app_settings',
    newTable: 'configuration_setting',
    origin: 'staff',
    legacyKey: ['key'],
    columns: {
      key: to('setting_key'),
      value: to('setting_value'),
      updated_at: to('updated_at'),
    },
  },
  {
    legacyTable: 'products',
    newTable: 'material_artifact',
    origin: 'shopify',
    legacyKey: ['id'],
    columns: {
      id: to('material_artifact_id'),
      title: to('title'),
      handle: to('handle'),
      vendor: to('vendor'),
      product_type: to('product_type'),
      status: to('status'),
      tags: to('shopify_tag_names'),
      created_at: to('created_at'),
      updated_at: to('updated_at'),
      published_at: to('published_at'),
      deleted_at: to('deleted_at'),
      synced_at: to('synced_at'),
    },
  },
  {
    legacyTable: 'product_variants',
    newTable: 'material_artifact_variant',
    origin: 'shopify',
    legacyKey: ['id'],
    columns: {
      id: to('material_artifact_variant_id'),
      product_id: to('material_artifact_id'),
      title: to('title'),
      sku: to('sku'),
      price: to('price_measurement_value'),
      compare_at_price: to('compare_at_price_measurement_value'),
      inventory_quantity: to('inventory_count'),
      created_at: to('created_at'),
      updated_at: to('updated_at'),
    },
  },
  {
    legacyTable: 'orders',
    newTable: 'act_of_sale',
    origin: 'shopify',
    legacyKey: ['id'],
    columns: {
      id: to('act_of_sale_id'),
      name: to('order_name'),
      processed_at: to('processed_at'),
      created_at: to('created_at'),
      updated_at: to('updated_at'),
      cancelled_at: to('cancelled_at'),
      currency: to('currency_code'),
      financial_status: to('financial_status'),
      fulfillment_status: to('fulfillment_status'),
      subtotal_price: to('subtotal_price_measurement_value'),
      total_discounts: to('total_discounts_measurement_value'),
      total_tax: to('total_tax_measurement_value'),
      total_price: to('total_price_measurement_value'),
      test: to('is_test'),
      synced_at: to('synced_at'),
    },
  },
  {
    legacyTable: 'order_line_items',
    newTable: 'act_of_sale_line',
    origin: 'shopify',
    legacyKey: ['id'],
    columns: {
      id: to('act_of_sale_line_id'),
      order_id: to('act_of_sale_id'),
      product_id: to('material_artifact_id'),
      variant_id: to('material_artifact_variant_id'),
      title: to('title'),
      sku: to('sku'),
      quantity: to('quantity_count'),
      price: to('unit_price_measurement_value'),
      total_discount: to('total_discount_measurement_value'),
    },
  },
  {
    legacyTable: 'refunds',
    newTable: 'act_of_refund',
    origin: 'shopify',
    legacyKey: ['id'],
    columns: {
      id: to('act_of_refund_id'),
      order_id: to('act_of_sale_id'),
      created_at: to('created_at'),
    },
  },
  {
    legacyTable: 'refund_line_items',
    newTable: 'act_of_refund_line',
    origin: 'shopify',
    legacyKey: ['id'],
    columns: {
      id: to('act_of_refund_line_id'),
      refund_id: to('act_of_refund_id'),
      line_item_id: to('act_of_sale_line_id'),
      quantity: to('quantity_count'),
      subtotal: to('subtotal_measurement_value'),
    },
  },
  {
    legacyTable: 'assets',
    newTable: 'media_content_entity',
    origin: 'mixed',
    legacyKey: ['id'],
    columns: {
      id: to('media_content_entity_id'),
      kind: to('media_kind'),
      url: to('url'),
      alt_text: to('alt_text'),
      shopify_image_id: to('shopify_image_id'),
      created_at: to('created_at'),
    },
  },
  {
    legacyTable: 'product_asset_mappings',
    newTable: 'denotation_relation',
    origin: 'mixed',
    legacyKey: ['id'],
    columns: {
      id: to('denotation_relation_id'),
      product_id: to('material_artifact_id'),
      asset_id: to('media_content_entity_id'),
      role: to('role_name'),
      position: to('display_position'),
      source: to('source_system'),
      created_by: to('created_by_person_id'),
      created_at: to('created_at'),
    },
  },
  {
    legacyTable: 'tags',
    newTable: 'tag_designation',
    origin: 'mixed',
    legacyKey: ['id'],
    columns: {
      id: to('tag_designation_id'),
      name: to('tag_name'),
      category: to('category_name'),
      color: to('color_code'),
      created_at: to('created_at'),
    },
  },
  {
    legacyTable: 'tag_classifications',
    newTable: 'tag_content_entity',
    origin: 'mixed',
    legacyKey: ['id'],
    columns: {
      id: to('tag_content_entity_id'),
      product_id: to('material_artifact_id'),
      tag_id: to('tag_designation_id'),
      source: to('source_system'),
      created_by: to('created_by_person_id'),
      created_at: to('created_at'),
    },
  },
  {
    legacyTable: 'product_classifications',
    newTable: 'nominal_classification',
    origin: 'mixed',
    legacyKey: ['product_id'],
    columns: {
      product_id: to('material_artifact_id'),
      classification: to('classification_code'),
      is_manual: to('is_manual'),
      note: to('note_text'),
      computed_at: to('computed_at'),
    },
  },
  {
    legacyTable: 'mart_performance_metrics',
    newTable: 'performance_measurement_dataset',
    origin: 'derived',
    legacyKey: ['product_id', 'metric_date'],
    columns: {
      product_id: to('material_artifact_id'),
      metric_date: to('measurement_date'),
      orders_count: to('orders_count'),
      units_sold: to('units_sold_count'),
      units_refunded: to('units_refunded_count'),
      gross_sales: to('gross_sales_measurement_value'),
      discounts: to('discounts_measurement_value'),
      refunds: to('refunds_measurement_value'),
      net_sales: to('aggregate_measurement_value'),
    },
  },
  {
    legacyTable: 'sync_runs',
    newTable: 'procedure_execution',
    origin: 'staff',
    legacyKey: ['id'],
    columns: {
      id: to('procedure_execution_id'),
      kind: to('procedure_kind'),
      status: to('status'),
      // The legacy run started when it was requested: both new times come from it.
      started_at: [{ column: 'requested_at' }, { column: 'started_at' }],
      finished_at: to('finished_at'),
      rows_processed: to('rows_processed_count'),
      error: to('error_text'),
    },
  },
];

const byLegacy = new Map(TABLE_MAPPINGS.map((m) => [m.legacyTable, m]));
const byNew = new Map(TABLE_MAPPINGS.map((m) => [m.newTable, m]));

export function mappingForLegacyTable(legacyTable: string): TableMapping {
  const mapping = byLegacy.get(legacyTable);
  if (!mapping) throw new Error(`the names map does not know the legacy table ${legacyTable}`);
  return mapping;
}

export function mappingForNewTable(newTable: string): TableMapping {
  const mapping = byNew.get(newTable);
  if (!mapping) throw new Error(`the names map has no legacy table for ${newTable}`);
  return mapping;
}

export function isNotCarriedOver(mapping: ColumnMapping): mapping is NotCarriedOver {
  return !Array.isArray(mapping);
}

/** One entry per new column the legacy table fills: the new name and the SQL over the legacy row. */
export function mappedColumns(mapping: TableMapping): { legacyColumn: string; newColumn: string; sql: string }[] {
  return Object.entries(mapping.columns).flatMap(([legacyColumn, target]) =>
    isNotCarriedOver(target)
      ? []
      : target.map((t) => ({ legacyColumn, newColumn: t.column, sql: t.sql ?? quoteIdent(legacyColumn) })),
  );
}

/** The new column a legacy column lands in first (for messages and key translation). */
export function newColumnFor(legacyTable: string, legacyColumn: string): string {
  const target = mappingForLegacyTable(legacyTable).columns[legacyColumn];
  if (!target || isNotCarriedOver(target) || !target[0]) {
    throw new Error(`${legacyTable}.${legacyColumn} is not carried over to the new schema`);
  }
  return target[0].column;
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
