/**
 * The deterministic store generator: one seeded Shopify store, written two ways.
 *
 * - `fixture`: JSON lines exactly as a Shopify bulk operation (and the ordinary refund and event
 *   queries) would write them — the store fixture format of shared/spec/product.md.
 * - `legacy`: the same store as Shopify REST resources, the input of the legacy database's
 *   `ingest_product(jsonb)`, `ingest_order(jsonb)` and `delete_product(bigint)`.
 *
 * Loading `fixture` through the new system and `legacy` through the legacy functions must give the
 * same rows: that pair is the oracle of the ingest tests. Pure TypeScript, no node: imports, so it
 * runs in Node (CLI, benchmarks, simulator) and inside workerd (Workers tests) alike.
 *
 * Every product and order is generated from its own seeded random stream, so the files can be
 * streamed in any size (`generateStoreStream`) and the whole store never has to be in memory;
 * only the product catalog (which orders sell from) is.
 *
 * This file streams and assembles; the parts: store-shapes.ts (options, files, REST shapes),
 * model.ts (ids, models, options), catalog.ts (products), orders.ts and refunds.ts,
 * fixture-records.ts (JSON lines), legacy-resources.ts (REST resources), scatter.ts (shuffled order).
 */
import { buildCatalog, type Catalog } from './catalog.ts';
import { orderRecords, productRecords, refundRecords } from './fixture-records.ts';
import { legacyOrder, legacyProduct } from './legacy-resources.ts';
import { gid, type OrderModel, resolveOptions } from './model.ts';
import { generateOrder } from './orders.ts';
import { Random, STREAMS } from './random.ts';
import { Scatterer, scatter, splitMediaBlocks } from './scatter.ts';
import type { GeneratedStore, StoreOptions, StoreStream } from './store-shapes.ts';
import { isoDateFromEpochDay, shopifyTimestamp } from './zoned-time.ts';

export { gid } from './model.ts';
export * from './store-shapes.ts';

/** Streams the store of `options` lazily; nothing but the product catalog is kept in memory. */
export function generateStoreStream(options: StoreOptions): StoreStream {
  const o = resolveOptions(options);
  let catalog: Catalog | undefined;
  const getCatalog = () => {
    catalog ??= buildCatalog(o);
    return catalog;
  };
  const serialize = (record: object): string => {
    const json = JSON.stringify(record);
    return o.escapeSlashes ? json.replaceAll('/', '\\/') : json;
  };
  function* orders(): Generator<OrderModel> {
    const c = getCatalog();
    for (let j = 0; j < o.orders; j++) yield generateOrder(o, c, j);
  }
  function* productRecordLines(): Generator<string> {
    for (const product of getCatalog().products) {
      const { parent, children } = productRecords(product);
      yield serialize(parent);
      // A product's media travel as one block, so shuffling keeps them in position order: the
      // fixture format promises it, and the loader takes a MediaImage's position from it.
      const media: string[] = [];
      for (const child of children) {
        if ('image' in child) media.push(serialize(child));
        else yield serialize(child);
      }
      if (media.length > 0) yield media.join('\n');
    }
  }
  function* orderRecordLines(): Generator<string> {
    for (const order of orders()) {
      const { parent, children } = orderRecords(order, o.currency);
      yield serialize(parent);
      for (const child of children) yield serialize(child);
    }
  }
  const shopSlug = `generated-store-${o.seed}`;
  return {
    shop: {
      name: `Generated Store ${o.seed}`,
      myshopifyDomain: `${shopSlug}.myshopify.com`,
      ianaTimezone: o.timezone,
      currencyCode: o.currency,
    },
    period: { firstDate: isoDateFromEpochDay(o.firstDay), lastDate: isoDateFromEpochDay(o.firstDay + o.days - 1) },
    productLines() {
      return splitMediaBlocks(
        o.shuffleChildren
          ? scatter(productRecordLines(), Random.for(o.seed, STREAMS.shuffleProducts, 0))
          : productRecordLines(),
      );
    },
    orderLines() {
      return o.shuffleChildren
        ? scatter(orderRecordLines(), Random.for(o.seed, STREAMS.shuffleOrders, 0))
        : orderRecordLines();
    },
    *refundLines() {
      for (const order of orders()) for (const refund of refundRecords(order, o.currency)) yield serialize(refund);
    },
    *deletionLines() {
      const deleted = getCatalog()
        .products.filter((p) => p.deletedMs !== null)
        .sort((a, b) => (a.deletedMs ?? 0) - (b.deletedMs ?? 0) || a.id - b.id);
      for (const p of deleted) {
        yield serialize({
          subjectType: 'PRODUCT',
          subjectId: gid('Product', p.id),
          action: 'destroy',
          createdAt: shopifyTimestamp(p.deletedMs ?? 0),
        });
      }
    },
    *legacyProducts() {
      for (const product of getCatalog().products) yield legacyProduct(product);
    },
    *legacyOrders() {
      for (const order of orders()) yield legacyOrder(order, o.currency);
    },
    *orderFiles() {
      const scatterer = o.shuffleChildren ? new Scatterer(Random.for(o.seed, STREAMS.shuffleOrders, 0)) : undefined;
      for (const order of orders()) {
        const { parent, children } = orderRecords(order, o.currency);
        for (const record of [parent, ...children]) {
          const line = scatterer ? scatterer.push(serialize(record)) : serialize(record);
          if (line !== undefined) yield { file: 'orders', line };
        }
        for (const refund of refundRecords(order, o.currency)) yield { file: 'refunds', line: serialize(refund) };
        yield { file: 'legacyOrders', order: legacyOrder(order, o.currency) };
      }
      if (scatterer) for (const line of scatterer.drain()) yield { file: 'orders', line };
    },
    deletedProductIds() {
      return getCatalog()
        .products.filter((p) => p.deletedMs !== null)
        .map((p) => p.id);
    },
  };
}

/** The whole store in memory: for tests and small fixtures (use generateStoreStream for big ones). */
export function generateStore(options: StoreOptions): GeneratedStore {
  const stream = generateStoreStream(options);
  return {
    shop: stream.shop,
    period: stream.period,
    fixture: {
      products: [...stream.productLines()],
      orders: [...stream.orderLines()],
      refunds: [...stream.refundLines()],
      deletions: [...stream.deletionLines()],
    },
    legacy: {
      products: [...stream.legacyProducts()],
      orders: [...stream.legacyOrders()],
      deletedProductIds: stream.deletedProductIds(),
    },
  };
}
