import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateStore, type LegacyProduct } from '#scripts/store-generator/generate.ts';
import type { Sql } from '#shared/db/types.ts';
import { loadJsonlLines } from '#shared/ingest/load.ts';
import type { ResourceName } from '#shared/ingest/shopify-objects.ts';
import { openTestSql } from '../support/test-sql.ts';
import { compareRawTables, ingestLegacy } from './support/raw-tables.ts';
import { REAL_ORDERS, REAL_PRODUCTS } from './support/real-fixtures.ts';

let sql: Sql;
let legacy: Sql;

beforeAll(() => {
  sql = openTestSql('app');
  legacy = openTestSql('legacy');
});
afterAll(async () => {
  await sql.end({ timeout: 5 });
  await legacy.end({ timeout: 5 });
});
beforeEach(async () => {
  await sql`truncate material_artifact, act_of_sale, media_content_entity, tag_designation, quarantined_line,
            ingest_staged_object, person cascade`;
  await legacy`truncate products, orders, assets, tags, profiles cascade`;
});

const RESOURCE_ORDER: ResourceName[] = ['products', 'orders', 'refunds', 'deletions'];

async function expectSameRawTables() {
  const tables = await compareRawTables(legacy, sql);
  for (const [table, sides] of Object.entries(tables)) expect(sides.new, table).toEqual(sides.legacy);
  return tables;
}

type Line = Record<string, unknown> & { id?: string; __parentId?: string };

describe('loadJsonlLines', () => {
  it('loads a generated store with shuffled children into the same raw rows the legacy functions write', async () => {
    const store = generateStore({ seed: 11, products: 60, orders: 250, shuffleChildren: true });
    for (const resource of RESOURCE_ORDER) {
      const summary = await loadJsonlLines(sql, resource, store.fixture[resource]);
      expect(summary.quarantined, resource).toBe(0);
      expect(summary.accepted, resource).toBe(store.fixture[resource].length);
    }
    await ingestLegacy(legacy, store.legacy);
    const tables = await expectSameRawTables();
    for (const [table, sides] of Object.entries(tables)) expect(sides.new.length, table).toBeGreaterThan(0);
    const [left] = await sql`select count(*)::int as staged from ingest_staged_object`;
    expect(left?.staged).toBe(0);
  });

  it('order lines anywhere before their order load the same in two reads (an array) and in one (a stream); an orphan line is quarantined with its number', async () => {
    const store = generateStore({ seed: 13, products: 20, orders: 80 });
    // every line item before every order: the worst a bulk export without groupObjects can do
    const children = store.fixture.orders.filter((line) => line.includes('__parentId'));
    const orphan = children[0]
      ?.replace(/"__parentId":"[^"]*"/, '"__parentId":"gid:\\/\\/shopify\\/Order\\/999"')
      .replace(/LineItem\\\/\d+/, 'LineItem\\/999');
    const orders = [
      ...children,
      orphan as string,
      ...store.fixture.orders.filter((line) => !line.includes('__parentId')),
    ];
    await loadJsonlLines(sql, 'products', store.fixture.products);
    await ingestLegacy(legacy, { ...store.legacy, deletedProductIds: [] });
    async function* once(lines: string[]) {
      yield* lines;
    }
    for (const source of [orders, once(orders)]) {
      await sql`truncate act_of_sale, quarantined_line, ingest_staged_object cascade`;
      const summary = await loadJsonlLines(sql, 'orders', source);
      expect(summary).toMatchObject({ linesRead: orders.length, quarantined: 1, accepted: orders.length });
      const [quarantined] = await sql<{ line_number: number; reason_text: string }[]>`
        select line_number::int, reason_text from quarantined_line where load_key = ${summary.loadKey}`;
      expect(quarantined?.line_number).toBe(children.length + 1);
      expect(quarantined?.reason_text).toMatch(/^LineItem 999: its parent Order 999 is not loaded/);
      await loadJsonlLines(sql, 'refunds', store.fixture.refunds);
      const tables = await compareRawTables(legacy, sql);
      for (const table of ['orders', 'order_line_items', 'refunds', 'refund_line_items']) {
        expect(tables[table]?.new, table).toEqual(tables[table]?.legacy);
      }
      const [left] = await sql`select count(*)::int as staged from ingest_staged_object`;
      expect(left?.staged).toBe(0);
    }
  });

  it('a refund whose order or order line is not loaded is quarantined with its number; the batch’s other refunds load', async () => {
    const store = generateStore({ seed: 14, products: 20, orders: 120 });
    for (const resource of ['products', 'orders'] as const)
      await loadJsonlLines(sql, resource, store.fixture[resource]);
    const good = store.fixture.refunds;
    expect(good.length).toBeGreaterThan(2);
    const noOrder = (good[0] as string)
      .replace(/"order":\{"id":"[^"]*"\}/, '"order":{"id":"gid:\\/\\/shopify\\/Order\\/999"}')
      .replace(/Refund\\\/\d+/, 'Refund\\/991');
    const noLine = (good[1] as string)
      .replace(/"lineItem":\{"id":"[^"]*"\}/, '"lineItem":{"id":"gid:\\/\\/shopify\\/LineItem\\/998"}')
      .replace(/Refund\\\/\d+/, 'Refund\\/992');
    const summary = await loadJsonlLines(sql, 'refunds', [...good, noOrder, noLine]);
    const rows = await sql<{ line_number: number; reason_text: string }[]>`
      select line_number::int, reason_text from quarantined_line where load_key = ${summary.loadKey} order by 1`;
    expect(rows).toEqual([
      { line_number: good.length + 1, reason_text: 'order 999 is not loaded' },
      { line_number: good.length + 2, reason_text: 'order lines 998 are not loaded' },
    ]);
    await ingestLegacy(legacy, { ...store.legacy, deletedProductIds: [] });
    const tables = await compareRawTables(legacy, sql);
    for (const table of ['refunds', 'refund_line_items'])
      expect(tables[table]?.new, table).toEqual(tables[table]?.legacy);
  });

  it('loading the same files again changes no row', async () => {
    const store = generateStore({ seed: 12, products: 20, orders: 60, shuffleChildren: true });
    for (const resource of RESOURCE_ORDER) await loadJsonlLines(sql, resource, store.fixture[resource]);
    const before = await compareRawTables(legacy, sql);
    for (const resource of RESOURCE_ORDER) await loadJsonlLines(sql, resource, store.fixture[resource]);
    const after = await compareRawTables(legacy, sql);
    expect(after).toEqual(before);
  });

  it('an updated product loses the variants, images and Shopify tags Shopify removed; manual rows stay', async () => {
    const store = generateStore({ seed: 13, products: 12, orders: 0 });
    const lines = store.fixture.products.map((l) => JSON.parse(l) as Line);
    const target = store.legacy.products.find((p) => p.variants.length >= 2 && p.images.length >= 2 && p.tags !== '');
    if (!target) throw new Error('the generated store has no product with 2 variants, 2 images and tags');
    await loadJsonlLines(sql, 'products', store.fixture.products);
    await ingestLegacy(legacy, { products: store.legacy.products, orders: [], deletedProductIds: [] });

    // Staff curation on both sides: a manual tag and a manual image mapping.
    await legacy`insert into tags (name) values ('staff-pick')`;
    await legacy`insert into tag_classifications (product_id, tag_id, source)
                 select ${target.id}, id, 'manual' from tags where name = 'staff-pick'`;
    await legacy`insert into assets (kind, url) values ('ad_creative', 'https://ads.example/1.png')`;
    await legacy`insert into product_asset_mappings (product_id, asset_id, role, position, source)
                 select ${target.id}, id, 'ad', 0, 'manual' from assets where url = 'https://ads.example/1.png'`;
    await sql`insert into tag_designation (tag_name) values ('staff-pick')`;
    await sql`insert into tag_content_entity (material_artifact_id, tag_designation_id, source_system)
              select ${target.id}, tag_designation_id, 'manual' from tag_designation where tag_name = 'staff-pick'`;
    await sql`insert into media_content_entity (media_kind, url) values ('ad_creative', 'https://ads.example/1.png')`;
    await sql`insert into denotation_relation (material_artifact_id, media_content_entity_id, role_name, display_position, source_system)
              select ${target.id}, media_content_entity_id, 'ad', 0, 'manual' from media_content_entity
              where url = 'https://ads.example/1.png'`;

    // Shopify: first variant and first image removed, a tag dropped and one added, drafted, vendor blanked.
    const productGid = `gid://shopify/Product/${target.id}`;
    const product = lines.find((l) => l.id === productGid) as Line;
    const oldTags = product.tags as string[];
    const updated: Line = { ...product, tags: [...oldTags.slice(1), '  Fresh Arrival '], status: 'DRAFT', vendor: '' };
    const children = lines.filter((l) => l.__parentId === productGid);
    const variants = children.filter((l) => l.id?.includes('/ProductVariant/')).slice(1);
    const media = children.filter((l) => l.id?.includes('/MediaImage/')).slice(1);
    await loadJsonlLines(
      sql,
      'products',
      [...variants, ...media, updated].map((l) => JSON.stringify(l)),
    );

    const rest: LegacyProduct = {
      ...target,
      tags: [...oldTags.slice(1), '  Fresh Arrival '].join(', '),
      status: 'draft',
      vendor: '',
      variants: target.variants.slice(1),
      images: target.images.slice(1).map((image, k) => ({ ...image, position: k + 1 })),
    };
    await legacy`select ingest_product(${JSON.stringify(rest)}::text::jsonb)`;
    await expectSameRawTables();
    const [row] = await sql`
      select status, vendor, shopify_tag_names::text as tags,
             (select count(*)::int from tag_content_entity where material_artifact_id = ${target.id} and source_system = 'manual') as manual_tags,
             (select count(*)::int from denotation_relation where material_artifact_id = ${target.id} and source_system = 'manual') as manual_media
      from material_artifact where material_artifact_id = ${target.id}`;
    expect(row).toMatchObject({ status: 'draft', vendor: null, manual_tags: 1, manual_media: 1 });
    expect(row?.tags).toContain('fresh arrival');
  });

  it('a product that comes back after a deletion loses its tombstone; a deletion keeps the first time', async () => {
    const store = generateStore({ seed: 14, products: 6, orders: 0 });
    await loadJsonlLines(sql, 'products', store.fixture.products);
    const id = store.legacy.products[0]?.id as number;
    const deletion = (at: string) =>
      JSON.stringify({
        subjectType: 'PRODUCT',
        subjectId: `gid://shopify/Product/${id}`,
        action: 'destroy',
        createdAt: at,
      });
    await loadJsonlLines(sql, 'deletions', [deletion('2026-01-02T03:04:05Z')]);
    await loadJsonlLines(sql, 'deletions', [deletion('2026-02-02T03:04:05Z')]);
    const [first] = await sql`select deleted_at::text as at from material_artifact where material_artifact_id = ${id}`;
    expect(first?.at).toBe('2026-01-02 03:04:05+00');
    await loadJsonlLines(sql, 'products', store.fixture.products);
    const [back] = await sql`select deleted_at from material_artifact where material_artifact_id = ${id}`;
    expect(back?.deleted_at).toBeNull();
  });

  it('quarantines malformed, truncated and invalid lines and orphaned children with line numbers, and loads the rest', async () => {
    const store = generateStore({ seed: 15, products: 3, orders: 0 });
    const good = store.fixture.products;
    const orphan = JSON.stringify({
      id: 'gid://shopify/ProductVariant/1',
      title: 'Lost',
      price: '1.00',
      __parentId: 'gid://shopify/Product/999',
    });
    const input = [
      ...good,
      '{"id":"gid:\\/\\/shopify\\/Product\\/5","title":',
      '[1,2]',
      JSON.stringify({ id: 'gid://shopify/Product/6', title: 'No handle', status: 'ACTIVE' }),
      JSON.stringify({
        id: 'gid://shopify/Product/7',
        title: 'T',
        handle: 'h',
        status: 'UNLISTED',
        createdAt: '2026-01-01T00:00:00Z',
        updatedAt: '2026-01-01T00:00:00Z',
      }),
      orphan,
      '',
      JSON.stringify({ id: 'gid://shopify/Metafield/1', key: 'ignored', __parentId: 'gid://shopify/Product/5' }),
      '{"id":"gid:\\/\\/shopify\\/Product\\/8","title":"cut off',
    ];
    const summary = await loadJsonlLines(sql, 'products', input);
    const n = good.length;
    const rows = await sql<{ line_number: number; reason_text: string }[]>`
      select line_number::int, reason_text from quarantined_line where load_key = ${summary.loadKey} order by line_number`;
    expect(rows.map((r) => r.line_number)).toEqual([n + 1, n + 2, n + 3, n + 4, n + 5, n + 8]);
    expect(rows[0]?.reason_text).toMatch(/^malformed JSON/);
    expect(rows[1]?.reason_text).toBe('line is not a JSON object');
    expect(rows[2]?.reason_text).toBe('handle is missing');
    expect(rows[3]?.reason_text).toMatch(/^status "UNLISTED"/);
    expect(rows[4]?.reason_text).toMatch(/parent Product 999 is not in this file/);
    expect(rows[5]?.reason_text).toMatch(/^malformed JSON/);
    expect(summary).toMatchObject({ linesRead: n + 7, quarantined: 6, ignored: 1 });
    const [loaded] = await sql`select count(*)::int as n from material_artifact`;
    expect(loaded?.n).toBe(3);
  });

  it('loads the real Shopify exports: unknown fields and types skipped, lines without required fields quarantined', async () => {
    const products = await loadJsonlLines(sql, 'products', REAL_PRODUCTS.split('\n'));
    expect(products).toMatchObject({ linesRead: 5, accepted: 3, ignored: 2, quarantined: 0 });
    const media = await sql`select url, shopify_image_id, alt_text from media_content_entity`;
    expect(media).toEqual([
      {
        url: 'https://cdn.shopify.com/s/files/1/0506/3521/0958/products/placeholder_aa389e41-a6d1-453e-ba2a-dae56c3993eb.png?v=1644963764',
        shopify_image_id: null,
        alt_text: null,
      },
    ]);
    const mappings = await sql`select material_artifact_id::text, role_name, display_position from denotation_relation`;
    expect(mappings).toEqual([{ material_artifact_id: '6950279086286', role_name: 'featured', display_position: 1 }]);
    // Loaded again, the ImageSource image is found by its URL, not added twice.
    await loadJsonlLines(sql, 'products', REAL_PRODUCTS.split('\n'));
    const [count] = await sql`select count(*)::int as n from media_content_entity`;
    expect(count?.n).toBe(1);

    // The orders sample comes from a narrower query (no name, no money): quarantined with the reason.
    const orders = await loadJsonlLines(sql, 'orders', REAL_ORDERS.split('\n'));
    expect(orders).toMatchObject({ linesRead: 2, accepted: 0, quarantined: 2 });
    const reasons =
      await sql`select line_number::int, reason_text from quarantined_line where load_key = ${orders.loadKey} order by 1`;
    expect(reasons).toEqual([
      { line_number: 1, reason_text: 'name is missing' },
      { line_number: 2, reason_text: 'title is missing' },
    ]);
  });

  it('matches a live-Shopify image (ImageSource gid) to a legacy asset by its URL without the query string', async () => {
    await sql`insert into media_content_entity (media_kind, url, shopify_image_id) values ('image', 'https://cdn.example/a.png?v=1', 555)`;
    const product = {
      id: 'gid://shopify/Product/42',
      title: 'P',
      handle: 'p',
      status: 'ACTIVE',
      tags: [],
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
    };
    const image = (n: number, url: string) => ({
      id: `gid://shopify/MediaImage/${n}`,
      alt: 'A',
      image: { id: `gid://shopify/ImageSource/${n}`, url },
      __parentId: product.id,
    });
    await loadJsonlLines(
      sql,
      'products',
      [image(1, 'https://cdn.example/a.png?v=2'), product, image(2, 'https://cdn.example/b.png')].map((l) =>
        JSON.stringify(l),
      ),
    );
    const rows = await sql`
      select m.url, m.shopify_image_id::int, m.alt_text, d.role_name, d.display_position
      from denotation_relation d join media_content_entity m using (media_content_entity_id) order by d.display_position`;
    expect(rows).toEqual([
      {
        url: 'https://cdn.example/a.png?v=2',
        shopify_image_id: 555,
        alt_text: 'A',
        role_name: 'featured',
        display_position: 1,
      },
      {
        url: 'https://cdn.example/b.png',
        shopify_image_id: null,
        alt_text: 'A',
        role_name: 'gallery',
        display_position: 2,
      },
    ]);
  });
});
