/**
 * The ingest Worker's OpenAPI 3.1 document is generated from its operator routes: each one is in it
 * with its Access security and the error envelope, and each documented operation is a mounted route
 * that refuses a request without an Access token, as the document says.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { expectAccessProtected } from '../support/openapi.ts';
import { fetchOnce } from './support/worker-events.ts';

/** The operator routes (docs/ingest.md, docs/operations.md), as method + OpenAPI path. */
const OPERATOR_ROUTES = [
  'post /replay',
  'get /replay/{id}',
  'get /executions/{id}',
  'post /executions/{id}/redrive',
  'post /executions/{id}/fail',
];

const fetchIngest = (path: string, init?: RequestInit) => fetchOnce(new Request(`https://ingest.test${path}`, init));

// biome-ignore lint/suspicious/noExplicitAny: the document is read loosely; the assertions check it
let document: any;

beforeAll(async () => {
  const response = await fetchIngest('/openapi.json');
  expect(response.status).toBe(200);
  document = await response.json();
});

describe('GET /openapi.json on the ingest Worker', () => {
  it('lists exactly the operator routes, each behind Cloudflare Access with the error envelope', () => {
    expect(document.openapi).toBe('3.1.0');
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations as object).map((method) => `${method} ${path}`),
    );
    expect(documented.sort()).toEqual([...OPERATOR_ROUTES].sort());
    expectAccessProtected(document, OPERATOR_ROUTES);
  });

  it('describes the bodies from the zod schemas', () => {
    const fail = document.paths['/executions/{id}/fail'].post.requestBody.content['application/json'].schema;
    expect(document.components.schemas[fail.$ref.split('/').at(-1)].required).toEqual(['reason']);
    expect(document.paths['/replay'].post.requestBody.required).toBe(true);
  });

  it('documents only mounted routes: each refuses a request without an Access token with 401', async () => {
    const id = '5b6f7a52-3c1d-4c8e-9f0a-2b7c1d9e8f11';
    for (const route of OPERATOR_ROUTES) {
      const [method, path] = route.split(' ') as [string, string];
      const response = await fetchIngest(path.replace('{id}', id), {
        method: method.toUpperCase(),
        ...(method === 'post' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}),
      });
      expect(response.status, route).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code, route).toBe('unauthenticated');
    }
  });
});
