/**
 * Bad input at every route is a 400 with the error envelope, never a 500: wrong types, unknown
 * enum values, out-of-range limits, bad dates, bad cursors, malformed or oversize bodies, bodies
 * that are not objects, unknown fields and the wrong content type. Then a property-based test
 * drives random paths, query strings and bodies at every route and finds no 5xx (200 runs a
 * route in CI, `npm run fuzz` 10 000: test/workers/support/fuzz.ts).
 */
import { fc, it as propertyIt } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '#shared/db/types.ts';
import { MAX_BODY_BYTES } from '#workers/dashboard-api/src/app.ts';
import { expectRefusedWithoutChange, recordFuzzRun } from '../../support/reliability.ts';
import { anyJson, fuzzParameters, fuzzTimeoutMs, nastyText } from '../support/fuzz.ts';
import { type Api, type ApiResponse, createApi, openTestSql, seedStaff } from './support/api.ts';
import { type RouteCase, type RouteFixtures, routeCases, seedRouteFixtures } from './support/routes.ts';

let api: Api;
let sql: Sql;
let fixtures: RouteFixtures;
let cases: RouteCase[];
let n = 0;

/** The route templates, known before the fixtures exist (their `valid` calls run later). */
const TEMPLATES = routeCases(undefined as unknown as Sql, undefined as unknown as RouteFixtures).map(
  ({ method, path, query }) => ({ method, path, query: query ?? [] }),
);

beforeAll(async () => {
  api = await createApi();
  sql = openTestSql();
  const staff = await seedStaff(sql);
  fixtures = await seedRouteFixtures(sql, staff.viewer);
  cases = routeCases(sql, fixtures);
});

afterAll(async () => {
  await sql.end({ timeout: 5 });
});

function caseFor(method: string, path: string): RouteCase {
  const found = cases.find((c) => c.method === method && c.path === path);
  if (!found) throw new Error(`no route case for ${method} ${path}`);
  return found;
}

function expectInvalidRequest(response: ApiResponse, label: string) {
  expect(response.status, `${label}: ${JSON.stringify(response.body)}`).toBe(400);
  expect(response.body.error.code, label).toBe('invalid_request');
  expect(typeof response.body.error.message, label).toBe('string');
}

/**
 * One bad request: a 400 with the envelope and the database unchanged (a fingerprint of every
 * table before and after), counted as one bad input by the reliability report.
 */
async function expectRejected(send: () => Promise<ApiResponse>, label: string): Promise<ApiResponse> {
  return expectRefusedWithoutChange(
    sql,
    async () => {
      const response = await send();
      expectInvalidRequest(response, label);
      return response;
    },
    label,
  );
}

/** Bad values per query parameter name (each one alone makes the request invalid). */
const BAD_QUERY_VALUES: Record<string, string[]> = {
  limit: ['0', '-1', 'abc', '100000', '1.5', ''],
  cursor: ['not-a-cursor!', 'eyJ4IjoxfQ', 'eyJzIjoidGl0bGUiLCJrIjoiYVx1MDAwMGIiLCJpZCI6MX0'],
  status: ['bogus', 'ACTIVE'],
  classification: ['Z', 'a'],
  sort: ['price', 'net_sales_30d'],
  from: ['2026-13-01', 'yesterday', '2026-1-1'],
  to: ['2026-02-30', '20260101'],
  granularity: ['year', 'DAY'],
  metric: ['revenue'],
  product_id: ['abc', '0', '-3'],
  kind: ['bogus'],
  verdict: ['maybe'],
  q: ['x'.repeat(300), 'a\u0000b'],
  vendor: ['x'.repeat(300)],
  product_type: ['x'.repeat(300)],
  tag: ['x'.repeat(300)],
  category: ['x'.repeat(300)],
};

describe('bad parameters are 400 invalid_request, changing nothing', { tags: ['bad-input'] }, () => {
  it.each(TEMPLATES.filter((t) => t.query.length > 0).map((t) => [`${t.method} ${t.path}`, t] as const))(
    '%s: bad query values',
    async (_, template) => {
      const route = caseFor(template.method, template.path);
      for (const name of template.query) {
        for (const value of BAD_QUERY_VALUES[name] ?? []) {
          const call = await route.valid(n++);
          const url = new URL(call.path, 'https://api.test');
          url.searchParams.set(name, value);
          await expectRejected(
            () => api.request(route.method, `${url.pathname}${url.search}`, { as: 'master', body: call.body }),
            `${route.method} ${url.pathname}?${name}=${value}`,
          );
        }
      }
    },
  );

  it.each(TEMPLATES.filter((t) => t.path.includes('{')).map((t) => [`${t.method} ${t.path}`, t] as const))(
    '%s: bad path ids',
    async (_, template) => {
      const route = caseFor(template.method, template.path);
      const call = await route.valid(n++);
      for (const bad of ['abc', '-1', '1.5', '99999999999999999999', 'not-a-uuid', '%00']) {
        // replace each id of the valid path in turn
        const segments = call.path.split('/');
        for (let i = 0; i < segments.length; i += 1) {
          const segment = segments[i] as string;
          if (!/^\d+$/.test(segment) && !/^[0-9a-f-]{36}$/.test(segment)) continue;
          if (/^\d+$/.test(segment) && bad === 'not-a-uuid') continue;
          const path = segments.map((s, j) => (j === i ? bad : s)).join('/');
          await expectRejected(
            () => api.request(route.method, path, { as: 'master', body: call.body }),
            `${route.method} ${path}`,
          );
        }
      }
    },
  );
});

describe('bad bodies are 400 invalid_request, changing nothing', { tags: ['bad-input'] }, () => {
  const withBodies = () => cases.filter((c) => c.method !== 'GET' && c.method !== 'DELETE');

  it('unknown fields, wrong types and bodies that are not JSON objects', async () => {
    expect(withBodies().length).toBeGreaterThanOrEqual(11);
    for (const route of withBodies()) {
      const call = await route.valid(n++);
      const valid = (call.body ?? {}) as Record<string, unknown>;
      const label = `${route.method} ${route.path}`;
      await expectRejected(
        () => api.request(route.method, call.path, { as: 'master', body: { ...valid, unexpected_field: 1 } }),
        `${label} with an unknown field`,
      );
      for (const body of [[], 'text', 42, null, [valid]]) {
        await expectRejected(
          () => api.request(route.method, call.path, { as: 'master', body }),
          `${label} with ${JSON.stringify(body)}`,
        );
      }
      for (const key of Object.keys(valid)) {
        for (const wrong of [{ nested: true }, [1, 2], true, 2 ** 64]) {
          await expectRejected(
            () => api.request(route.method, call.path, { as: 'master', body: { ...valid, [key]: wrong } }),
            `${label} with ${key}=${JSON.stringify(wrong)}`,
          );
        }
      }
    }
  });

  it('an empty body with a JSON content type is no body: {} where a body is optional, named missing fields elsewhere', async () => {
    const empty = { as: 'master' as const, rawBody: '', headers: { 'content-type': 'application/json' } };
    expect((await api.request('POST', '/api/classifications/recompute', empty)).status).toBe(200);
    const tag = await expectRejected(
      () => api.request('POST', '/api/tags', empty),
      'POST /api/tags with an empty body',
    );
    expect(tag.body.error.details).toEqual([expect.objectContaining({ path: 'name' })]);
  });

  it('malformed JSON and a content type that is not JSON', async () => {
    for (const route of withBodies()) {
      const call = await route.valid(n++);
      const label = `${route.method} ${route.path}`;
      for (const rawBody of ['{"name": ', '{name: 1}', '\u0000', '{"a":1}}']) {
        await expectRejected(
          () =>
            api.request(route.method, call.path, {
              as: 'master',
              rawBody,
              headers: { 'content-type': 'application/json' },
            }),
          `${label} with ${JSON.stringify(rawBody)}`,
        );
      }
      await expectRejected(
        () =>
          api.request(route.method, call.path, {
            as: 'master',
            rawBody: JSON.stringify(call.body ?? {}),
            headers: { 'content-type': 'text/plain' },
          }),
        `${label} as text/plain`,
      );
    }
  });

  it(`bodies over ${MAX_BODY_BYTES} bytes, whether or not they announce their length`, async () => {
    for (const route of withBodies()) {
      const call = await route.valid(n++);
      const huge = JSON.stringify({ ...(call.body as object), padding: 'x'.repeat(MAX_BODY_BYTES) });
      const label = `${route.method} ${route.path}`;
      const announced = await expectRejected(
        () =>
          api.request(route.method, call.path, {
            as: 'master',
            rawBody: huge,
            headers: { 'content-type': 'application/json' },
          }),
        `${label} with content-length`,
      );
      expect(announced.body.error.message).toBe(`the request body is larger than ${MAX_BODY_BYTES} bytes`);
      const bytes = new TextEncoder().encode(huge);
      await expectRejected(
        () =>
          api.request(route.method, call.path, {
            as: 'master',
            rawBody: new ReadableStream({
              start(controller) {
                for (let i = 0; i < bytes.length; i += 8192) controller.enqueue(bytes.slice(i, i + 8192));
                controller.close();
              },
            }),
            headers: { 'content-type': 'application/json' },
          }),
        `${label} streamed`,
      );
    }
  });
});

// ---------------------------------------------------------------- property: no 5xx, ever

const queryValue = fc.oneof(
  { weight: 3, arbitrary: nastyText },
  { weight: 1, arbitrary: fc.string({ unit: 'binary' }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      '0',
      '1',
      '500',
      '1e3',
      '-0',
      'NaN',
      'Infinity',
      '2026-02-28',
      '2025-02-29',
      '%',
      '_',
      '\\',
    ),
  },
);

/** Percent-encodes a path segment; a lone surrogate becomes raw bytes that are not UTF-8 (%ED%A0%80). */
function encodeSegment(segment: string): string {
  return Array.from(segment, (char) => {
    try {
      return encodeURIComponent(char);
    } catch {
      return '%ED%A0%80';
    }
  }).join('');
}

const requestArbitrary = (queryNames: string[]) =>
  fc.record({
    /** 'valid' keeps the fixture ids; otherwise each id segment is replaced by random text. */
    pathMode: fc.constantFrom('valid', 'random'),
    segment: fc.oneof(nastyText, fc.integer().map(String), fc.uuid(), fc.string({ unit: 'binary' })),
    query: fc.dictionary(
      fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom(...(queryNames.length ? queryNames : ['x'])) },
        { weight: 1, arbitrary: fc.string() },
      ),
      queryValue,
      { maxKeys: 4 },
    ),
    bodyMode: fc.constantFrom('mutated', 'random', 'raw', 'none'),
    overrides: fc.dictionary(fc.string(), anyJson, { maxKeys: 3 }),
    fieldOverrides: fc.array(anyJson, { maxLength: 4 }),
    raw: fc.string({ unit: 'binary', maxLength: 200 }),
    randomBody: anyJson,
  });

describe('random requests at every route', { tags: ['fuzz'] }, () => {
  for (const template of TEMPLATES) {
    const property = `${template.method} ${template.path}`;
    propertyIt.prop([requestArbitrary(template.query)], fuzzParameters(property))(
      `${property} never answers 5xx`,
      async (input) => {
        recordFuzzRun(property);
        const route = caseFor(template.method, template.path);
        const call = await route.valid(n++);
        let path = call.path;
        if (input.pathMode === 'random') {
          path = path
            .split('/')
            .map((s) => (/^\d+$/.test(s) || /^[0-9a-f-]{36}$/.test(s) ? encodeSegment(input.segment) : s))
            .join('/');
        }
        const url = new URL(path, 'https://api.test');
        for (const [name, value] of Object.entries(input.query)) url.searchParams.set(name, value);

        const options: Parameters<Api['request']>[2] = { as: 'master' };
        if (template.method !== 'GET') {
          const valid = (call.body ?? {}) as Record<string, unknown>;
          if (input.bodyMode === 'mutated') {
            const mutated: Record<string, unknown> = { ...valid };
            Object.keys(valid).forEach((key, i) => {
              if (i < input.fieldOverrides.length) mutated[key] = input.fieldOverrides[i];
            });
            options.body = { ...mutated, ...input.overrides };
          } else if (input.bodyMode === 'random') {
            options.body = input.randomBody;
          } else if (input.bodyMode === 'raw') {
            options.rawBody = input.raw;
            options.headers = { 'content-type': 'application/json' };
          }
        }
        const response = await api.request(template.method, `${url.pathname}${url.search}`, options);
        const label = `${template.method} ${url.pathname}${url.search} ${JSON.stringify(options.body ?? options.rawBody ?? null)}`;
        expect(response.status, `${label} → ${JSON.stringify(response.body)}`).toBeLessThan(500);
        if (response.status >= 400) {
          expect(response.body, label).toEqual({
            error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
          });
        }
      },
      fuzzTimeoutMs(),
    );
  }
});
