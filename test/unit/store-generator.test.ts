import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLegacyStore, writeStoreFixture } from '../../scripts/store-generator/fixture-folder.ts';
import { type GeneratedStore, generateStore, generateStoreStream } from '../../scripts/store-generator/generate.ts';
import { localEpochDay } from '../../scripts/store-generator/zoned-time.ts';
import { createTestDatabase, type TestDatabase } from '../support/node-databases.ts';

// biome-ignore lint/suspicious/noExplicitAny: fixture lines are untyped JSON by nature
type Line = Record<string, any>;

const OPTIONS = {
  seed: 42,
  products: 60,
  orders: 400,
  timezone: 'America/New_York',
  startDate: '2026-08-01',
  days: 30,
} as const;

const numericId = (gid: string) => Number(gid.slice(gid.lastIndexOf('/') + 1));
const parse = (lines: string[]): Line[] => lines.map((line) => JSON.parse(line));
const typeOf = (line: Line) => (line.id as string).split('/')[3];

describe('generateStore', () => {
  it('is deterministic by seed, and another seed gives another store', () => {
    expect(generateStore(OPTIONS)).toEqual(generateStore(OPTIONS));
    const other = generateStore({ ...OPTIONS, seed: 43 });
    expect(other.fixture.orders).not.toEqual(generateStore(OPTIONS).fixture.orders);
  });

  it('streams exactly the lines it returns in memory', () => {
    const store = generateStore({ ...OPTIONS, shuffleChildren: true });
    const stream = generateStoreStream({ ...OPTIONS, shuffleChildren: true });
    expect([...stream.orderLines()]).toEqual(store.fixture.orders);
    expect([...stream.productLines()]).toEqual(store.fixture.products);
    expect([...stream.legacyOrders()]).toEqual(store.legacy.orders);
  });

  it('writes orders, refunds and legacy orders in one pass exactly as the separate streams do', () => {
    for (const shuffleChildren of [false, true]) {
      const stream = generateStoreStream({ ...OPTIONS, shuffleChildren });
      const items = [...stream.orderFiles()];
      expect(items.flatMap((i) => (i.file === 'orders' ? [i.line] : []))).toEqual([...stream.orderLines()]);
      expect(items.flatMap((i) => (i.file === 'refunds' ? [i.line] : []))).toEqual([...stream.refundLines()]);
      expect(items.flatMap((i) => (i.file === 'legacyOrders' ? [i.order] : []))).toEqual([...stream.legacyOrders()]);
    }
  });

  it('writes Shopify-style JSON: escaped slashes, gids, ISO UTC timestamps, 2-decimal money strings', () => {
    const store = generateStore(OPTIONS);
    const first = store.fixture.products[0] ?? '';
    expect(first).toContain('gid:\\/\\/shopify\\/Product\\/');
    const order = parse(store.fixture.orders).find((line) => typeOf(line) === 'Order') as Line;
    expect(order.processedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(order.totalPriceSet.shopMoney.amount).toMatch(/^\d+\.\d\d$/);
    expect(generateStore({ ...OPTIONS, escapeSlashes: false }).fixture.products[0]).toContain('gid://shopify/');
  });

  it('keeps every child right after its parent unless asked to shuffle, and then places some before it', () => {
    const childBeforeParent = (lines: string[]) => {
      const seen = new Set<string>();
      let before = 0;
      for (const line of parse(lines)) {
        if (line.__parentId && !seen.has(line.__parentId)) before++;
        seen.add(line.id);
      }
      return before;
    };
    const plain = generateStore(OPTIONS);
    const shuffled = generateStore({ ...OPTIONS, shuffleChildren: true });
    expect(childBeforeParent(plain.fixture.products)).toBe(0);
    expect(childBeforeParent(plain.fixture.orders)).toBe(0);
    expect(childBeforeParent(shuffled.fixture.products)).toBeGreaterThan(0);
    expect(childBeforeParent(shuffled.fixture.orders)).toBeGreaterThan(0);
    // The same lines, only in another order.
    expect([...shuffled.fixture.orders].sort()).toEqual([...plain.fixture.orders].sort());
    expect([...shuffled.fixture.products].sort()).toEqual([...plain.fixture.products].sort());
  });

  it('contains the cases the marts must get right', () => {
    const store = generateStore(OPTIONS);
    const orders = parse(store.fixture.orders);
    const orderLines = orders.filter((line) => typeOf(line) === 'Order');
    const lineItems = orders.filter((line) => typeOf(line) === 'LineItem');
    const products = parse(store.fixture.products).filter((line) => typeOf(line) === 'Product');
    const refunds = parse(store.fixture.refunds);
    const deleted = new Set(store.legacy.deletedProductIds.map((id) => `gid://shopify/Product/${id}`));
    const tz = OPTIONS.timezone;
    const localMinutes = (iso: string) => {
      const ms = Date.parse(iso);
      const parts = new Intl.DateTimeFormat('en-GB', {
        timeZone: tz,
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      })
        .format(ms)
        .split(':');
      return Number(parts[0]) * 60 + Number(parts[1]);
    };
    const processedOf = new Map(orderLines.map((o) => [o.id, o.processedAt as string]));

    expect(orderLines.some((o) => o.test)).toBe(true);
    expect(orderLines.some((o) => o.cancelledAt)).toBe(true);
    expect(lineItems.some((li) => li.product === null)).toBe(true);
    expect(lineItems.some((li) => li.product && deleted.has(li.product.id))).toBe(true);
    expect(orderLines.some((o) => o.refunds.length >= 2)).toBe(true);
    expect(orderLines.filter((o) => localMinutes(o.processedAt) >= 23 * 60 + 40).length).toBeGreaterThan(0);
    expect(orderLines.filter((o) => localMinutes(o.processedAt) < 20).length).toBeGreaterThan(0);
    // Refunds on another shop-local day than the sale, some just past local midnight.
    const refundDayShift = refunds.map(
      (r) =>
        localEpochDay(Date.parse(r.createdAt), tz) -
        localEpochDay(Date.parse(processedOf.get(r.order.id) as string), tz),
    );
    expect(refundDayShift.some((shift) => shift === 0)).toBe(true);
    expect(refundDayShift.some((shift) => shift === 1)).toBe(true);
    expect(refundDayShift.some((shift) => shift > 1)).toBe(true);
    expect(refundDayShift.every((shift) => shift >= 0)).toBe(true);
    expect(refunds.some((r) => localMinutes(r.createdAt) < 21)).toBe(true);
    // Products that never sell, and tags in mixed case with stray spaces and duplicates.
    const sold = new Set(lineItems.filter((li) => li.product).map((li) => li.product.id));
    expect(products.some((p) => !sold.has(p.id))).toBe(true);
    const tags = products.flatMap((p) => p.tags as string[]);
    expect(tags.some((t) => t !== t.trim())).toBe(true);
    expect(tags.some((t) => t !== t.toLowerCase())).toBe(true);
    expect(products.some((p) => new Set(p.tags.map((t: string) => t.trim().toLowerCase())).size < p.tags.length)).toBe(
      true,
    );
    // Several variants and images per product; MediaImage.image.id numbers are the legacy image ids.
    const children = parse(store.fixture.products);
    const variantsPerProduct = new Map<string, number>();
    for (const line of children.filter((l) => typeOf(l) === 'ProductVariant')) {
      variantsPerProduct.set(line.__parentId, (variantsPerProduct.get(line.__parentId) ?? 0) + 1);
    }
    expect(Math.max(...variantsPerProduct.values())).toBeGreaterThan(1);
    const mediaImageIds = children.filter((l) => typeOf(l) === 'MediaImage').map((l) => numericId(l.image.id));
    expect(mediaImageIds.sort()).toEqual(store.legacy.products.flatMap((p) => p.images.map((i) => i.id)).sort());
    // Everything happens within the period, and sales stay inside it.
    expect(store.period).toEqual({ firstDate: '2026-08-01', lastDate: '2026-08-30' });
    const last = Date.parse('2026-08-31T04:00:00Z'); // local midnight after the last day (EDT)
    for (const o of orderLines) expect(Date.parse(o.updatedAt)).toBeLessThan(last);
  });

  it('refuses options it cannot honour with a message naming them', () => {
    expect(() => generateStore({ seed: 1, products: -1, orders: 1 })).toThrow(/products/);
    expect(() => generateStore({ seed: 1, products: 1, orders: 1, timezone: 'Mars/Olympus' })).toThrow(/Mars\/Olympus/);
    expect(() => generateStore({ seed: 1, products: 1, orders: 1, startDate: '1.8.2026' })).toThrow(/YYYY-MM-DD/);
  });

  it('makes only custom lines when the store has no products', () => {
    const store = generateStore({ seed: 3, products: 0, orders: 5 });
    const items = parse(store.fixture.orders).filter((line) => typeOf(line) === 'LineItem');
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((li) => li.product === null)).toBe(true);
  });
});

describe('the legacy REST shape describes the same store as the fixture', () => {
  let legacy: TestDatabase;
  let store: GeneratedStore;

  beforeAll(async () => {
    store = generateStore({ ...OPTIONS, shuffleChildren: true });
    legacy = await createTestDatabase('legacy');
    const sql = legacy.sql;
    await sql`insert into app_settings (key, value) values ('shop_timezone', ${sql.json(store.shop.ianaTimezone)})`;
    for (const product of store.legacy.products)
      await sql`select ingest_product(${JSON.stringify(product)}::text::jsonb)`;
    for (const order of store.legacy.orders) await sql`select ingest_order(${JSON.stringify(order)}::text::jsonb)`;
    for (const id of store.legacy.deletedProductIds) await sql`select delete_product(${id})`;
  });
  afterAll(async () => {
    await legacy.drop();
  });

  it('products, variants, tags and images', async () => {
    const lines = parse(store.fixture.products);
    const products = lines.filter((l) => typeOf(l) === 'Product');
    const rows = await legacy.sql<{ id: string; title: string; status: string; tags: string[]; deleted: boolean }[]>`
      select id::text, title, status, tags, deleted_at is not null as deleted from products order by id`;
    const deletedGids = new Set(parse(store.fixture.deletions).map((d) => d.subjectId));
    expect(rows).toEqual(
      products
        .map((p) => ({
          id: String(numericId(p.id)),
          title: p.title,
          status: p.status.toLowerCase(),
          tags: [...new Set((p.tags as string[]).map((t) => t.trim().toLowerCase()))].sort(),
          deleted: deletedGids.has(p.id),
        }))
        .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1)),
    );
    expect(rows.some((r) => r.deleted)).toBe(true);

    const variantRows = await legacy.sql<{ id: string; product_id: string; price: string }[]>`
      select id::text, product_id::text, price::text from product_variants order by id`;
    expect(variantRows).toEqual(
      lines
        .filter((l) => typeOf(l) === 'ProductVariant')
        .map((v) => ({ id: String(numericId(v.id)), product_id: String(numericId(v.__parentId)), price: v.price }))
        .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1)),
    );

    const imageRows = await legacy.sql<{ image_id: string; product_id: string; url: string; role: string }[]>`
      select a.shopify_image_id::text as image_id, m.product_id::text, a.url, m.role
      from assets a join product_asset_mappings m on m.asset_id = a.id order by a.shopify_image_id`;
    const featured = new Map(products.map((p) => [p.id, p.featuredMedia?.id]));
    expect(imageRows).toEqual(
      lines
        .filter((l) => typeOf(l) === 'MediaImage')
        .map((m) => ({
          image_id: String(numericId(m.image.id)),
          product_id: String(numericId(m.__parentId)),
          url: m.image.url,
          role: featured.get(m.__parentId) === m.id ? 'featured' : 'gallery',
        }))
        .sort((a, b) => (BigInt(a.image_id) < BigInt(b.image_id) ? -1 : 1)),
    );
  });

  it('orders, line items, refunds and refund lines with the same ids and amounts', async () => {
    const lines = parse(store.fixture.orders);
    const orderRows = await legacy.sql`
      select id::text, processed_at, total_price::text, subtotal_price::text, total_discounts::text, test,
             cancelled_at is not null as cancelled, financial_status
      from orders order by id`;
    expect(orderRows.map((r) => ({ ...r, processed_at: r.processed_at.toISOString().replace('.000', '') }))).toEqual(
      lines
        .filter((l) => typeOf(l) === 'Order')
        .map((o) => ({
          id: String(numericId(o.id)),
          processed_at: o.processedAt,
          total_price: o.totalPriceSet.shopMoney.amount,
          subtotal_price: o.subtotalPriceSet.shopMoney.amount,
          total_discounts: o.totalDiscountsSet.shopMoney.amount,
          test: o.test,
          cancelled: o.cancelledAt !== null,
          financial_status: o.displayFinancialStatus.toLowerCase(),
        }))
        .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1)),
    );

    const itemRows = await legacy.sql`
      select id::text, order_id::text, product_id::text, quantity, price::text, total_discount::text
      from order_line_items order by id`;
    expect(itemRows).toEqual(
      lines
        .filter((l) => typeOf(l) === 'LineItem')
        .map((li) => ({
          id: String(numericId(li.id)),
          order_id: String(numericId(li.__parentId)),
          product_id: li.product ? String(numericId(li.product.id)) : null,
          quantity: li.quantity,
          price: li.originalUnitPriceSet.shopMoney.amount,
          total_discount: li.totalDiscountSet.shopMoney.amount,
        }))
        .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1)),
    );

    const refunds = parse(store.fixture.refunds);
    const refundRows = await legacy.sql`select id::text, order_id::text, created_at from refunds order by id`;
    expect(refundRows.map((r) => ({ ...r, created_at: r.created_at.toISOString().replace('.000', '') }))).toEqual(
      refunds
        .map((r) => ({ id: String(numericId(r.id)), order_id: String(numericId(r.order.id)), created_at: r.createdAt }))
        .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1)),
    );
    // The order lines list the same refunds as the refund nodes.
    const listed = lines.filter((l) => typeOf(l) === 'Order').flatMap((o) => o.refunds.map((r: Line) => r.id));
    expect(listed.sort()).toEqual(refunds.map((r) => r.id).sort());

    const refundLineRows = await legacy.sql`
      select id::text, refund_id::text, line_item_id::text, quantity, subtotal::text
      from refund_line_items order by id`;
    expect(refundLineRows).toEqual(
      refunds
        .flatMap((r) =>
          r.refundLineItems.nodes.map((n: Line) => ({
            id: String(numericId(n.id)),
            refund_id: String(numericId(r.id)),
            line_item_id: String(numericId(n.lineItem.id)),
            quantity: n.quantity,
            subtotal: n.subtotalSet.shopMoney.amount,
          })),
        )
        .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1)),
    );
    expect(refundLineRows.length).toBeGreaterThan(0);
  });

  it('gives the legacy marts sales on many days, net of refunds', async () => {
    await legacy.sql`select refresh_mart_performance_metrics()`;
    const [row] = await legacy.sql<{ days: number; refunds: number }[]>`
      select (select count(distinct metric_date)::int from mart_performance_metrics) as days,
             (select count(*)::int from mart_performance_metrics where refunds > 0) as refunds`;
    expect(row?.days).toBeGreaterThanOrEqual(OPTIONS.days);
    expect(row?.refunds).toBeGreaterThan(0);
  });
});

describe('a fixture folder on disk', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'store-fixture-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('holds the same lines as the in-memory store, in both legacy layouts', async () => {
    const options = { seed: 5, products: 10, orders: 40, startDate: '2026-09-01', days: 7 };
    const store = generateStore(options);
    for (const layout of ['json', 'jsonl'] as const) {
      const folder = join(dir, layout);
      const written = await writeStoreFixture(folder, options, layout);
      expect(written.lines.orders).toBe(store.fixture.orders.length);
      const files = await readdir(folder);
      expect(files).toEqual(expect.arrayContaining(['shop.json', 'products.jsonl', 'orders.jsonl', 'refunds.jsonl']));
      expect(JSON.parse(await readFile(join(folder, 'shop.json'), 'utf8'))).toEqual(store.shop);
      expect((await readFile(join(folder, 'orders.jsonl'), 'utf8')).split('\n').slice(0, -1)).toEqual(
        store.fixture.orders,
      );
      const legacyFolder = readLegacyStore(folder);
      const orders = [];
      for await (const order of legacyFolder.orders()) orders.push(order);
      expect(orders).toEqual(store.legacy.orders);
      expect(await legacyFolder.deletedProductIds()).toEqual(store.legacy.deletedProductIds);
    }
  });
});
