/**
 * The demo store `npm start` runs on: a generated Shopify store written once as a fixture folder
 * under the data directory (a second start reuses it), served by the Shopify simulator to the new
 * system, and loaded into the local legacy database through the legacy system's own functions, so
 * parity checks and the cutover console compare two systems fed by the same shop.
 */
import { existsSync } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import postgres from 'postgres';
import { readLegacyStore, writeStoreFixture } from '../store-generator/fixture-folder.ts';
import type { LegacyOrder, LegacyProduct, ShopInfo, StoreOptions } from '../store-generator/generate.ts';

export interface DemoStore {
  dir: string;
  shop: ShopInfo;
  /** False when an earlier start had already written it. */
  generated: boolean;
}

/** The folder for these options under `dataDir`, written when missing (atomically: a killed write is redone). */
export async function ensureDemoStore(dataDir: string, options: StoreOptions): Promise<DemoStore> {
  const name = `${options.products}-products-${options.orders}-orders-seed-${options.seed}`;
  const dir = join(dataDir, 'demo-store', name);
  const generated = !existsSync(join(dir, 'shop.json'));
  if (generated) {
    const partial = `${dir}.partial`;
    await rm(partial, { recursive: true, force: true });
    await writeStoreFixture(partial, options);
    await rename(partial, dir);
  }
  const shop = JSON.parse(await readFile(join(dir, 'shop.json'), 'utf8')) as ShopInfo;
  return { dir, shop, generated };
}

const BATCH = 250;

async function forEachBatch<T>(items: AsyncIterable<T>, work: (batch: T[]) => Promise<unknown>): Promise<number> {
  let batch: T[] = [];
  let count = 0;
  for await (const item of items) {
    batch.push(item);
    count++;
    if (batch.length === BATCH) {
      await work(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await work(batch);
  return count;
}

/**
 * Loads the demo store into the legacy database as the old Express app did (ingest_product,
 * ingest_order, delete_product, then its nightly refresh and classification) and records a
 * completed legacy sync, unless the legacy database already holds orders. Returns the orders loaded.
 */
export async function loadLegacyDemo(legacyUrl: string, store: DemoStore): Promise<number> {
  const sql = postgres(legacyUrl, { max: 1, onnotice: () => {} });
  try {
    const [existing] = await sql<{ orders: number }[]>`select count(*)::int as orders from orders`;
    if ((existing?.orders ?? 0) > 0) return 0;
    const legacy = readLegacyStore(store.dir);
    await sql`
      insert into app_settings (key, value) values ('shop_timezone', to_jsonb(${store.shop.ianaTimezone}::text))
      on conflict (key) do update set value = excluded.value`;
    await forEachBatch<LegacyProduct>(
      legacy.products(),
      (batch) => sql`select ingest_product(p) from jsonb_array_elements(${JSON.stringify(batch)}::text::jsonb) p`,
    );
    const orders = await forEachBatch<LegacyOrder>(
      legacy.orders(),
      (batch) => sql`select ingest_order(o) from jsonb_array_elements(${JSON.stringify(batch)}::text::jsonb) o`,
    );
    for (const id of await legacy.deletedProductIds()) await sql`select delete_product(${String(id)}::bigint)`;
    await sql`select refresh_mart_performance_metrics()`;
    await sql`select classify_products()`;
    // The parity watermark is the older of the two systems' last completed syncs.
    await sql`
      insert into sync_runs (kind, status, started_at, finished_at, rows_processed)
      values ('full', 'succeeded', now(), now(), ${orders})`;
    return orders;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
