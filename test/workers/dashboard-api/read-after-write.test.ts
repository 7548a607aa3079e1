/**
 * Every write route reads its own writes under Hyperdrive's query cache (the emulation the Workers
 * tests run behind, scripts/lib/hyperdrive-cache.ts): each test reads first (filling the cache),
 * writes, and reads back at once. Execution polling, child lookups and the cutover gate see current
 * state the same way. docs/testing.md "Reading fresh under Hyperdrive's query cache".
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { closeDatabase, type Database, openDatabase } from '#shared/db/client.ts';
import { freshRead } from '#shared/db/fresh.ts';
import type { Sql } from '#shared/db/types.ts';
import { findExecution } from '#shared/procedures/execution.ts';
import { nudgeExecution } from '#shared/procedures/runner.ts';
import { recordFault } from '#test/support/reliability.ts';
import {
  type Api,
  openApiWithStaff,
  type Role,
  seedAsset,
  seedMapping,
  seedProduct,
  seedProductTag,
} from './support/api.ts';

let api: Api;
let sql: Sql;
let staffIds: Record<Role, string>;
let nextProductId = 930_000;

beforeAll(async () => {
  ({ api, sql, staff: staffIds } = await openApiWithStaff());
});

afterAll(async () => {
  await sql.end({ timeout: 5 });
});

const as = 'staff' as const;
const write = (method: string, path: string, body?: unknown) => api.request(method, path, { as, body });

async function newProduct(): Promise<number> {
  nextProductId += 1;
  await seedProduct(sql, { id: nextProductId });
  return nextProductId;
}

/** Reads the product detail: the first call fills the cache for the calls after it. */
async function detail(productId: number) {
  const response = await api.get(`/api/products/${productId}`);
  expect(response.status).toBe(200);
  return response.body;
}

/** Runs work on a client over the Worker's own binding (through the cache), as the Worker would. */
async function withWorkerDatabase<T>(work: (database: Database) => Promise<T>): Promise<T> {
  const ctx = createExecutionContext();
  const database = openDatabase(api.env.HYPERDRIVE);
  try {
    return await work(database);
  } finally {
    closeDatabase(database, ctx);
    await waitOnExecutionContext(ctx);
  }
}

describe.runIf(inject('hyperdriveCacheOn'))('the cache is on in these tests', () => {
  it('a plain read over the Worker binding is answered from the cache; the same read with freshRead is not', async () => {
    const count = (database: Database, fresh: boolean) =>
      database.sql<{ n: number }[]>`
        select count(*)::int as n from tag_designation where ${fresh ? freshRead(database.sql) : database.sql`true`}`;
    const [before] = await withWorkerDatabase((db) => count(db, false));
    await sql`insert into tag_designation (tag_name) values ('cache probe')`;
    const [cached] = await withWorkerDatabase((db) => count(db, false));
    const [fresh] = await withWorkerDatabase((db) => count(db, true));
    expect(cached?.n).toBe(before?.n);
    expect(fresh?.n).toBe((before?.n ?? 0) + 1);
  });
});

describe('classifications', () => {
  it('PUT /api/products/:id/classification → the product detail shows the override', async () => {
    const productId = await newProduct();
    expect((await detail(productId)).classification).toBeNull();
    const put = await write('PUT', `/api/products/${productId}/classification`, { classification: 'B', note: 'n' });
    expect(put.status).toBe(200);
    expect((await detail(productId)).classification).toMatchObject({ value: 'B', is_manual: true, note: 'n' });
  });

  it('DELETE /api/products/:id/classification → the product detail no longer shows the override', async () => {
    const productId = await newProduct();
    await write('PUT', `/api/products/${productId}/classification`, { classification: 'A', note: null });
    expect((await detail(productId)).classification).toMatchObject({ value: 'A', is_manual: true });
    expect((await write('DELETE', `/api/products/${productId}/classification`)).status).toBe(200);
    const after = (await detail(productId)).classification;
    expect(after === null || after.is_manual === false).toBe(true);
  });

  it('POST /api/classifications/recompute → the distribution counts the classified products', async () => {
    await newProduct();
    const total = (body: { data: { products: number }[] }) => body.data.reduce((sum, c) => sum + c.products, 0);
    const before = total((await api.get('/api/classifications')).body);
    const recompute = await write('POST', '/api/classifications/recompute', { as_of: '2026-01-31' });
    expect(recompute.status).toBe(200);
    const [{ live = 0 } = {}] = await sql<{ live: number }[]>`
      select count(*)::int as live from material_artifact where deleted_at is null`;
    expect(total((await api.get('/api/classifications')).body)).toBe(live);
    expect(live).toBeGreaterThan(before);
  });
});

describe('tags', () => {
  const names = async () => ((await api.get('/api/tags')).body.data as { name: string }[]).map((t) => t.name);

  it('POST /api/tags → the tag list has it', async () => {
    expect(await names()).not.toContain('raw new');
    expect((await write('POST', '/api/tags', { name: 'raw new' })).status).toBe(201);
    expect(await names()).toContain('raw new');
  });

  it('PATCH /api/tags/:id → the tag list shows the change', async () => {
    const created = await write('POST', '/api/tags', { name: 'raw patch' });
    const color = async () =>
      ((await api.get('/api/tags')).body.data as { id: string; color: string | null }[]).find(
        (t) => t.id === created.body.id,
      )?.color;
    expect(await color()).toBeNull();
    expect((await write('PATCH', `/api/tags/${created.body.id}`, { color: '#abcdef' })).status).toBe(200);
    expect(await color()).toBe('#abcdef');
  });

  it('DELETE /api/tags/:id → the tag list no longer has it', async () => {
    const created = await write('POST', '/api/tags', { name: 'raw delete' });
    expect(await names()).toContain('raw delete');
    expect((await write('DELETE', `/api/tags/${created.body.id}`)).status).toBe(204);
    expect(await names()).not.toContain('raw delete');
  });

  it('POST /api/products/:id/tags → the product detail and the tag-filtered list show it', async () => {
    const productId = await newProduct();
    const listed = async () =>
      ((await api.get('/api/products?tag=raw%20applied&limit=100')).body.data as { id: number }[]).map((p) => p.id);
    expect((await detail(productId)).tags).toEqual([]);
    expect(await listed()).not.toContain(productId);
    expect((await write('POST', `/api/products/${productId}/tags`, { name: 'raw applied' })).status).toBe(201);
    expect((await detail(productId)).tags).toEqual(['raw applied']);
    expect(await listed()).toContain(productId);
  });

  it('DELETE /api/products/:id/tags/:tag_id → the product detail no longer shows it', async () => {
    const productId = await newProduct();
    const tagId = await seedProductTag(sql, productId, 'raw removed', 'manual');
    expect((await detail(productId)).tags).toEqual(['raw removed']);
    expect((await write('DELETE', `/api/products/${productId}/tags/${tagId}`)).status).toBe(204);
    expect((await detail(productId)).tags).toEqual([]);
  });
});

describe('assets', () => {
  it('POST /api/assets → the asset list has it', async () => {
    const urls = async () =>
      ((await api.get('/api/assets?limit=100')).body.data as { url: string }[]).map((a) => a.url);
    const url = 'https://cdn.example.com/raw-new.png';
    expect(await urls()).not.toContain(url);
    expect((await write('POST', '/api/assets', { kind: 'image', url })).status).toBe(201);
    expect(await urls()).toContain(url);
  });

  it('POST /api/products/:id/assets → the product detail and the product-filtered asset list show it', async () => {
    const productId = await newProduct();
    const assetId = await seedAsset(sql);
    const filtered = async () =>
      ((await api.get(`/api/assets?product_id=${productId}`)).body.data as { id: string }[]).map((a) => a.id);
    expect((await detail(productId)).assets).toEqual([]);
    expect(await filtered()).toEqual([]);
    const mapped = await write('POST', `/api/products/${productId}/assets`, { asset_id: assetId, role: 'featured' });
    expect(mapped.status).toBe(201);
    expect((await detail(productId)).assets).toMatchObject([{ asset_id: assetId, role: 'featured' }]);
    expect(await filtered()).toEqual([assetId]);
  });

  it('PATCH /api/asset-mappings/:id → the product detail shows the new position', async () => {
    const productId = await newProduct();
    const mappingId = await seedMapping(sql, { productId, assetId: await seedAsset(sql), source: 'manual' });
    expect((await detail(productId)).assets).toMatchObject([{ mapping_id: mappingId, position: 0 }]);
    expect((await write('PATCH', `/api/asset-mappings/${mappingId}`, { position: 4 })).status).toBe(200);
    expect((await detail(productId)).assets).toMatchObject([{ mapping_id: mappingId, position: 4 }]);
  });

  it('DELETE /api/asset-mappings/:id → the product detail no longer shows it', async () => {
    const productId = await newProduct();
    const mappingId = await seedMapping(sql, { productId, assetId: await seedAsset(sql), source: 'manual' });
    expect((await detail(productId)).assets).toHaveLength(1);
    expect((await write('DELETE', `/api/asset-mappings/${mappingId}`)).status).toBe(204);
    expect((await detail(productId)).assets).toEqual([]);
  });
});

describe('staff', () => {
  it('PATCH /api/staff/:id (a role change) → /api/me and the staff list show the new role', async () => {
    expect((await api.get('/api/me', { as: 'viewer' })).body.role).toBe('viewer');
    const roleIn = async () =>
      ((await api.get('/api/staff', { as: 'admin' })).body.data as { id: string; role: string }[]).find(
        (p) => p.id === staffIds.viewer,
      )?.role;
    expect(await roleIn()).toBe('viewer');
    const changed = await api.request('PATCH', `/api/staff/${staffIds.viewer}`, {
      as: 'admin',
      body: { role: 'staff' },
    });
    expect(changed.status).toBe(200);
    expect((await api.get('/api/me', { as: 'viewer' })).body.role).toBe('staff');
    expect(await roleIn()).toBe('staff');
    // …and the Access middleware authorises by it at once: a staff-only write now succeeds.
    expect((await api.request('POST', '/api/tags', { as: 'viewer', body: { name: 'raw promoted' } })).status).toBe(201);
    await api.request('PATCH', `/api/staff/${staffIds.viewer}`, { as: 'admin', body: { role: 'viewer' } });
    expect((await api.get('/api/me', { as: 'viewer' })).body.role).toBe('viewer');
  });
});

describe('sync runs and parity checks', () => {
  it('POST /api/sync-runs → the list and the run show it; a status change shows at once when polled', async () => {
    const ids = async () => ((await api.get('/api/sync-runs')).body.data as { id: string }[]).map((r) => r.id);
    await ids();
    const requested = await write('POST', '/api/sync-runs', { kind: 'marts' });
    expect(requested.status).toBe(202);
    expect(await ids()).toContain(requested.body.id);
    expect((await api.get(`/api/sync-runs/${requested.body.id}`)).body.status).toBe('queued');
    await sql`update procedure_execution set status = 'succeeded', finished_at = now()
              where procedure_execution_id = ${requested.body.id}`;
    expect((await api.get(`/api/sync-runs/${requested.body.id}`)).body.status).toBe('succeeded');
  });

  it('POST /api/parity-checks → the list and the run show it', async () => {
    const ids = async () => ((await api.get('/api/parity-checks')).body.data as { id: string }[]).map((r) => r.id);
    await ids();
    const requested = await write('POST', '/api/parity-checks', {});
    expect(requested.status).toBe(202);
    expect(await ids()).toContain(requested.body.id);
    expect((await api.get(`/api/parity-checks/${requested.body.id}`)).status).toBe(200);
    await sql`update procedure_execution set status = 'succeeded', finished_at = now()
              where procedure_execution_id = ${requested.body.id}`;
  });

  it('the cutover gate counts a run stored a moment ago', async () => {
    const runs = async () => ((await api.get('/api/cutover-gate')).body.runs as unknown[]).length;
    const before = await runs();
    await sql`
      with execution as (
        insert into procedure_execution (procedure_kind, status, trigger_source, started_at, finished_at)
        values ('parity_check', 'succeeded', 'test', now(), now()) returning procedure_execution_id, started_at)
      insert into parity_check_execution
        (procedure_execution_id, verdict, window_from_date, window_to_date, check_results, started_at, finished_at)
      select procedure_execution_id, 'pass', '2026-10-01', '2026-10-30', '[]', started_at, started_at from execution`;
    expect(await runs()).toBe(before + 1);
  });
});

describe('execution state (what the ingest Worker polls)', () => {
  it('fault: a stale cached read during polling — findExecution (execution polling, the sync child lookups) and nudgeExecution see a status changed a moment ago', {
    tags: ['fault'],
  }, async () => {
    const [row] = await sql<{ id: string }[]>`
      insert into procedure_execution (procedure_kind, status) values ('products', 'running')
      returning procedure_execution_id as id`;
    const id = row?.id as string;
    const sent: unknown[] = [];
    const queue = { send: async (message: unknown) => void sent.push(message) } as unknown as Queue<never>;
    await withWorkerDatabase(async ({ sql: workerSql }) => {
      expect((await findExecution(workerSql, id))?.status).toBe('running');
      expect(await nudgeExecution(workerSql, queue, id)).toBe(false);
    });
    await sql`update procedure_execution set status = 'waiting', step_count = 2 where procedure_execution_id = ${id}`;
    await withWorkerDatabase(async ({ sql: workerSql }) => {
      expect((await findExecution(workerSql, id))?.status).toBe('waiting');
      expect(await nudgeExecution(workerSql, queue, id)).toBe(true);
    });
    expect(sent).toEqual([{ procedureExecutionId: id, step: 2 }]);
    recordFault(
      'a stale cached read during polling',
      "the polling queries answered once through the Hyperdrive cache emulation (warming its entry), then the execution's status changed behind it",
      `the next poll saw status waiting at step 2 and nudged it (${sent.length} message)`,
    );
  });
});
