/**
 * One generated store on both sides, so the API's answers can be compared with the legacy
 * functions' on the same data:
 * - legacy database (LEGACY_HYPERDRIVE): the legacy REST shape through ingest_product /
 *   ingest_order / delete_product, then refresh_mart_performance_metrics and classify_products;
 * - new database (HYPERDRIVE): the fixture JSONL through the ingest loader, then the marts
 *   refresh and classification.
 */
import { type GeneratedStore, generateStore, type StoreOptions } from '#scripts/store-generator/generate.ts';
import type { Sql } from '#shared/db/types.ts';
import { loadJsonlLines } from '#shared/ingest/load.ts';
import type { ResourceName } from '#shared/ingest/shopify-objects.ts';
import { classifyProducts } from '#shared/marts/classification.ts';
import { refreshPerformanceDataset } from '#shared/marts/performance-dataset.ts';
import { loadLegacyStore } from '#test/support/marts-oracle.ts';

const RESOURCES: ResourceName[] = ['products', 'orders', 'refunds', 'deletions'];

export interface LoadedStore {
  store: GeneratedStore;
  /** The classification date both sides used (the store's last sales day). */
  classifiedAsOf: string;
}

export async function loadStoreOnBothSides(sql: Sql, legacy: Sql, options: StoreOptions): Promise<LoadedStore> {
  const store = generateStore(options);
  const timezone = store.shop.ianaTimezone;
  const classifiedAsOf = store.period.lastDate;

  await loadLegacyStore(legacy, { timezone, ...store.legacy });
  await legacy`select refresh_mart_performance_metrics()`;
  await legacy`select classify_products(${classifiedAsOf}::text::date)`;

  await sql`
    insert into configuration_setting (setting_key, setting_value) values ('shop_timezone', to_jsonb(${timezone}::text))
    on conflict (setting_key) do update set setting_value = excluded.setting_value`;
  for (const resource of RESOURCES) {
    const summary = await loadJsonlLines(sql, resource, store.fixture[resource]);
    if (summary.quarantined > 0) throw new Error(`${summary.quarantined} ${resource} lines were quarantined`);
  }
  await refreshPerformanceDataset(sql);
  await classifyProducts(sql, classifiedAsOf);
  return { store, classifiedAsOf };
}
