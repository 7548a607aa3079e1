/**
 * Security review checks of the dashboard-api (RELIABILITY.md "Security review"), beside the CORS
 * and header test of a successful call in openapi.test.ts:
 * - refusals and failures carry the security headers too, and CORS for the frontend's origin (so
 *   the browser can read the error), whatever stage of the request refused it;
 * - a 500 answers the envelope without a stack or a connection detail;
 * - no log line holds an Access token, a query string or the database password, whatever happened.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Sql } from '#shared/db/types.ts';
import type { Env } from '#shared/env.ts';
import { type Api, type ApiResponse, openApiWithStaff } from './support/api.ts';

let api: Api;
let sql: Sql;

beforeAll(async () => {
  ({ api, sql } = await openApiWithStaff());
  return () => sql.end({ timeout: 5 });
});
afterEach(() => {
  vi.restoreAllMocks();
});

const ORIGIN = 'http://localhost:5173';

/** The Worker's database binding with a recognisable password and an address nothing listens on. */
const PASSWORD = 'pw-must-never-be-logged-7f3a';
function unreachableDatabase(): Partial<Env> {
  return {
    HYPERDRIVE: {
      connectionString: `postgres://app:${PASSWORD}@127.0.0.1:1/dashboard?sslmode=disable`,
    } as unknown as Hyperdrive,
  };
}

function expectSecurityHeaders(response: ApiResponse, label: string) {
  expect(response.headers.get('x-content-type-options'), label).toBe('nosniff');
  expect(response.headers.get('strict-transport-security'), label).toContain('max-age=');
  expect(response.headers.get('x-frame-options'), label).toBe('SAMEORIGIN');
  expect(response.headers.get('referrer-policy'), label).toBe('no-referrer');
}

describe('every answer, refusals and failures included', () => {
  it('carries the security headers, and CORS for the configured origin', async () => {
    const headers = { origin: ORIGIN };
    const answers: [string, ApiResponse][] = [
      ['200 /health', await api.get('/health', { as: null, headers })],
      ['401 no token', await api.get('/api/me', { as: null, headers })],
      [
        '401 bad token',
        await api.get('/api/me', { as: null, headers: { ...headers, 'Cf-Access-Jwt-Assertion': 'x.y.z' } }),
      ],
      ['403 role', await api.request('POST', '/api/tags', { as: 'viewer', headers, body: { name: 'x' } })],
      ['404 route', await api.get('/api/nope', { headers })],
      ['400 parameter', await api.get('/api/products?limit=0', { headers })],
      [
        '400 oversize body',
        await api.request('POST', '/api/tags', {
          as: 'staff',
          headers: { ...headers, 'content-type': 'application/json' },
          rawBody: JSON.stringify({ name: 'x'.repeat(70_000) }),
        }),
      ],
      ['503 configuration', await api.get('/api/me', { headers, env: { ACCESS_AUD: '' } })],
      ['500 database unreachable', await api.get('/api/me', { headers, env: unreachableDatabase() })],
    ];
    for (const [label, response] of answers) {
      expectSecurityHeaders(response, label);
      if (label !== '200 /health') {
        expect(response.headers.get('access-control-allow-origin'), label).toBe(ORIGIN);
        expect(response.body.error.code, label).toEqual(expect.any(String));
      }
    }
  });

  it('a 500 is the envelope: no stack, no connection detail', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const response = await api.get('/api/me', { env: unreachableDatabase() });
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ error: { code: 'internal', message: 'internal error' } });
  });
});

describe('logs', () => {
  it('never hold an Access token, a query string or the database password', async () => {
    const lines: string[] = [];
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(' '));
      });
    }
    const token = await api.access.token({ email: 'staff@example.com' });
    const secretQuery = 'q=private-search-term-91c2';
    const asToken = { as: null, headers: { 'Cf-Access-Jwt-Assertion': token } } as const;
    await api.get(`/api/products?${secretQuery}`, asToken);
    await api.get(`/api/products?${secretQuery}&limit=0`, asToken);
    await api.request('POST', '/api/tags', { ...asToken, body: { name: 'logged?' } });
    await api.get('/api/me', { as: null, headers: { 'Cf-Access-Jwt-Assertion': `${token}x` } });
    await api.get(`/api/me?${secretQuery}`, { ...asToken, env: unreachableDatabase() });
    await api.get('/api/me', { ...asToken, env: { ACCESS_AUD: '' } });
    vi.restoreAllMocks();

    expect(lines.length).toBeGreaterThan(5);
    expect(lines.some((line) => line.includes('"message":"unhandled error"'))).toBe(true);
    for (const line of lines) {
      expect(line).not.toContain(token.split('.')[2] as string);
      expect(line).not.toContain(token.split('.')[1] as string);
      expect(line).not.toContain('private-search-term');
      expect(line).not.toContain(PASSWORD);
    }
  });
});
