/** Scenario 13: sync runs as the legacy API showed them, read from and enqueued as ProcedureExecutions. */
import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '#shared/db/types.ts';
import type { Env } from '#shared/env.ts';
import type { IngestMessage } from '#shared/procedures/messages.ts';
import { type Api, openApiWithStaff } from './support/api.ts';

let api: Api;
let sql: Sql;
const seeded: Record<string, string> = {};

/** The real queue binding, with every message sent through it remembered. */
const sent: IngestMessage[] = [];
const realQueue = (env as unknown as Env).INGEST_QUEUE;
const recordingQueue = {
  send: async (message: IngestMessage, options?: QueueSendOptions) => {
    sent.push(message);
    return realQueue.send(message, options);
  },
  sendBatch: realQueue.sendBatch.bind(realQueue),
} as unknown as Env['INGEST_QUEUE'];

/** POST /api/sync-runs as staff, with the queue that records what was sent. */
const requestSync = (kind: string) =>
  api.request('POST', '/api/sync-runs', { as: 'staff', body: { kind }, env: { INGEST_QUEUE: recordingQueue } });

async function seedExecution(
  name: string,
  row: {
    kind: string;
    status: string;
    requested: string;
    started?: string | null;
    finished?: string | null;
    rows?: number;
    error?: string | null;
  },
) {
  const [inserted] = await sql<{ id: string }[]>`
    insert into procedure_execution
      (procedure_kind, status, requested_at, started_at, finished_at, rows_processed_count, error_text)
    values (${row.kind}, ${row.status}, ${row.requested}::timestamptz, ${row.started ?? null}::timestamptz,
            ${row.finished ?? null}::timestamptz, ${row.rows ?? 0}, ${row.error ?? null})
    returning procedure_execution_id as id`;
  seeded[name] = inserted?.id as string;
}

beforeAll(async () => {
  ({ api, sql } = await openApiWithStaff());
  await seedExecution('products', {
    kind: 'products',
    status: 'succeeded',
    requested: '2026-03-01T00:59:00Z',
    started: '2026-03-01T01:00:00.5Z',
    finished: '2026-03-01T01:05:00Z',
    rows: 1200,
  });
  await seedExecution('orders', {
    kind: 'orders',
    status: 'failed',
    requested: '2026-03-02T01:00:00Z',
    started: '2026-03-02T01:00:01Z',
    finished: '2026-03-02T01:00:09Z',
    rows: 10,
    error: 'ShopifyError: ACCESS_DENIED',
  });
  await seedExecution('marts', {
    kind: 'marts',
    status: 'waiting',
    requested: '2026-03-03T01:00:00Z',
    started: '2026-03-03T01:00:02Z',
  });
  await seedExecution('full', { kind: 'full', status: 'queued', requested: '2026-03-04T01:00:00Z' });
  await seedExecution('load', {
    kind: 'load',
    status: 'running',
    requested: '2026-03-05T01:00:00Z',
    started: '2026-03-05T01:00:00Z',
  });
});

afterAll(async () => {
  await sql.end({ timeout: 5 });
});

describe('GET /api/sync-runs', () => {
  it('lists the sync kinds newest first in the legacy shape', async () => {
    const response = await api.get('/api/sync-runs');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      data: [
        {
          id: seeded.full,
          kind: 'full',
          status: 'queued',
          started_at: '2026-03-04T01:00:00.000Z',
          finished_at: null,
          rows_processed: 0,
          error: null,
        },
        {
          id: seeded.marts,
          kind: 'marts',
          status: 'running',
          started_at: '2026-03-03T01:00:02.000Z',
          finished_at: null,
          rows_processed: 0,
          error: null,
        },
        {
          id: seeded.orders,
          kind: 'orders',
          status: 'failed',
          started_at: '2026-03-02T01:00:01.000Z',
          finished_at: '2026-03-02T01:00:09.000Z',
          rows_processed: 10,
          error: 'ShopifyError: ACCESS_DENIED',
        },
        {
          id: seeded.products,
          kind: 'products',
          status: 'succeeded',
          started_at: '2026-03-01T01:00:00.500Z',
          finished_at: '2026-03-01T01:05:00.000Z',
          rows_processed: 1200,
          error: null,
        },
      ],
      next_cursor: null,
    });
  });

  it('filters by kind and by legacy status (running includes waiting between steps), and pages', async () => {
    const ids = async (query: string) =>
      (await api.get(`/api/sync-runs?${query}`)).body.data.map((r: { id: string }) => r.id);
    expect(await ids('kind=orders')).toEqual([seeded.orders]);
    expect(await ids('status=running')).toEqual([seeded.marts]);
    expect(await ids('status=queued')).toEqual([seeded.full]);
    expect(await ids('kind=products&status=failed')).toEqual([]);
    const first = await api.get('/api/sync-runs?limit=3');
    const second = await api.get(`/api/sync-runs?limit=3&cursor=${first.body.next_cursor}`);
    expect([...first.body.data, ...second.body.data].map((r: { id: string }) => r.id)).toEqual([
      seeded.full,
      seeded.marts,
      seeded.orders,
      seeded.products,
    ]);
    expect(second.body.next_cursor).toBeNull();
  });

  it('refuses kinds that are not sync runs', async () => {
    expect((await api.get('/api/sync-runs?kind=load')).status).toBe(400);
  });
});

describe('GET /api/sync-runs/:id', () => {
  it('returns one sync run; other executions and unknown ids are 404', async () => {
    const response = await api.get(`/api/sync-runs/${seeded.orders}`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: seeded.orders, kind: 'orders', status: 'failed' });
    expect((await api.get(`/api/sync-runs/${seeded.load}`)).status).toBe(404);
    expect((await api.get('/api/sync-runs/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });
});

describe('POST /api/sync-runs', () => {
  it('records a queued execution, enqueues it for the ingest Worker and answers 202', async () => {
    const response = await requestSync('products');
    expect(response.status).toBe(202);
    expect(response.body).toEqual({
      id: expect.any(String),
      kind: 'products',
      status: 'queued',
      started_at: expect.stringMatching(/Z$/),
      finished_at: null,
      rows_processed: 0,
      error: null,
    });
    expect(sent).toContainEqual(expect.objectContaining({ procedureExecutionId: response.body.id }));
    const [row] = await sql`
      select procedure_kind, status, concurrency_key, trigger_source from procedure_execution
      where procedure_execution_id = ${response.body.id}`;
    expect(row).toEqual({
      procedure_kind: 'products',
      status: 'queued',
      concurrency_key: 'products',
      trigger_source: 'api:staff@example.com',
    });
    const listed = await api.get('/api/sync-runs?kind=products');
    expect(listed.body.data[0].id).toBe(response.body.id);
  });

  it('is 409 while a run of the same kind is queued or running; other kinds may start', async () => {
    const again = await requestSync('products');
    expect(again.status).toBe(409);
    expect(again.body).toEqual({
      error: { code: 'conflict', message: 'a products sync is already queued or running' },
    });
    const orders = await requestSync('orders');
    expect(orders.status).toBe(202);
  });

  it('is 400 for an unknown kind and 403 for viewers', async () => {
    expect((await api.request('POST', '/api/sync-runs', { as: 'staff', body: { kind: 'load' } })).status).toBe(400);
    expect((await api.request('POST', '/api/sync-runs', { as: 'viewer', body: { kind: 'marts' } })).status).toBe(403);
  });

  it('records the cause when the queue refuses the message, and leaves no queued run behind', async () => {
    const failingQueue = {
      send: async () => {
        throw new Error('Queue send failed: the queue is over its backlog limit');
      },
    } as unknown as Env['INGEST_QUEUE'];
    // the seeded queued full run was recorded without a concurrency key (as migrated history is)
    const retried = await api.request('POST', '/api/sync-runs', {
      as: 'staff',
      body: { kind: 'full' },
      env: { INGEST_QUEUE: failingQueue },
    });
    expect(retried.status).toBe(500);
    expect(retried.body).toEqual({ error: { code: 'internal', message: 'internal error' } });
    const [row] = await sql`
      select status, error_text from procedure_execution where procedure_kind = 'full' order by requested_at desc limit 1`;
    expect(row).toEqual({
      status: 'failed',
      error_text: 'Error: Queue send failed: the queue is over its backlog limit',
    });
  });
});
