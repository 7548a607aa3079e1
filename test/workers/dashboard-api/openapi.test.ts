/**
 * The OpenAPI 3.1 document is generated from the route definitions: every legacy scenario's path
 * and method is in it with its parameters, bodies, responses and the Access security scheme, and
 * /docs renders a reference page for it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { expectAccessProtected } from '../support/openapi.ts';
import { type Api, createApi } from './support/api.ts';

let api: Api;
// biome-ignore lint/suspicious/noExplicitAny: the document is read loosely; the assertions check it
let document: any;

beforeAll(async () => {
  api = await createApi();
  const response = await api.get('/openapi.json', { as: null });
  expect(response.status).toBe(200);
  document = response.body;
});

/** The 14 scenarios of the legacy contract (shared/spec/api.md), as method + OpenAPI path. */
const LEGACY_ROUTES = [
  'get /api/products',
  'get /api/products/{id}',
  'get /api/dashboard/summary',
  'get /api/dashboard/timeseries',
  'get /api/dashboard/top-products',
  'get /api/classifications',
  'put /api/products/{id}/classification',
  'delete /api/products/{id}/classification',
  'post /api/classifications/recompute',
  'get /api/tags',
  'post /api/tags',
  'patch /api/tags/{id}',
  'delete /api/tags/{id}',
  'post /api/products/{id}/tags',
  'delete /api/products/{id}/tags/{tag_id}',
  'get /api/assets',
  'post /api/assets',
  'post /api/products/{id}/assets',
  'patch /api/asset-mappings/{id}',
  'delete /api/asset-mappings/{id}',
  'get /api/sync-runs',
  'get /api/sync-runs/{id}',
  'post /api/sync-runs',
  'get /api/me',
  'get /api/staff',
  'patch /api/staff/{id}',
];

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document with every legacy route and /health', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.title).toBeTruthy();
    for (const route of [...LEGACY_ROUTES, 'get /health']) {
      const [method, path] = route.split(' ') as [string, string];
      expect(document.paths[path]?.[method], route).toBeDefined();
    }
  });

  it('documents Cloudflare Access as the security of every /api operation, and the error envelope', () => {
    expectAccessProtected(document, LEGACY_ROUTES);
    expect(document.components.schemas.Error.properties.error.required).toEqual(['code', 'message']);
  });

  it('describes parameters and bodies from the zod schemas (enums, limits, unknown fields refused)', () => {
    const list = document.paths['/api/products'].get;
    const sort = list.parameters.find((p: { name: string }) => p.name === 'sort');
    expect(sort).toMatchObject({
      in: 'query',
      schema: { enum: ['title', '-updated_at', '-net_sales_30d'], default: '-updated_at' },
    });
    const limit = list.parameters.find((p: { name: string }) => p.name === 'limit');
    expect(limit.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 200, default: 50 });
    const top = document.paths['/api/dashboard/top-products'].get.parameters.find(
      (p: { name: string }) => p.name === 'limit',
    );
    expect(top.schema).toMatchObject({ minimum: 1, maximum: 500, default: 100 });

    const newTag = document.components.schemas.NewTag;
    expect(newTag.required).toEqual(['name']);
    expect(newTag.additionalProperties).toBe(false);
    expect(document.paths['/api/sync-runs'].post.responses['202']).toBeDefined();
    expect(document.paths['/api/tags/{id}'].delete.responses['204']).toBeDefined();
    expect(document.paths['/api/products/{id}'].get.parameters).toContainEqual(
      expect.objectContaining({ name: 'id', in: 'path', required: true }),
    );
  });
});

describe('GET /docs', () => {
  it('renders the API reference for /openapi.json', async () => {
    const response = await api.get('/docs', { as: null });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(response.body).toContain('/openapi.json');
  });
});

describe('every response', () => {
  it('carries security headers, and CORS only for configured origins', async () => {
    const allowed = await api.get('/api/me', { headers: { origin: 'http://localhost:5173' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('x-content-type-options')).toBe('nosniff');
    expect(allowed.headers.get('strict-transport-security')).toContain('max-age=');
    expect(allowed.headers.get('x-frame-options')).toBe('SAMEORIGIN');

    const other = await api.get('/api/me', { headers: { origin: 'https://evil.example.com' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();

    const preflight = await api.request('OPTIONS', '/api/tags', {
      as: null,
      headers: {
        origin: 'http://localhost:5173',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, cf-access-jwt-assertion',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('cf-access-jwt-assertion');
  });
});
