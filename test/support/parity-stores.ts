/**
 * One generated store in both databases, each through its own real path:
 * - legacy: the REST resources through ingest_product / ingest_order / delete_product, then
 *   refresh_mart_performance_metrics() and classify_products() (the old nightly job);
 * - new: the fixture JSONL through the ingest loader, then the marts' refresh and classification.
 * Both then record a completed sync, so the parity window has a common watermark.
 */

import type { Queryable, Sql } from '#shared/db/types.ts';
import type { GeneratedStore } from '../../scripts/store-generator/generate.ts';
import { loadJsonlLines } from '../../workers/shared/ingest/load.ts';
import type { ResourceName } from '../../workers/shared/ingest/shopify-objects.ts';
import { classifyProducts } from '../../workers/shared/marts/classification.ts';
import { refreshPerformanceDataset } from '../../workers/shared/marts/performance-dataset.ts';
import { loadLegacyStore } from './marts-oracle.ts';

const RESOURCE_ORDER: ResourceName[] = ['products', 'orders', 'refunds', 'deletions'];

export async function loadLegacySide(legacy: Sql, store: GeneratedStore): Promise<void> {
  await loadLegacyStore(legacy, { timezone: store.shop.ianaTimezone, ...store.legacy });
  await legacy`select refresh_mart_performance_metrics()`;
  await legacy`select classify_products()`;
}

export async function loadNewSide(next: Sql, store: GeneratedStore): Promise<void> {
  await next`
    insert into configuration_setting (setting_key, setting_value)
    values ('shop_timezone', to_jsonb(${store.shop.ianaTimezone}::text))
    on conflict (setting_key) do update set setting_value = excluded.setting_value`;
  for (const resource of RESOURCE_ORDER) {
    const summary = await loadJsonlLines(next, resource, store.fixture[resource]);
    if (summary.quarantined > 0) throw new Error(`the loader quarantined ${summary.quarantined} ${resource} lines`);
  }
  await refreshPerformanceDataset(next);
  await classifyProducts(next);
}

/** A completed sync on each side, finished `ago` before now (the watermark's inputs). */
export async function recordCompletedSyncs(
  legacy: Queryable,
  next: Queryable,
  finished: { legacy: string; new: string } = { legacy: 'now()', new: 'now()' },
): Promise<void> {
  await legacy.unsafe(
    `insert into sync_runs (kind, status, started_at, finished_at, rows_processed)
     values ('full', 'succeeded', ${finished.legacy} - interval '5 minutes', ${finished.legacy}, 1)`,
  );
  await next.unsafe(
    `insert into procedure_execution (procedure_kind, status, trigger_source, started_at, finished_at)
     values ('full', 'succeeded', 'test', ${finished.new} - interval '5 minutes', ${finished.new})`,
  );
}

export async function loadStoreIntoBoth(legacy: Sql, next: Sql, store: GeneratedStore): Promise<void> {
  await Promise.all([loadLegacySide(legacy, store), loadNewSide(next, store)]);
  await recordCompletedSyncs(legacy, next);
}
