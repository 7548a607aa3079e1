/**
 * Loading a store into the legacy database the way the old Express app did: the shop timezone in
 * app_settings, then the Shopify REST resources through the legacy functions `ingest_product`,
 * `ingest_order` and `delete_product`, in batches of one statement each. Used by the demo store,
 * the benchmarks and the tests' oracle alike. Type imports only, so it also runs inside workerd.
 */

import type { Sql } from '#shared/db/types.ts';
import type { LegacyOrder, LegacyProduct } from '../store-generator/generate.ts';

type Items<T> = Iterable<T> | AsyncIterable<T>;

/** The legacy REST side of a store: arrays, generators or streamed files. */
export interface LegacyRestStore {
  timezone: string;
  products: Items<LegacyProduct>;
  orders: Items<LegacyOrder>;
  deletedProductIds: readonly number[];
}

export interface LegacyLoadOptions {
  /** Objects per statement (default 500). */
  batchSize?: number;
  /** Called after each batch of orders with the number of orders ingested so far. */
  onOrders?: (loaded: number) => void;
}

/** Runs `load` on consecutive batches of `size` items; returns how many items there were. */
async function inBatches<T>(items: Items<T>, size: number, load: (batch: T[]) => Promise<unknown>): Promise<number> {
  let batch: T[] = [];
  let count = 0;
  for await (const item of items) {
    batch.push(item);
    count++;
    if (batch.length === size) {
      await load(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await load(batch);
  return count;
}

/** `ingest_order` for every order, in batches; returns the number of orders. */
export function ingestLegacyOrders(sql: Sql, orders: Items<LegacyOrder>, options: LegacyLoadOptions = {}) {
  let loaded = 0;
  return inBatches(orders, options.batchSize ?? 500, async (batch) => {
    await sql`select ingest_order(o) from jsonb_array_elements(${JSON.stringify(batch)}::text::jsonb) o`;
    loaded += batch.length;
    options.onOrders?.(loaded);
  });
}

/** The whole store into the legacy schema, as the old app received it; returns the number of orders. */
export async function loadLegacyStore(
  sql: Sql,
  store: LegacyRestStore,
  options: LegacyLoadOptions = {},
): Promise<number> {
  await sql`
    insert into app_settings (key, value) values ('shop_timezone', to_jsonb(${store.timezone}::text))
    on conflict (key) do update set value = excluded.value`;
  await inBatches(
    store.products,
    options.batchSize ?? 500,
    (batch) => sql`select ingest_product(p) from jsonb_array_elements(${JSON.stringify(batch)}::text::jsonb) p`,
  );
  const orders = await ingestLegacyOrders(sql, store.orders, options);
  await sql`select delete_product(id::bigint)
            from jsonb_array_elements_text(${JSON.stringify(store.deletedProductIds)}::text::jsonb) id`;
  return orders;
}
