/**
 * Every route of the dashboard API with how to make one valid call to it (arranging fresh rows
 * where the call consumes them), the least role that may make it and the status it answers. The
 * role matrix and the bad-input tests walk this table; a test checks it covers the OpenAPI
 * document, so a new route cannot slip past them.
 */

import type { Sql } from '#shared/db/types.ts';
import { type Role, seedAsset, seedMapping, seedProduct, seedProductTag } from './api.ts';

export interface ValidCall {
  path: string;
  body?: unknown;
}

export interface RouteCase {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** As the OpenAPI document writes it. */
  path: string;
  minimum: Role;
  success: 200 | 201 | 202 | 204;
  /** Query parameters the route reads (for the property test). */
  query?: string[];
  /** Makes a valid call; `n` is unique per call, for names that must not repeat. */
  valid(n: number): Promise<ValidCall>;
}

export interface RouteFixtures {
  productId: number;
  tagId: string;
  mappingId: string;
  syncRunId: string;
  parityRunId: string;
  viewerId: string;
}

let nextProductId = 880_000;

/** Rows the valid calls point at; writes that consume rows make their own. */
export async function seedRouteFixtures(sql: Sql, viewerId: string): Promise<RouteFixtures> {
  const productId = 870_001;
  await seedProduct(sql, { id: productId, title: 'Matrix product' });
  const tagId = await seedProductTag(sql, productId, 'matrix', 'shopify');
  const mappingId = await seedMapping(sql, { productId, assetId: await seedAsset(sql), role: 'gallery' });
  const [run] = await sql<{ id: string }[]>`
    insert into procedure_execution (procedure_kind, status, started_at, finished_at)
    values ('products', 'succeeded', now(), now()) returning procedure_execution_id as id`;
  const [parity] = await sql<{ id: string }[]>`
    insert into procedure_execution (procedure_kind, status, started_at, finished_at)
    values ('parity_check', 'succeeded', now(), now()) returning procedure_execution_id as id`;
  return { productId, tagId, mappingId, syncRunId: run?.id as string, parityRunId: parity?.id as string, viewerId };
}

export function routeCases(sql: Sql, f: RouteFixtures): RouteCase[] {
  const freshProduct = async () => {
    nextProductId += 1;
    await seedProduct(sql, { id: nextProductId });
    return nextProductId;
  };
  const page = ['limit', 'cursor'];
  const window = ['from', 'to'];
  return [
    {
      method: 'GET',
      path: '/api/products',
      minimum: 'viewer',
      success: 200,
      query: ['q', 'status', 'vendor', 'product_type', 'tag', 'classification', 'sort', ...page],
      valid: async () => ({ path: '/api/products?sort=title&limit=5' }),
    },
    {
      method: 'GET',
      path: '/api/products/{id}',
      minimum: 'viewer',
      success: 200,
      valid: async () => ({ path: `/api/products/${f.productId}` }),
    },
    {
      method: 'GET',
      path: '/api/dashboard/summary',
      minimum: 'viewer',
      success: 200,
      query: window,
      valid: async () => ({ path: '/api/dashboard/summary' }),
    },
    {
      method: 'GET',
      path: '/api/dashboard/timeseries',
      minimum: 'viewer',
      success: 200,
      query: [...window, 'granularity', 'product_id'],
      valid: async () => ({ path: '/api/dashboard/timeseries?granularity=week' }),
    },
    {
      method: 'GET',
      path: '/api/dashboard/top-products',
      minimum: 'viewer',
      success: 200,
      query: [...window, 'limit', 'metric'],
      valid: async () => ({ path: '/api/dashboard/top-products?metric=units_sold&limit=3' }),
    },
    {
      method: 'GET',
      path: '/api/classifications',
      minimum: 'viewer',
      success: 200,
      valid: async () => ({ path: '/api/classifications' }),
    },
    {
      method: 'PUT',
      path: '/api/products/{id}/classification',
      minimum: 'staff',
      success: 200,
      valid: async () => ({
        path: `/api/products/${f.productId}/classification`,
        body: { classification: 'B', note: 'n' },
      }),
    },
    {
      method: 'DELETE',
      path: '/api/products/{id}/classification',
      minimum: 'staff',
      success: 200,
      valid: async () => ({ path: `/api/products/${f.productId}/classification` }),
    },
    {
      method: 'POST',
      path: '/api/classifications/recompute',
      minimum: 'staff',
      success: 200,
      valid: async () => ({ path: '/api/classifications/recompute', body: { as_of: '2026-01-31' } }),
    },
    {
      method: 'GET',
      path: '/api/tags',
      minimum: 'viewer',
      success: 200,
      query: ['q', 'category'],
      valid: async () => ({ path: '/api/tags?q=mat' }),
    },
    {
      method: 'POST',
      path: '/api/tags',
      minimum: 'staff',
      success: 201,
      valid: async (n) => ({ path: '/api/tags', body: { name: `matrix tag ${n}`, color: '#123abc' } }),
    },
    {
      method: 'PATCH',
      path: '/api/tags/{id}',
      minimum: 'staff',
      success: 200,
      valid: async () => ({ path: `/api/tags/${f.tagId}`, body: { category: 'matrix' } }),
    },
    {
      method: 'DELETE',
      path: '/api/tags/{id}',
      minimum: 'staff',
      success: 204,
      valid: async (n) => {
        const [tag] = await sql<{ id: string }[]>`
          insert into tag_designation (tag_name) values (${`to delete ${n}`}) returning tag_designation_id as id`;
        return { path: `/api/tags/${tag?.id}` };
      },
    },
    {
      method: 'POST',
      path: '/api/products/{id}/tags',
      minimum: 'staff',
      success: 201,
      valid: async (n) => ({ path: `/api/products/${f.productId}/tags`, body: { name: `applied ${n}` } }),
    },
    {
      method: 'DELETE',
      path: '/api/products/{id}/tags/{tag_id}',
      minimum: 'staff',
      success: 204,
      valid: async (n) => {
        const tagId = await seedProductTag(sql, f.productId, `removable ${n}`, 'manual');
        return { path: `/api/products/${f.productId}/tags/${tagId}` };
      },
    },
    {
      method: 'GET',
      path: '/api/assets',
      minimum: 'viewer',
      success: 200,
      query: ['product_id', 'kind', ...page],
      valid: async () => ({ path: `/api/assets?product_id=${f.productId}` }),
    },
    {
      method: 'POST',
      path: '/api/assets',
      minimum: 'staff',
      success: 201,
      valid: async (n) => ({ path: '/api/assets', body: { kind: 'image', url: `https://cdn.example.com/m${n}.png` } }),
    },
    {
      method: 'POST',
      path: '/api/products/{id}/assets',
      minimum: 'staff',
      success: 201,
      valid: async () => ({
        path: `/api/products/${f.productId}/assets`,
        body: { asset_id: await seedAsset(sql), role: 'featured' },
      }),
    },
    {
      method: 'PATCH',
      path: '/api/asset-mappings/{id}',
      minimum: 'staff',
      success: 200,
      valid: async () => ({ path: `/api/asset-mappings/${f.mappingId}`, body: { position: 3 } }),
    },
    {
      method: 'DELETE',
      path: '/api/asset-mappings/{id}',
      minimum: 'staff',
      success: 204,
      valid: async () => {
        const productId = await freshProduct();
        const mappingId = await seedMapping(sql, { productId, assetId: await seedAsset(sql), source: 'manual' });
        return { path: `/api/asset-mappings/${mappingId}` };
      },
    },
    {
      method: 'GET',
      path: '/api/sync-runs',
      minimum: 'viewer',
      success: 200,
      query: ['kind', 'status', ...page],
      valid: async () => ({ path: '/api/sync-runs?kind=products' }),
    },
    {
      method: 'GET',
      path: '/api/sync-runs/{id}',
      minimum: 'viewer',
      success: 200,
      valid: async () => ({ path: `/api/sync-runs/${f.syncRunId}` }),
    },
    {
      method: 'POST',
      path: '/api/sync-runs',
      minimum: 'staff',
      success: 202,
      valid: async () => {
        // one run of a kind at a time: finish the previous call's run first
        await sql`
          update procedure_execution set status = 'succeeded', finished_at = now()
          where procedure_kind = 'marts' and status in ('queued', 'running', 'waiting')`;
        return { path: '/api/sync-runs', body: { kind: 'marts' } };
      },
    },
    {
      method: 'GET',
      path: '/api/me',
      minimum: 'viewer',
      success: 200,
      valid: async () => ({ path: '/api/me' }),
    },
    {
      method: 'GET',
      path: '/api/staff',
      minimum: 'admin',
      success: 200,
      valid: async () => ({ path: '/api/staff' }),
    },
    {
      method: 'PATCH',
      path: '/api/staff/{id}',
      minimum: 'admin',
      success: 200,
      valid: async (n) => ({ path: `/api/staff/${f.viewerId}`, body: { full_name: `Viewer ${n}` } }),
    },
    // The parity API (issue 6) shares the app, its Access middleware and role checks.
    {
      method: 'GET',
      path: '/api/parity-checks',
      minimum: 'viewer',
      success: 200,
      query: ['verdict', ...page],
      valid: async () => ({ path: '/api/parity-checks' }),
    },
    {
      method: 'GET',
      path: '/api/parity-checks/{id}',
      minimum: 'viewer',
      success: 200,
      valid: async () => ({ path: `/api/parity-checks/${f.parityRunId}` }),
    },
    {
      method: 'POST',
      path: '/api/parity-checks',
      minimum: 'staff',
      success: 202,
      valid: async () => {
        await sql`
          update procedure_execution set status = 'succeeded', finished_at = now()
          where procedure_kind = 'parity_check' and status in ('queued', 'running', 'waiting')`;
        return { path: '/api/parity-checks', body: {} };
      },
    },
    {
      method: 'GET',
      path: '/api/cutover-gate',
      minimum: 'viewer',
      success: 200,
      valid: async () => ({ path: '/api/cutover-gate' }),
    },
    // The detailed health report (issue 16): behind Access since the public /health says only ok / degraded / down.
    {
      method: 'GET',
      path: '/health/details',
      minimum: 'viewer',
      success: 200,
      valid: async () => ({ path: '/health/details' }),
    },
    // The audit trail (issue 16): read-only, admins.
    {
      method: 'GET',
      path: '/api/audit-events',
      minimum: 'admin',
      success: 200,
      query: ['person', 'target_kind', 'target_id', 'kind', ...page],
      valid: async () => ({ path: '/api/audit-events' }),
    },
  ];
}

/** Routes outside /api: no identity needed. */
export const PUBLIC_ROUTES = [
  { method: 'GET', path: '/health' },
  { method: 'GET', path: '/openapi.json' },
  { method: 'GET', path: '/docs' },
] as const;
