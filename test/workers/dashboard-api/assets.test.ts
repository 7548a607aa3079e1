/** Scenarios 11 and 12: assets and asset mappings, through workerd against Postgres. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '#shared/db/types.ts';
import { type Api, openApiWithStaff, type Role, seedAsset, seedMapping, seedProduct } from './support/api.ts';

let api: Api;
let sql: Sql;
let staffIds: Record<Role, string>;
const assets: string[] = [];
let shopifyFeaturedMapping: string;

beforeAll(async () => {
  ({ api, sql, staff: staffIds } = await openApiWithStaff());
  await seedProduct(sql, { id: 301 });
  await seedProduct(sql, { id: 302 });
  await seedProduct(sql, { id: 303, deleted: true });
  for (let i = 0; i < 5; i += 1) {
    assets.push(
      await seedAsset(sql, {
        url: `https://cdn.example.com/${i}.jpg`,
        kind: i === 4 ? 'video' : 'image',
        shopifyImageId: i === 0 ? 7001 : undefined,
        createdAt: `2026-02-0${i + 1}T00:00:00Z`,
      }),
    );
  }
  shopifyFeaturedMapping = await seedMapping(sql, {
    productId: 301,
    assetId: assets[0] as string,
    role: 'featured',
    position: 1,
  });
  await seedMapping(sql, { productId: 302, assetId: assets[0] as string, role: 'featured', position: 1 });
  await seedMapping(sql, { productId: 301, assetId: assets[1] as string, role: 'gallery', position: 2 });
});

afterAll(async () => {
  await sql.end({ timeout: 5 });
});

const post = (path: string, body: unknown) => api.request('POST', path, { as: 'staff', body });
const patch = (path: string, body: unknown) => api.request('PATCH', path, { as: 'staff', body });
const del = (path: string) => api.request('DELETE', path, { as: 'staff' });

async function mappingsOf(productId: number) {
  return sql<{ asset_id: string; role: string; position: number; source: string }[]>`
    select media_content_entity_id as asset_id, role_name as role, display_position as position, source_system as source
    from denotation_relation where material_artifact_id = ${productId}
    order by display_position, denotation_relation_id`;
}

describe('GET /api/assets', () => {
  it('lists assets newest first with how many products map each', async () => {
    const response = await api.get('/api/assets');
    expect(response.status).toBe(200);
    expect(response.body.next_cursor).toBeNull();
    expect(response.body.data.map((a: { id: string }) => a.id)).toEqual([...assets].reverse());
    expect(response.body.data[4]).toEqual({
      id: assets[0],
      kind: 'image',
      url: 'https://cdn.example.com/0.jpg',
      alt_text: null,
      shopify_image_id: 7001,
      created_at: '2026-02-01T00:00:00.000Z',
      products: 2,
    });
    expect(response.body.data[0]).toMatchObject({ id: assets[4], kind: 'video', shopify_image_id: null, products: 0 });
  });

  it('filters by product and by kind, and pages with a cursor', async () => {
    const forProduct = await api.get('/api/assets?product_id=301');
    expect(forProduct.body.data.map((a: { id: string }) => a.id)).toEqual([assets[1], assets[0]]);
    const videos = await api.get('/api/assets?kind=video');
    expect(videos.body.data.map((a: { id: string }) => a.id)).toEqual([assets[4]]);

    const first = await api.get('/api/assets?limit=3');
    expect(first.body.data).toHaveLength(3);
    const second = await api.get(`/api/assets?limit=3&cursor=${first.body.next_cursor}`);
    expect(second.body.next_cursor).toBeNull();
    expect([...first.body.data, ...second.body.data].map((a: { id: string }) => a.id)).toEqual([...assets].reverse());
  });
});

describe('POST /api/assets', () => {
  it('registers a manual asset', async () => {
    const response = await post('/api/assets', {
      kind: 'ad_creative',
      url: 'https://ads.example.com/a.png',
      alt_text: 'Ad',
    });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.any(String),
      kind: 'ad_creative',
      url: 'https://ads.example.com/a.png',
      alt_text: 'Ad',
      shopify_image_id: null,
      created_at: expect.stringMatching(/Z$/),
      products: 0,
    });
    assets.push(response.body.id);
  });

  it('is 400 for a URL that is not https, an unknown kind, or extra fields', async () => {
    for (const body of [
      { kind: 'image', url: 'http://cdn.example.com/a.jpg' },
      { kind: 'image', url: 'javascript:alert(1)' },
      { kind: 'image', url: 'not a url' },
      { kind: 'gif', url: 'https://cdn.example.com/a.gif' },
      { kind: 'image', url: 'https://cdn.example.com/a.jpg', shopify_image_id: 1 },
    ]) {
      const response = await post('/api/assets', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.code).toBe('invalid_request');
    }
  });
});

describe('POST /api/products/:id/assets', () => {
  it('maps an asset to a product as a manual gallery image by default, recording who did it', async () => {
    const response = await post('/api/products/302/assets', { asset_id: assets[2] });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      mapping_id: expect.any(String),
      asset_id: assets[2],
      product_id: 302,
      role: 'gallery',
      position: 0,
      source: 'manual',
      created_at: expect.stringMatching(/Z$/),
    });
    const [row] = await sql`
      select created_by_person_id from denotation_relation where denotation_relation_id = ${response.body.mapping_id}`;
    expect(row?.created_by_person_id).toBe(staffIds.staff);
  });

  it('moves the old featured mapping to gallery when a new one is featured', async () => {
    const response = await post('/api/products/301/assets', { asset_id: assets[3], role: 'featured', position: 0 });
    expect(response.status).toBe(201);
    expect(await mappingsOf(301)).toEqual([
      { asset_id: assets[3], role: 'featured', position: 0, source: 'manual' },
      { asset_id: assets[0], role: 'gallery', position: 1, source: 'shopify' },
      { asset_id: assets[1], role: 'gallery', position: 2, source: 'shopify' },
    ]);
    expect((await api.get('/api/products/301')).body.featured_image_url).toBe('https://cdn.example.com/3.jpg');
    // the other product keeps its own featured mapping
    expect((await mappingsOf(302)).filter((m) => m.role === 'featured')).toHaveLength(1);
  });

  it('keeps one featured mapping per product when two are featured at the same time', async () => {
    const [a, b] = await Promise.all([
      post('/api/assets', { kind: 'image', url: 'https://cdn.example.com/race-a.jpg' }),
      post('/api/assets', { kind: 'image', url: 'https://cdn.example.com/race-b.jpg' }),
    ]);
    const results = await Promise.all([
      post('/api/products/302/assets', { asset_id: a?.body.id, role: 'featured' }),
      post('/api/products/302/assets', { asset_id: b?.body.id, role: 'featured' }),
    ]);
    expect(results.map((r) => r.status)).toEqual([201, 201]);
    expect((await mappingsOf(302)).filter((m) => m.role === 'featured')).toHaveLength(1);
  });

  it('is 409 for an asset already mapped to the product, 404 for an unknown asset or a deleted product', async () => {
    const duplicate = await post('/api/products/301/assets', { asset_id: assets[1] });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error.code).toBe('conflict');
    expect((await post('/api/products/301/assets', { asset_id: '00000000-0000-4000-8000-000000000000' })).status).toBe(
      404,
    );
    expect((await post('/api/products/303/assets', { asset_id: assets[2] })).status).toBe(404);
  });

  it('is 400 for an unknown role or a negative position', async () => {
    expect((await post('/api/products/301/assets', { asset_id: assets[2], role: 'hero' })).status).toBe(400);
    expect((await post('/api/products/301/assets', { asset_id: assets[2], position: -1 })).status).toBe(400);
    expect((await post('/api/products/301/assets', { asset_id: assets[2], position: 1.5 })).status).toBe(400);
  });
});

describe('PATCH and DELETE /api/asset-mappings/:id', () => {
  it('changes role and position; featuring one demotes the current featured mapping', async () => {
    const response = await patch(`/api/asset-mappings/${shopifyFeaturedMapping}`, { role: 'featured', position: 5 });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      mapping_id: shopifyFeaturedMapping,
      asset_id: assets[0],
      product_id: 301,
      role: 'featured',
      position: 5,
      source: 'shopify',
    });
    const featured = (await mappingsOf(301)).filter((m) => m.role === 'featured');
    expect(featured).toEqual([{ asset_id: assets[0], role: 'featured', position: 5, source: 'shopify' }]);
    expect((await patch('/api/asset-mappings/00000000-0000-4000-8000-000000000000', { position: 1 })).status).toBe(404);
  });

  it('deletes a manual mapping, and refuses a Shopify one with 409', async () => {
    const created = await post('/api/products/301/assets', { asset_id: assets[2], role: 'lifestyle' });
    expect((await del(`/api/asset-mappings/${created.body.mapping_id}`)).status).toBe(204);
    expect((await del(`/api/asset-mappings/${created.body.mapping_id}`)).status).toBe(404);
    const refused = await del(`/api/asset-mappings/${shopifyFeaturedMapping}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('comes from Shopify');
  });
});
