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
import { loadLegacyStore } from '../lib/legacy-store.ts';
import { readLegacyStore, writeStoreFixture } from '../store-generator/fixture-folder.ts';
import type { ShopInfo, StoreOptions } from '../store-generator/generate.ts';

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
    const orders = await loadLegacyStore(
      sql,
      {
        timezone: store.shop.ianaTimezone,
        products: legacy.products(),
        orders: legacy.orders(),
        deletedProductIds: await legacy.deletedProductIds(),
      },
      { batchSize: 250 },
    );
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
