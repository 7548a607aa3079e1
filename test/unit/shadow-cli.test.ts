/**
 * `npm run shadow` against two local HTTP servers standing in for the legacy and the new API: the
 * same small dashboard, one with a planted difference. The report names exactly the planted
 * difference (exit 1); numbers within the tolerance and paths of the versioned ignore rules do not
 * count; identical APIs exit 0; writes use each side's own created ids.
 */
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffJson, parseIgnoreRules, pathMatches } from '../../scripts/shadow/diff.ts';

const CLI = fileURLToPath(new URL('../../scripts/shadow/cli.ts', import.meta.url));
const TOKEN = 'test-token';

interface Instance {
  name: string;
  /** Applied to every answer: where a test plants a difference. */
  plant?: (path: string, body: Record<string, unknown>) => void;
}

interface FakeApi {
  url: string;
  requests: { method: string; path: string; body: unknown }[];
  server: Server;
}

function readBody(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    let text = '';
    request.on('data', (chunk) => {
      text += chunk;
    });
    request.on('end', () => resolve(text === '' ? undefined : JSON.parse(text)));
  });
}

/** A tiny dashboard API: fixed data, per-instance ids, cursors, times and error wording. */
function answer(instance: Instance, method: string, url: URL, body: unknown): { status: number; body?: unknown } {
  const path = url.pathname;
  const q = url.searchParams;
  const error = (status: number, code: string) => ({
    status,
    body: {
      error: { code, message: `${instance.name} says ${code}`, details: [{ path: 'x', message: instance.name }] },
    },
  });
  const product = (id: number, title: string) => ({
    id,
    title,
    handle: title.toLowerCase().replace(/ /g, '-'),
    tags: ['summer'],
    classification: 'A',
    net_sales_30d: 120.5 + id,
    units_sold_30d: 3,
    updated_at: '2026-11-20T10:00:00.000Z',
  });
  if (method === 'GET') {
    if (path === '/api/products') {
      if (q.get('cursor') === 'not-a-cursor' || q.get('limit') === '0') return error(400, 'invalid_request');
      if (q.get('cursor')) return { status: 200, body: { data: [product(103, 'Nordic Mug')], next_cursor: null } };
      return {
        status: 200,
        body: { data: [product(101, 'Classic Tee'), product(102, 'Eco Tote')], next_cursor: `${instance.name}-page-2` },
      };
    }
    const detail = /^\/api\/products\/(\d+)$/.exec(path);
    if (detail) {
      const id = Number(detail[1]);
      if (id === 1) return error(404, 'not_found');
      return {
        status: 200,
        body: {
          ...product(id, `Product ${id}`),
          classification: {
            value: 'A',
            is_manual: false,
            note: null,
            computed_at: `2026-11-21T0${instance.name.length}:00:00.000Z`,
          },
        },
      };
    }
    if (path === '/api/dashboard/summary') {
      if ((q.get('from') ?? '') > (q.get('to') ?? '9')) return error(400, 'invalid_request');
      return { status: 200, body: { net_sales: 1000.25, orders: 12, previous: { net_sales: 900, orders: 10 } } };
    }
    if (path === '/api/dashboard/top-products') {
      return {
        status: 200,
        body: { data: [1, 2, 3, 4].map((rank) => ({ rank, product_id: 100 + rank, net_sales: 100 * (5 - rank) })) },
      };
    }
    if (path === '/api/classifications') {
      return {
        status: 200,
        body: {
          data: [{ classification: 'A', products: 2 }],
          computed_at: `2026-11-2${instance.name.length}T06:00:00.000Z`,
        },
      };
    }
    if (path === '/api/tags') return { status: 200, body: { data: [{ id: 't-1', name: 'summer', products: 2 }] } };
    if (path === '/api/me') return { status: 200, body: { id: 'p-1', email: 'staff@example.com', role: 'staff' } };
    if (path === '/api/sync-runs') {
      return {
        status: 200,
        body: {
          data: [{ id: 'run-1', kind: 'full', status: 'succeeded', rows_processed: instance.name.length }],
          next_cursor: null,
        },
      };
    }
    return { status: 200, body: { data: [], next_cursor: null } };
  }
  // Writes: created things get this instance's own ids and times.
  const created = { id: `${instance.name}-${crypto.randomUUID()}`, created_at: new Date().toISOString() };
  if (method === 'POST' && path === '/api/tags') {
    const name = String((body as { name: string }).name)
      .trim()
      .toLowerCase();
    return name.endsWith(' b') || !name.includes(' ')
      ? error(409, 'conflict')
      : { status: 201, body: { ...created, name } };
  }
  if (method === 'POST' && path === '/api/assets') return { status: 201, body: { ...created, kind: 'ad_creative' } };
  if (method === 'POST' && path.endsWith('/assets')) {
    return {
      status: 201,
      body: { mapping_id: created.id, asset_id: (body as { asset_id: string }).asset_id, role: 'ad' },
    };
  }
  if (method === 'DELETE') return { status: 204 };
  return { status: 200, body: { ok: true, ...(method === 'POST' ? { updated: 2 } : {}) } };
}

async function startFakeApi(instance: Instance): Promise<FakeApi> {
  const requests: FakeApi['requests'] = [];
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const body = await readBody(request);
    requests.push({ method: request.method ?? '', path: `${url.pathname}${url.search}`, body });
    if (request.headers['cf-access-jwt-assertion'] !== TOKEN) {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { code: 'unauthenticated', message: 'no token' } }));
      return;
    }
    const result = answer(instance, request.method ?? 'GET', url, body);
    if (result.body && typeof result.body === 'object')
      instance.plant?.(url.pathname, result.body as Record<string, unknown>);
    response.writeHead(result.status, { 'content-type': 'application/json' });
    response.end(result.body === undefined ? '' : JSON.stringify(result.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

function shadow(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

let legacy: FakeApi;
let planted: FakeApi;
let twin: FakeApi;

beforeAll(async () => {
  legacy = await startFakeApi({ name: 'legacy' });
  planted = await startFakeApi({
    name: 'new-api',
    plant: (path, body) => {
      // Beyond the tolerance: the fourth top product's net sales.
      if (path === '/api/dashboard/top-products')
        (body.data as { net_sales: number }[]).forEach((row, i) => {
          if (i === 3) row.net_sales = 101;
        });
      // Within the absolute tolerance (half a cent): not a difference.
      if (path === '/api/dashboard/summary' && 'net_sales' in body) body.net_sales = 1000.252;
    },
  });
  // Same data, but its own cursors, times, error wording and run counts: all covered by the rules.
  twin = await startFakeApi({ name: 'twin-api' });
});

afterAll(async () => {
  await Promise.all([legacy, planted, twin].map((api) => new Promise((resolve) => api?.server.close(resolve))));
});

describe('npm run shadow', () => {
  it('reports exactly the planted difference and exits 1', async () => {
    const { code, stdout } = await shadow('--legacy-base', legacy.url, '--new-base', planted.url, '--token', TOKEN);
    expect(code).toBe(1);
    const diffLines = stdout.split('\n').filter((line) => line.startsWith('DIFF'));
    expect(diffLines).toEqual([
      expect.stringMatching(/^DIFF\s+top-products\s+GET \/api\/dashboard\/top-products 200$/),
      expect.stringMatching(/^DIFF\s+top-products\s+GET \/api\/dashboard\/top-products\?limit=10&metric=units_sold&/),
    ]);
    expect(stdout).toContain('        /data/3/net_sales: legacy 100, new 101');
    expect(stdout).toMatch(/\d+ identical, 2 differing/);
    expect(stdout).toContain('GET only');
    // The GET set asks every read scenario; the write-only ones are named.
    expect(stdout).toContain(
      'scenarios covered 10/14 (not covered: classification-override, recompute, product-tags, asset-mappings',
    );
  });

  it('exits 0 for APIs that differ only where the versioned ignore rules say they may, naming the rules used', async () => {
    const { code, stdout } = await shadow('--legacy-base', legacy.url, '--new-base', twin.url, '--token', TOKEN);
    expect(code).toBe(0);
    expect(stdout).not.toMatch(/^DIFF/m);
    expect(stdout).toMatch(/ 0 differing/);
    expect(stdout).toContain('differences absorbed by ignore rules:');
    for (const rule of [
      '/next_cursor',
      '/error/message',
      '/error/details',
      '/computed_at',
      '/**/classification/computed_at',
      '/data',
    ]) {
      expect(stdout).toContain(`  ${rule} ×`);
    }
    // Each side followed its own cursor to page 2.
    expect(legacy.requests.map((r) => r.path)).toContain('/api/products?cursor=legacy-page-2');
    expect(twin.requests.map((r) => r.path)).toContain('/api/products?cursor=twin-api-page-2');
    // GET only by default.
    expect(twin.requests.every((r) => r.method === 'GET')).toBe(true);
  });

  it('with --include-writes runs the write sequences, each side using the ids it created', async () => {
    twin.requests.length = 0;
    const { code, stdout } = await shadow(
      '--legacy-base',
      legacy.url,
      '--new-base',
      twin.url,
      '--token',
      TOKEN,
      '--include-writes',
    );
    expect(stdout).toContain('scenarios covered 14/14');
    expect(code).toBe(0);
    const createdTag = twin.requests.find((r) => r.method === 'POST' && r.path === '/api/tags');
    expect(createdTag?.body).toMatchObject({ category: 'shadow' });
    const deletes = twin.requests.filter((r) => r.method === 'DELETE').map((r) => r.path);
    expect(deletes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/api\/tags\/twin-api-/),
        expect.stringMatching(/^\/api\/asset-mappings\/twin-api-/),
      ]),
    );
    expect(twin.requests.some((r) => r.method === 'POST' && r.path === '/api/sync-runs')).toBe(false);
  });

  it('exits 2 when an API cannot be reached or the arguments are wrong', async () => {
    const unreachable = await shadow('--legacy-base', legacy.url, '--new-base', 'http://127.0.0.1:9', '--token', TOKEN);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/^shadow: GET http:\/\/127\.0\.0\.1:9\/api\/products/);
    const usage = await shadow('--legacy-base', legacy.url);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--new-base is required');
  });
});

describe('the diff', () => {
  it('matches rule paths with * for one segment and ** for any number', () => {
    expect(pathMatches('/data/*/id', '/data/3/id')).toBe(true);
    expect(pathMatches('/data/*/id', '/data/3/x/id')).toBe(false);
    expect(pathMatches('/**/computed_at', '/computed_at')).toBe(true);
    expect(pathMatches('/**/computed_at', '/data/0/classification/computed_at')).toBe(true);
  });

  it('compares numbers within the tolerance, lengths, types and missing keys', () => {
    const tolerance = { absolute: 0.005, relative: 0.001 };
    const { differences } = diffJson(
      { a: 1.004, b: 1000, c: [1, 2], d: 'x', e: 1 },
      { a: 1, b: 1000.9, c: [1], d: 1, f: 2 },
      { rules: [], tolerance },
    );
    expect(differences.map((d) => [d.path, d.kind])).toEqual([
      ['/c', 'length'],
      ['/d', 'type'],
      ['/e', 'missing_on_new'],
      ['/f', 'missing_on_legacy'],
    ]);
  });

  it('refuses a rule without a reason', () => {
    expect(() => parseIgnoreRules('{"version":1,"rules":[{"path":"/x"}]}')).toThrow(/needs a reason/);
  });
});
