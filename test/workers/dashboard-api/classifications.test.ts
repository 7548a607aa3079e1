/**
 * Scenarios 6, 7 and 8: the classification distribution, staff overrides and the recompute, on a
 * generated store loaded into both systems; the answers equal what the legacy tables and
 * classify_products give on the same data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '#shared/db/types.ts';
import {
  legacyClassificationDistribution,
  legacyClassificationRows,
  newClassificationRows,
  setManualClassification,
} from '../../support/marts-oracle.ts';
import { type Api, openApiWithStaff, openTestSql } from './support/api.ts';
import { type LoadedStore, loadStoreOnBothSides } from './support/store.ts';

let api: Api;
let sql: Sql;
let legacy: Sql;
let loaded: LoadedStore;

beforeAll(async () => {
  ({ api, sql } = await openApiWithStaff());
  legacy = openTestSql('legacy');
  loaded = await loadStoreOnBothSides(sql, legacy, {
    seed: 42,
    products: 40,
    orders: 400,
    timezone: 'Europe/Berlin',
    days: 120,
  });
});

afterAll(async () => {
  await sql.end({ timeout: 5 });
  await legacy.end({ timeout: 5 });
});

async function latestComputedAt(): Promise<string | null> {
  const [row] = await sql<{ at: string | null }[]>`
    select to_char(max(nc.computed_at) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at
    from nominal_classification nc
    join material_artifact p on p.material_artifact_id = nc.material_artifact_id and p.deleted_at is null`;
  return row?.at ?? null;
}

async function liveProductIds(): Promise<number[]> {
  const rows = await legacy<{ id: string }[]>`select id::text from products where deleted_at is null order by id`;
  return rows.map((r) => Number(r.id));
}

async function legacyClassificationOf(productId: number): Promise<string | undefined> {
  const [row] = await legacy<{ classification: string }[]>`
    select classification from product_classifications where product_id = ${String(productId)}::bigint`;
  return row?.classification;
}

describe('GET /api/classifications', () => {
  it('counts non-deleted products per class in the legacy order, zeros included, as the legacy tables', async () => {
    const response = await api.get('/api/classifications');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      data: await legacyClassificationDistribution(legacy),
      computed_at: await latestComputedAt(),
    });
    expect(response.body.data.map((d: { classification: string }) => d.classification)).toEqual([
      'A',
      'B',
      'C',
      'NEW',
      'DORMANT',
    ]);
    const total = response.body.data.reduce((sum: number, d: { products: number }) => sum + d.products, 0);
    expect(total).toBe((await liveProductIds()).length);
    expect(loaded.store.legacy.deletedProductIds.length).toBeGreaterThan(0);
  });
});

describe('PUT /api/products/:id/classification', () => {
  it('sets a manual classification that the detail, the distribution and every recompute keep', async () => {
    const [productId] = await liveProductIds();
    const response = await api.request('PUT', `/api/products/${productId}/classification`, {
      as: 'staff',
      body: { classification: 'DORMANT', note: 'discontinued by the supplier' },
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      value: 'DORMANT',
      is_manual: true,
      note: 'discontinued by the supplier',
      computed_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    });
    expect((await api.get(`/api/products/${productId}`)).body.classification).toEqual(response.body);

    await setManualClassification(legacy, sql, productId as number, 'DORMANT', 'discontinued by the supplier');
    expect((await api.get('/api/classifications')).body.data).toEqual(await legacyClassificationDistribution(legacy));

    const recompute = await api.request('POST', '/api/classifications/recompute', {
      as: 'staff',
      body: { as_of: loaded.classifiedAsOf },
    });
    expect(recompute.status).toBe(200);
    expect((await api.get(`/api/products/${productId}`)).body.classification).toMatchObject({
      value: 'DORMANT',
      is_manual: true,
    });
  });

  it('is 404 for a deleted or missing product and 400 for an unknown class or a long note', async () => {
    const deleted = loaded.store.legacy.deletedProductIds[0];
    const put = (id: number | string, body: unknown) =>
      api.request('PUT', `/api/products/${id}/classification`, { as: 'staff', body });
    expect((await put(deleted as number, { classification: 'A' })).status).toBe(404);
    expect((await put(1, { classification: 'A' })).status).toBe(404);
    const [productId] = await liveProductIds();
    expect((await put(productId as number, { classification: 'D' })).status).toBe(400);
    expect((await put(productId as number, { classification: 'A', note: 'x'.repeat(501) })).status).toBe(400);
    expect((await put(productId as number, { classification: 'A', note: 'x'.repeat(500) })).status).toBe(200);
    await put(productId as number, { classification: 'DORMANT', note: 'discontinued by the supplier' });
  });
});

describe('DELETE /api/products/:id/classification', () => {
  it('removes the override and recomputes the product as the nightly classify_products would', async () => {
    const ids = await liveProductIds();
    const productId = ids[1] as number;
    await api.request('PUT', `/api/products/${productId}/classification`, {
      as: 'staff',
      body: { classification: 'A', note: 'hero product' },
    });
    const response = await api.request('DELETE', `/api/products/${productId}/classification`, { as: 'staff' });
    expect(response.status).toBe(200);

    // The legacy nightly job, today (the API's default as_of), without an override on this product.
    await legacy`select classify_products()`;
    expect(response.body).toEqual({
      value: await legacyClassificationOf(productId),
      is_manual: false,
      note: null,
      computed_at: expect.stringMatching(/Z$/),
    });
    const [row] =
      await sql`select is_manual, note_text from nominal_classification where material_artifact_id = ${productId}`;
    expect(row).toEqual({ is_manual: false, note_text: null });
  });

  it('is 404 for a deleted product', async () => {
    const deleted = loaded.store.legacy.deletedProductIds[0];
    expect((await api.request('DELETE', `/api/products/${deleted}/classification`, { as: 'staff' })).status).toBe(404);
  });
});

describe('POST /api/classifications/recompute', () => {
  it('answers {updated: n} as classify_products(as_of) and leaves the same classifications as the legacy', async () => {
    for (const asOf of [loaded.classifiedAsOf, loaded.store.period.firstDate]) {
      const response = await api.request('POST', '/api/classifications/recompute', {
        as: 'staff',
        body: { as_of: asOf },
      });
      expect(response.status).toBe(200);
      const [expected] = await legacy<{ updated: number }[]>`select classify_products(${asOf}::text::date) as updated`;
      expect(response.body).toEqual({ updated: expected?.updated });
      expect(await newClassificationRows(sql)).toEqual(await legacyClassificationRows(legacy));
    }
  });

  it('takes no body at all (as_of defaults to today in the shop timezone)', async () => {
    const response = await api.request('POST', '/api/classifications/recompute', { as: 'staff' });
    expect(response.status).toBe(200);
    const [expected] = await legacy<{ updated: number }[]>`select classify_products() as updated`;
    expect(response.body).toEqual({ updated: expected?.updated });
    expect(await newClassificationRows(sql)).toEqual(await legacyClassificationRows(legacy));
  });

  it('is 400 for a bad date or extra fields, 403 for viewers', async () => {
    const post = (body: unknown, as: 'staff' | 'viewer' = 'staff') =>
      api.request('POST', '/api/classifications/recompute', { as, body });
    expect((await post({ as_of: 'yesterday' })).status).toBe(400);
    expect((await post({ as_of: '2026-13-01' })).status).toBe(400);
    expect((await post({ asOf: '2026-01-01' })).status).toBe(400);
    expect((await post({}, 'viewer')).status).toBe(403);
  });
});
