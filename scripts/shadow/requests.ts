/**
 * The request set of the shadow comparison: every one of the 14 scenarios of the legacy API
 * (shared/spec/api.md), each with the parameters, pages and error cases the frontend uses. GET
 * only by default; `--include-writes` adds write sequences that clean up after themselves.
 *
 * Steps run in order against each side. Ids a later step needs (a product, a tag, a sync run)
 * are discovered from the legacy side's answers and used on both, so both answer the same
 * question; ids a write creates are each side's own (they are generated per system).
 */
import type { Json } from './diff.ts';

export const SCENARIOS = [
  'products',
  'product-detail',
  'dashboard-summary',
  'timeseries',
  'top-products',
  'classifications',
  'classification-override',
  'recompute',
  'tags',
  'product-tags',
  'assets',
  'asset-mappings',
  'sync-runs',
  'staff',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: Json;
}

/** What a side remembers between steps (discovered or created ids). */
export type SideMemory = Record<string, Json | undefined>;

export interface StepContext {
  /** This side's memory. */
  own: SideMemory;
  /** The legacy side's memory: discovered ids both sides ask about. */
  legacy: SideMemory;
  /** Unique per run, for names of things the writes create. */
  runId: string;
}

export interface Step {
  scenario: Scenario;
  /** A short description for the report. */
  name: string;
  write?: boolean;
  /** null: skip (what it needs was not discovered). */
  request(context: StepContext): RequestSpec | null;
  /** Stores what later steps need from this side's answer. */
  remember?(memory: SideMemory, status: number, body: Json): void;
}

const get = (path: string): RequestSpec => ({ method: 'GET', path });
const obj = (value: Json): Record<string, Json> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};
const list = (value: Json): Json[] => {
  const data = obj(value).data;
  return Array.isArray(data) ? data : [];
};
const str = (value: Json | undefined): string | undefined =>
  typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
const enc = encodeURIComponent;
/** The first product the legacy side listed: the one both sides are asked about. */
const firstProduct = (legacy: SideMemory) => (Array.isArray(legacy.productIds) ? str(legacy.productIds[0]) : undefined);

/** A shop-local date `days` from today (UTC), for explicit windows. */
function day(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

const GET_STEPS: Step[] = [
  // 1. products
  {
    scenario: 'products',
    name: 'first page (defaults)',
    request: () => get('/api/products'),
    remember: (m, _s, body) => {
      const items = list(body).map(obj);
      m.productIds = items.slice(0, 3).map((p) => p.id as Json);
      m.firstTitle = items[0]?.title;
      m.firstTag = items.flatMap((p) => (Array.isArray(p.tags) ? p.tags : []))[0];
      m.productsCursor = obj(body).next_cursor;
    },
  },
  {
    scenario: 'products',
    name: 'second page (each side follows its own cursor)',
    request: ({ own }) =>
      str(own.productsCursor) ? get(`/api/products?cursor=${enc(str(own.productsCursor) ?? '')}`) : null,
  },
  { scenario: 'products', name: 'by title', request: () => get('/api/products?sort=title&limit=20') },
  {
    scenario: 'products',
    name: 'by 30-day net sales',
    request: () => get('/api/products?sort=-net_sales_30d&limit=20'),
  },
  { scenario: 'products', name: 'active only', request: () => get('/api/products?status=active&limit=20') },
  { scenario: 'products', name: 'classification A', request: () => get('/api/products?classification=A&limit=20') },
  {
    scenario: 'products',
    name: 'search',
    request: ({ legacy }) => {
      const title = str(legacy.firstTitle);
      return title ? get(`/api/products?q=${enc(title.slice(0, 4).toUpperCase())}&limit=20`) : null;
    },
  },
  {
    scenario: 'products',
    name: 'by tag',
    request: ({ legacy }) =>
      str(legacy.firstTag) ? get(`/api/products?tag=${enc(str(legacy.firstTag) ?? '')}`) : null,
  },
  { scenario: 'products', name: 'invalid cursor (400)', request: () => get('/api/products?cursor=not-a-cursor') },
  { scenario: 'products', name: 'limit out of range (400)', request: () => get('/api/products?limit=0') },
  // 2. product detail
  ...[0, 1, 2].map(
    (i): Step => ({
      scenario: 'product-detail',
      name: `product #${i + 1} of the first page`,
      request: ({ legacy }) => {
        const id = Array.isArray(legacy.productIds) ? str(legacy.productIds[i]) : undefined;
        return id ? get(`/api/products/${id}`) : null;
      },
    }),
  ),
  { scenario: 'product-detail', name: 'unknown product (404)', request: () => get('/api/products/1') },
  // 3. summary
  { scenario: 'dashboard-summary', name: 'default window', request: () => get('/api/dashboard/summary') },
  {
    scenario: 'dashboard-summary',
    name: 'last 7 days',
    request: () => get(`/api/dashboard/summary?from=${day(-7)}&to=${day(-1)}`),
  },
  {
    scenario: 'dashboard-summary',
    name: 'from after to (400)',
    request: () => get(`/api/dashboard/summary?from=${day(-1)}&to=${day(-7)}`),
  },
  // 4. timeseries
  ...(['day', 'week', 'month'] as const).map(
    (granularity): Step => ({
      scenario: 'timeseries',
      name: `by ${granularity}`,
      request: () => get(`/api/dashboard/timeseries?granularity=${granularity}&from=${day(-90)}&to=${day(-1)}`),
    }),
  ),
  {
    scenario: 'timeseries',
    name: 'one product',
    request: ({ legacy }) => {
      const id = firstProduct(legacy);
      return id ? get(`/api/dashboard/timeseries?product_id=${id}`) : null;
    },
  },
  // 5. top products
  { scenario: 'top-products', name: 'default (100 by net sales)', request: () => get('/api/dashboard/top-products') },
  {
    scenario: 'top-products',
    name: '10 by units sold over 90 days',
    request: () => get(`/api/dashboard/top-products?limit=10&metric=units_sold&from=${day(-90)}&to=${day(-1)}`),
  },
  // 6. classifications
  { scenario: 'classifications', name: 'distribution', request: () => get('/api/classifications') },
  // 9. tags
  {
    scenario: 'tags',
    name: 'all tags',
    request: () => get('/api/tags'),
    remember: (m, _s, body) => {
      m.tagName = obj(list(body)[0] ?? null).name;
    },
  },
  {
    scenario: 'tags',
    name: 'search',
    request: ({ legacy }) =>
      str(legacy.tagName) ? get(`/api/tags?q=${enc(str(legacy.tagName)?.slice(0, 3) ?? '')}`) : null,
  },
  // 11. assets
  {
    scenario: 'assets',
    name: 'first page',
    request: () => get('/api/assets?limit=20'),
    remember: (m, _s, body) => {
      m.assetsCursor = obj(body).next_cursor;
    },
  },
  {
    scenario: 'assets',
    name: 'second page (each side follows its own cursor)',
    request: ({ own }) =>
      str(own.assetsCursor) ? get(`/api/assets?limit=20&cursor=${enc(str(own.assetsCursor) ?? '')}`) : null,
  },
  {
    scenario: 'assets',
    name: "a product's assets",
    request: ({ legacy }) => {
      const id = firstProduct(legacy);
      return id ? get(`/api/assets?product_id=${id}`) : null;
    },
  },
  { scenario: 'assets', name: 'images', request: () => get('/api/assets?kind=image&limit=20') },
  // 13. sync runs
  {
    scenario: 'sync-runs',
    name: 'latest',
    request: () => get('/api/sync-runs?limit=10'),
    remember: (m, _s, body) => {
      m.syncRunId = obj(list(body)[0] ?? null).id;
    },
  },
  {
    scenario: 'sync-runs',
    name: 'succeeded full syncs',
    request: () => get('/api/sync-runs?kind=full&status=succeeded'),
  },
  {
    scenario: 'sync-runs',
    name: 'one run',
    request: ({ legacy }) => (str(legacy.syncRunId) ? get(`/api/sync-runs/${str(legacy.syncRunId)}`) : null),
  },
  // 14. staff
  { scenario: 'staff', name: 'me', request: () => get('/api/me') },
  { scenario: 'staff', name: 'staff list (admin)', request: () => get('/api/staff') },
];

/** Tags the first product with this side's new tag (sent twice: the second is the 409). */
function tagTheProduct({ own, legacy }: StepContext): RequestSpec | null {
  return firstProduct(legacy) && str(own.tagId)
    ? { method: 'POST', path: `/api/products/${firstProduct(legacy)}/tags`, body: { tag_id: str(own.tagId) ?? '' } }
    : null;
}

/**
 * Writes, each sequence undone at its end (the tag, the product tag, the override, the mapping).
 * Left behind on each side: one manual asset (the API has no route to delete one). Never sent:
 * POST /api/sync-runs (starts real Shopify syncs) and PATCH /api/staff (changes who may do what).
 */
const WRITE_STEPS: Step[] = [
  // 9. tags
  {
    scenario: 'tags',
    name: 'create a tag',
    write: true,
    request: ({ runId }) => ({
      method: 'POST',
      path: '/api/tags',
      body: { name: `  Shadow ${runId} `, category: 'shadow', color: '#12aB34' },
    }),
    remember: (m, _s, body) => {
      m.tagId = obj(body).id;
    },
  },
  {
    scenario: 'tags',
    name: 'create it again (409)',
    write: true,
    request: ({ runId }) => ({ method: 'POST', path: '/api/tags', body: { name: `shadow ${runId}` } }),
  },
  {
    scenario: 'tags',
    name: 'rename and recolour it',
    write: true,
    request: ({ own, runId }) =>
      str(own.tagId)
        ? {
            method: 'PATCH',
            path: `/api/tags/${str(own.tagId)}`,
            body: { name: `shadow ${runId} b`, color: '#654321' },
          }
        : null,
  },
  // 10. product tags
  {
    scenario: 'product-tags',
    name: 'tag a product',
    write: true,
    request: tagTheProduct,
  },
  {
    scenario: 'product-tags',
    name: 'tag it again (409)',
    write: true,
    request: tagTheProduct,
  },
  {
    scenario: 'product-tags',
    name: 'untag it',
    write: true,
    request: ({ own, legacy }) =>
      firstProduct(legacy) && str(own.tagId)
        ? { method: 'DELETE', path: `/api/products/${firstProduct(legacy)}/tags/${str(own.tagId)}` }
        : null,
  },
  {
    scenario: 'tags',
    name: 'delete the tag',
    write: true,
    request: ({ own }) => (str(own.tagId) ? { method: 'DELETE', path: `/api/tags/${str(own.tagId)}` } : null),
  },
  // 7. classification override
  {
    scenario: 'classification-override',
    name: 'override a product',
    write: true,
    request: ({ legacy }) =>
      firstProduct(legacy)
        ? {
            method: 'PUT',
            path: `/api/products/${firstProduct(legacy)}/classification`,
            body: { classification: 'DORMANT', note: 'shadow comparison' },
          }
        : null,
  },
  {
    scenario: 'classification-override',
    name: 'remove the override',
    write: true,
    request: ({ legacy }) =>
      firstProduct(legacy) ? { method: 'DELETE', path: `/api/products/${firstProduct(legacy)}/classification` } : null,
  },
  {
    scenario: 'classification-override',
    name: 'invalid bucket (400)',
    write: true,
    request: ({ legacy }) =>
      firstProduct(legacy)
        ? { method: 'PUT', path: `/api/products/${firstProduct(legacy)}/classification`, body: { classification: 'Z' } }
        : null,
  },
  // 8. recompute
  {
    scenario: 'recompute',
    name: 'recompute as of yesterday',
    write: true,
    request: () => ({ method: 'POST', path: '/api/classifications/recompute', body: { as_of: day(-1) } }),
  },
  // 11–12. assets and mappings
  {
    scenario: 'assets',
    name: 'create a manual asset',
    write: true,
    request: ({ runId }) => ({
      method: 'POST',
      path: '/api/assets',
      body: { kind: 'ad_creative', url: `https://shadow.example.com/${runId}.png`, alt_text: 'shadow comparison' },
    }),
    remember: (m, _s, body) => {
      m.assetId = obj(body).id;
    },
  },
  {
    scenario: 'asset-mappings',
    name: 'map it to a product',
    write: true,
    request: ({ own, legacy }) =>
      firstProduct(legacy) && str(own.assetId)
        ? {
            method: 'POST',
            path: `/api/products/${firstProduct(legacy)}/assets`,
            body: { asset_id: str(own.assetId) ?? '', role: 'ad', position: 9 },
          }
        : null,
    remember: (m, _s, body) => {
      m.mappingId = obj(body).mapping_id;
    },
  },
  {
    scenario: 'asset-mappings',
    name: 'move it',
    write: true,
    request: ({ own }) =>
      str(own.mappingId)
        ? {
            method: 'PATCH',
            path: `/api/asset-mappings/${str(own.mappingId)}`,
            body: { position: 10, role: 'lifestyle' },
          }
        : null,
  },
  {
    scenario: 'asset-mappings',
    name: 'unmap it',
    write: true,
    request: ({ own }) =>
      str(own.mappingId) ? { method: 'DELETE', path: `/api/asset-mappings/${str(own.mappingId)}` } : null,
  },
];

export function requestSet(options: { includeWrites: boolean }): Step[] {
  return options.includeWrites ? [...GET_STEPS, ...WRITE_STEPS] : GET_STEPS;
}
