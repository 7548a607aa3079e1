/** Scenarios 1 and 2: the product list and the product detail, through workerd against Postgres. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '#shared/db/types.ts';
import {
  type Api,
  type ApiResponse,
  openApiWithStaff,
  seedAsset,
  seedMapping,
  seedMartRow,
  seedProduct,
  seedProductTag,
  seedVariant,
  utcDate,
} from './support/api.ts';

let api: Api;
let sql: Sql;
const yesterday = utcDate(-1);
let featuredMappingId: string;
let galleryMappingId: string;
let featuredAssetId: string;

beforeAll(async () => {
  ({ api, sql } = await openApiWithStaff());
  await seedProduct(sql, {
    id: 101,
    title: 'Blue Mug',
    handle: 'blue-mug',
    vendor: 'Acme',
    product_type: 'Mug',
    updated_at: '2026-03-01T10:00:00.123456Z',
  });
  await seedProduct(sql, {
    id: 102,
    title: 'Apple Crate',
    handle: 'crate',
    vendor: 'Crates Inc',
    product_type: 'Box',
    status: 'draft',
    updated_at: '2026-03-03T10:00:00Z',
  });
  await seedProduct(sql, {
    id: 103,
    title: '100% Cotton Tee',
    handle: 'tee',
    status: 'archived',
    updated_at: '2026-03-02T10:00:00Z',
  });
  await seedProduct(sql, { id: 104, title: 'Zebra Poster', handle: 'zebra', updated_at: '2026-03-02T10:00:00Z' });
  await seedProduct(sql, {
    id: 105,
    title: 'Deleted Lamp',
    handle: 'lamp',
    deleted: true,
    updated_at: '2026-03-09T10:00:00Z',
  });
  await seedVariant(sql, { id: 9002, productId: 101, sku: 'MUG-BLUE-L', price: '12.50' });
  await seedVariant(sql, { id: 9001, productId: 101, sku: 'MUG-BLUE-S', price: '9.99' });
  await seedVariant(sql, { id: 9003, productId: 104, sku: 'POSTER_Z' });
  await seedProductTag(sql, 101, 'summer');
  await seedProductTag(sql, 101, 'kitchen', 'manual');
  await seedProductTag(sql, 102, 'summer');
  featuredAssetId = await seedAsset(sql, { url: 'https://cdn.example.com/mug.jpg', shopifyImageId: 555 });
  const galleryAsset = await seedAsset(sql, { url: 'https://cdn.example.com/mug-side.jpg' });
  featuredMappingId = await seedMapping(sql, {
    productId: 101,
    assetId: featuredAssetId,
    role: 'featured',
    position: 1,
  });
  galleryMappingId = await seedMapping(sql, {
    productId: 101,
    assetId: galleryAsset,
    role: 'gallery',
    position: 2,
    source: 'manual',
  });
  await sql`
    insert into nominal_classification (material_artifact_id, classification_code, is_manual, note_text, computed_at)
    values (101, 'A', false, null, '2026-03-05T00:00:00Z'), (104, 'B', true, 'promo', '2026-03-06T00:00:00Z')`;
  // 30-day window ending yesterday: these count…
  await seedMartRow(sql, {
    productId: 101,
    date: yesterday,
    gross: '100.00',
    discounts: '10.00',
    refunds: '5.25',
    units: 3,
  });
  await seedMartRow(sql, { productId: 101, date: utcDate(-30), gross: '20.00', units: 1 });
  await seedMartRow(sql, { productId: 104, date: utcDate(-10), gross: '500.00', units: 7 });
  // …these do not (31 days back, and today).
  await seedMartRow(sql, { productId: 101, date: utcDate(-31), gross: '1000.00', units: 50 });
  await seedMartRow(sql, { productId: 102, date: utcDate(0), gross: '999.00', units: 9 });
});

afterAll(async () => {
  await sql.end({ timeout: 5 });
});

async function allPages(path: string, limit: number): Promise<{ ids: number[]; pages: number }> {
  const ids: number[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const response: ApiResponse = await api.get(
      `${path}${separator}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(response.status).toBe(200);
    ids.push(...response.body.data.map((item: { id: number }) => item.id));
    cursor = response.body.next_cursor;
    pages += 1;
  } while (cursor);
  return { ids, pages };
}

describe('GET /api/products', () => {
  it('lists live products newest-updated first in the legacy item shape, never deleted ones', async () => {
    const response = await api.get('/api/products');
    expect(response.status).toBe(200);
    expect(response.body.next_cursor).toBeNull();
    expect(response.body.data.map((p: { id: number }) => p.id)).toEqual([102, 104, 103, 101]);
    expect(response.body.data[3]).toEqual({
      id: 101,
      title: 'Blue Mug',
      handle: 'blue-mug',
      vendor: 'Acme',
      product_type: 'Mug',
      status: 'active',
      tags: ['kitchen', 'summer'],
      classification: 'A',
      featured_image_url: 'https://cdn.example.com/mug.jpg',
      // yesterday 100 − 10 − 5.25, plus 20 thirty days ago
      net_sales_30d: 104.75,
      units_sold_30d: 4,
      updated_at: '2026-03-01T10:00:00.123Z',
    });
    expect(response.body.data[0]).toMatchObject({
      id: 102,
      tags: ['summer'],
      classification: null,
      featured_image_url: null,
      net_sales_30d: 0,
      units_sold_30d: 0,
    });
  });

  it('matches q case-insensitively on title, handle or any variant SKU, with LIKE wildcards taken literally', async () => {
    const ids = async (q: string) =>
      (await api.get(`/api/products?q=${encodeURIComponent(q)}`)).body.data.map((p: { id: number }) => p.id);
    expect(await ids('BLUE m')).toEqual([101]);
    expect(await ids('crate')).toEqual([102]);
    expect(await ids('mug-blue-l')).toEqual([101]);
    expect(await ids('100%')).toEqual([103]);
    expect(await ids('%')).toEqual([103]);
    expect(await ids('poster_')).toEqual([104]);
    expect(await ids('_')).toEqual([104]);
    expect(await ids('lamp')).toEqual([]);
  });

  it('filters by status, vendor, product_type, tag and classification', async () => {
    const ids = async (query: string) =>
      (await api.get(`/api/products?${query}`)).body.data.map((p: { id: number }) => p.id);
    expect(await ids('status=draft')).toEqual([102]);
    expect(await ids('status=archived')).toEqual([103]);
    expect(await ids('vendor=Acme')).toEqual([101]);
    expect(await ids('product_type=Box')).toEqual([102]);
    expect(await ids('tag=summer')).toEqual([102, 101]);
    expect(await ids('tag=%20Kitchen%20')).toEqual([101]);
    expect(await ids('classification=B')).toEqual([104]);
    expect(await ids('classification=NEW')).toEqual([]);
  });

  it('pages through every sort with opaque cursors, each row exactly once', async () => {
    expect(await allPages('/api/products?sort=title', 2)).toEqual({ ids: [103, 102, 101, 104], pages: 2 });
    expect(await allPages('/api/products', 1)).toEqual({ ids: [102, 104, 103, 101], pages: 4 });
    // net sales 30d: 104 → 500, 101 → 104.75, 102 and 103 → 0 (ties by id, descending)
    expect(await allPages('/api/products?sort=-net_sales_30d', 3)).toEqual({ ids: [104, 101, 103, 102], pages: 2 });
  });

  it('refuses a cursor that is not one, or belongs to another sort, with 400', async () => {
    const first = await api.get('/api/products?sort=title&limit=1');
    const cursor = first.body.next_cursor as string;
    const crossed = await api.get(`/api/products?sort=-updated_at&cursor=${cursor}`);
    expect(crossed.status).toBe(400);
    expect(crossed.body.error.code).toBe('invalid_request');
    for (const bad of ['nope', 'e30', '!!!', Buffer.from('{"s":"title","k":1,"id":"x"}').toString('base64url')]) {
      const response = await api.get(`/api/products?cursor=${bad}`);
      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({ code: 'invalid_request', message: 'invalid cursor' });
    }
  });
});

describe('GET /api/products/:id', () => {
  it('returns the list item plus variants by id, assets by position, the classification object and 30-day metrics', async () => {
    const response = await api.get('/api/products/101');
    expect(response.status).toBe(200);
    const [classification] = await sql<{ computed_at: string }[]>`
      select to_char(computed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as computed_at
      from nominal_classification where material_artifact_id = 101`;
    expect(response.body).toEqual({
      id: 101,
      title: 'Blue Mug',
      handle: 'blue-mug',
      vendor: 'Acme',
      product_type: 'Mug',
      status: 'active',
      tags: ['kitchen', 'summer'],
      featured_image_url: 'https://cdn.example.com/mug.jpg',
      net_sales_30d: 104.75,
      units_sold_30d: 4,
      updated_at: '2026-03-01T10:00:00.123Z',
      created_at: '2026-01-01T00:00:00.000Z',
      published_at: null,
      variants: [
        { id: 9001, title: 'Default', sku: 'MUG-BLUE-S', price: 9.99, compare_at_price: null, inventory_quantity: 5 },
        { id: 9002, title: 'Default', sku: 'MUG-BLUE-L', price: 12.5, compare_at_price: null, inventory_quantity: 5 },
      ],
      assets: [
        {
          mapping_id: featuredMappingId,
          asset_id: featuredAssetId,
          kind: 'image',
          url: 'https://cdn.example.com/mug.jpg',
          alt_text: null,
          role: 'featured',
          position: 1,
          source: 'shopify',
        },
        expect.objectContaining({ mapping_id: galleryMappingId, role: 'gallery', position: 2, source: 'manual' }),
      ],
      classification: { value: 'A', is_manual: false, note: null, computed_at: classification?.computed_at },
      metrics_30d: {
        net_sales: 104.75,
        gross_sales: 120,
        discounts: 10,
        refunds: 5.25,
        units_sold: 4,
        units_refunded: 0,
        orders_count: 2,
      },
    });
  });

  it('is 404 with the envelope for a deleted or missing product', async () => {
    for (const id of [105, 999]) {
      const response = await api.get(`/api/products/${id}`);
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ error: { code: 'not_found', message: `product ${id} not found` } });
    }
  });

  it('is 400 for an id that is not a Shopify numeric id', async () => {
    for (const id of ['abc', '-1', '0', '1.5', '99999999999999999999']) {
      const response = await api.get(`/api/products/${id}`);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('invalid_request');
    }
  });
});
