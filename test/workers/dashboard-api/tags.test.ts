/** Scenarios 9 and 10: the tag vocabulary and product tags, through workerd against Postgres. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '#shared/db/types.ts';
import { type Api, openApiWithStaff, type Role, seedProduct, seedProductTag } from './support/api.ts';

let api: Api;
let sql: Sql;
let staffIds: Record<Role, string>;
let shopifyTagId: string;

beforeAll(async () => {
  ({ api, sql, staff: staffIds } = await openApiWithStaff());
  await seedProduct(sql, { id: 201 });
  await seedProduct(sql, { id: 202 });
  await seedProduct(sql, { id: 203, deleted: true });
  shopifyTagId = await seedProductTag(sql, 201, 'summer', 'shopify');
  await seedProductTag(sql, 202, 'summer', 'shopify');
  await seedProductTag(sql, 202, 'clearance', 'manual');
  await sql`update tag_designation set category_name = 'season', color_code = '#ffaa00' where tag_name = 'summer'`;
});

afterAll(async () => {
  await sql.end({ timeout: 5 });
});

const post = (path: string, body: unknown, as: Role = 'staff') => api.request('POST', path, { as, body });
const patch = (path: string, body: unknown) => api.request('PATCH', path, { as: 'staff', body });
const del = (path: string) => api.request('DELETE', path, { as: 'staff' });

describe('GET /api/tags', () => {
  it('lists every tag by name with how many products carry it', async () => {
    const response = await api.get('/api/tags');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      data: [
        { id: expect.any(String), name: 'clearance', category: null, color: null, products: 1 },
        { id: shopifyTagId, name: 'summer', category: 'season', color: '#ffaa00', products: 2 },
      ],
    });
  });

  it('filters by a case-insensitive substring of the name and by category', async () => {
    const names = async (query: string) =>
      (await api.get(`/api/tags?${query}`)).body.data.map((t: { name: string }) => t.name);
    expect(await names('q=UMM')).toEqual(['summer']);
    expect(await names('q=%25')).toEqual([]);
    expect(await names('category=season')).toEqual(['summer']);
    expect(await names('category=none')).toEqual([]);
  });
});

describe('POST /api/tags', () => {
  it('creates a tag with its name trimmed and lower-cased', async () => {
    const response = await post('/api/tags', { name: '  Gift IDEAS ', category: 'theme', color: '#00FF7f' });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.any(String),
      name: 'gift ideas',
      category: 'theme',
      color: '#00FF7f',
      products: 0,
    });
    const [row] = await sql`select tag_name from tag_designation where tag_designation_id = ${response.body.id}`;
    expect(row?.tag_name).toBe('gift ideas');
  });

  it('is 409 for a name that exists once normalised', async () => {
    const response = await post('/api/tags', { name: 'SUMMER ' });
    expect(response.status).toBe(409);
    expect(response.body).toEqual({ error: { code: 'conflict', message: 'tag "summer" already exists' } });
  });

  it('is 400 for a blank name, a color that is not #rrggbb, unknown fields and viewers get 403', async () => {
    for (const body of [
      { name: '   ' },
      { name: 'x', color: 'red' },
      { name: 'x', color: '#12345' },
      { name: 'x', extra: true },
      {},
      { name: 42 },
    ]) {
      const response = await post('/api/tags', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.code).toBe('invalid_request');
      expect(response.body.error.details.length).toBeGreaterThan(0);
    }
    expect((await post('/api/tags', { name: 'viewer-made' }, 'viewer')).status).toBe(403);
  });
});

describe('PATCH /api/tags/:id', () => {
  it('renames (normalised), recolors and clears the category', async () => {
    const created = await post('/api/tags', { name: 'old name', category: 'c', color: '#000000' });
    const response = await patch(`/api/tags/${created.body.id}`, {
      name: ' New Name',
      category: null,
      color: '#ffffff',
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id: created.body.id,
      name: 'new name',
      category: null,
      color: '#ffffff',
      products: 0,
    });
    const unchanged = await patch(`/api/tags/${created.body.id}`, {});
    expect(unchanged.body).toEqual(response.body);
  });

  it('is 409 when renamed onto another tag, 404 for an unknown tag', async () => {
    const created = await post('/api/tags', { name: 'to rename' });
    expect((await patch(`/api/tags/${created.body.id}`, { name: 'Summer' })).status).toBe(409);
    const missing = await patch('/api/tags/00000000-0000-4000-8000-000000000000', { name: 'x' });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
  });
});

describe('DELETE /api/tags/:id', () => {
  it('deletes a tag and its product tags', async () => {
    const tagId = await seedProductTag(sql, 201, 'doomed', 'manual');
    expect((await del(`/api/tags/${tagId}`)).status).toBe(204);
    const [left] = await sql<{ count: string }[]>`
      select count(*) from tag_content_entity where tag_designation_id = ${tagId}`;
    expect(left?.count).toBe('0');
    expect((await del(`/api/tags/${tagId}`)).status).toBe(404);
  });

  it('is 409 while Shopify applies the tag to a product, and keeps everything', async () => {
    const response = await del(`/api/tags/${shopifyTagId}`);
    expect(response.status).toBe(409);
    expect(response.body.error.message).toContain('applied by Shopify to 2 product(s)');
    const [left] = await sql<{ count: string }[]>`
      select count(*) from tag_content_entity where tag_designation_id = ${shopifyTagId}`;
    expect(left?.count).toBe('2');
  });
});

describe('POST /api/products/:id/tags', () => {
  it('tags a product by a new name (creating the tag) and records who did it', async () => {
    const response = await post('/api/products/201/tags', { name: ' Back To School ' });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.any(String),
      product_id: 201,
      tag_id: expect.any(String),
      name: 'back to school',
      source: 'manual',
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    });
    const [row] = await sql`
      select source_system, created_by_person_id from tag_content_entity
      where tag_content_entity_id = ${response.body.id}`;
    expect(row).toEqual({ source_system: 'manual', created_by_person_id: staffIds.staff });
    const product = await api.get('/api/products/201');
    expect(product.body.tags).toEqual(['back to school', 'summer']);
  });

  it('tags a product by tag id, or by the name of an existing tag', async () => {
    const byId = await post('/api/products/201/tags', { tag_id: (await post('/api/tags', { name: 'by id' })).body.id });
    expect(byId.status).toBe(201);
    expect(byId.body.name).toBe('by id');
    const byName = await post('/api/products/201/tags', { name: 'CLEARANCE' });
    expect(byName.status).toBe(201);
    expect(byName.body.name).toBe('clearance');
  });

  it('is 409 when the product already has the tag, whatever its source', async () => {
    expect((await post('/api/products/201/tags', { name: 'summer' })).status).toBe(409);
    expect((await post('/api/products/201/tags', { tag_id: shopifyTagId })).status).toBe(409);
  });

  it('is 404 for a missing or deleted product or an unknown tag id, creating nothing', async () => {
    const before = await sql`select count(*) from tag_designation`;
    expect((await post('/api/products/999/tags', { name: 'orphan' })).status).toBe(404);
    expect((await post('/api/products/203/tags', { name: 'orphan' })).status).toBe(404);
    expect((await post('/api/products/201/tags', { tag_id: '00000000-0000-4000-8000-000000000000' })).status).toBe(404);
    expect(await sql`select count(*) from tag_designation`).toEqual(before);
  });

  it('is 400 for both or neither of tag_id and name', async () => {
    expect((await post('/api/products/201/tags', { tag_id: shopifyTagId, name: 'x' })).status).toBe(400);
    expect((await post('/api/products/201/tags', {})).status).toBe(400);
  });
});

describe('DELETE /api/products/:id/tags/:tag_id', () => {
  it('removes a manual tag from a product', async () => {
    const tagId = (await post('/api/products/202/tags', { name: 'temporary' })).body.tag_id;
    expect((await del(`/api/products/202/tags/${tagId}`)).status).toBe(204);
    expect((await api.get('/api/products/202')).body.tags).toEqual(['clearance', 'summer']);
    expect((await del(`/api/products/202/tags/${tagId}`)).status).toBe(404);
  });

  it('is 409 for a tag that comes from Shopify (edit it in Shopify)', async () => {
    const response = await del(`/api/products/202/tags/${shopifyTagId}`);
    expect(response.status).toBe(409);
    expect(response.body.error.message).toContain('edit it in Shopify');
    expect((await api.get('/api/products/202')).body.tags).toContain('summer');
  });
});

describe('text Postgres stores as U+FFFD', () => {
  it('a tag named with half a surrogate pair is created, applied and audited (its audit row was a 500)', async () => {
    const created = await post('/api/tags', { name: 'half \ud800 pair' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const applied = await post('/api/products/202/tags', { name: 'other \udc00 half' });
    expect(applied.status, JSON.stringify(applied.body)).toBe(201);
    const audited = await sql<{ name: string }[]>`
      select after_state ->> 'name' as name from staff_action
      where action_kind in ('tag.create', 'product_tag.add') and after_state ->> 'name' like '%half%'
      order by performed_at`;
    expect(audited.map((row) => row.name)).toEqual(['half \ufffd pair', 'other \ufffd half']);
    const stored = await sql`select tag_name from tag_designation where tag_name like '%half%' order by tag_name`;
    expect(stored.map((row) => row.tag_name)).toEqual(['half \ufffd pair', 'other \ufffd half']);
  });
});
