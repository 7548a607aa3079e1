/**
 * The console's money and product names as the database holds them, and the syncs page
 * (/console/syncs) and its forms, through workerd against Postgres: the
 * running and recent ProcedureExecutions as trees with a load's bytes read of its archived object
 * and a failure's cause; viewers read it, staff start a sync or a parity run from it (same-origin
 * form POSTs, the same one-at-a-time rule as POST /api/sync-runs).
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sql } from '#shared/db/types.ts';
import { type Api, openApiWithStaff, type Role, seedProduct } from './support/api.ts';

let api: Api;
let sql: Sql;

beforeAll(async () => {
  ({ api, sql } = await openApiWithStaff());
  return () => sql.end({ timeout: 5 });
});

beforeEach(async () => {
  await sql`delete from information_bearing_entity`;
  await sql`delete from parity_check_execution`;
  await sql`delete from procedure_execution`;
  await sql`delete from configuration_setting where setting_key = 'currency'`;
  await sql`delete from material_artifact`;
});

async function page(as: Role | null, path = '/console/syncs'): Promise<{ status: number; html: string }> {
  const response = await api.get(path, { as });
  return { status: response.status, html: String(response.body) };
}

const post = (path: string, as: Role | null, form: string, origin = 'https://api.test') =>
  api.request('POST', path, {
    as,
    headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
    rawBody: form,
  });

async function execution(input: {
  kind: string;
  status: string;
  parent?: string;
  checkpoint?: unknown;
  parameters?: unknown;
  rows?: number;
  error?: string;
}): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    insert into procedure_execution (procedure_kind, status, parent_procedure_execution_id, checkpoint_state, parameters,
                                     rows_processed_count, error_text, started_at, heartbeat_at, finished_at)
    values (${input.kind}, ${input.status}, ${input.parent ?? null}, ${JSON.stringify(input.checkpoint ?? {})}::text::jsonb,
            ${JSON.stringify(input.parameters ?? {})}::text::jsonb, ${input.rows ?? 0}, ${input.error ?? null},
            now() - interval '10 minutes', now(),
            case when ${input.status} in ('succeeded', 'failed') then now() else null end)
    returning procedure_execution_id as id`;
  return row?.id as string;
}

describe('GET /console', () => {
  it("writes money in the shop's currency and names products by their title, linked to their ids", async () => {
    await sql`insert into configuration_setting (setting_key, setting_value) values ('currency', '"EUR"')`;
    await seedProduct(sql, { id: 7400000001, title: 'Oak serving board' });
    const checks = [
      {
        name: 'daily_net_sales',
        legacy_value: 200,
        new_value: 230,
        difference: 0.130435,
        tolerance: 0.01,
        verdict: 'fail',
        details: {
          summary: '1 of 2 days differ',
          days: [
            { date: '2026-10-01', legacy: 100, new: 100, difference: 0, verdict: 'pass' },
            { date: '2026-10-02', legacy: 100, new: 130, difference: 0.230769, verdict: 'fail' },
          ],
        },
      },
      {
        name: 'classification_distribution',
        legacy_value: { A: 1 },
        new_value: { A: 0, B: 1 },
        difference: 1,
        tolerance: 0.01,
        verdict: 'fail',
        details: {
          summary: 'buckets beyond the tolerance',
          buckets: [],
          differing_products: [{ product_id: 7400000001, legacy: 'A', new: 'B' }],
          differing_product_count: 1,
        },
      },
    ];
    await sql`
      with execution as (
        insert into procedure_execution (procedure_kind, status, trigger_source, started_at, finished_at)
        values ('parity_check', 'succeeded', 'test', now(), now()) returning procedure_execution_id)
      insert into parity_check_execution
        (procedure_execution_id, verdict, window_from_date, window_to_date, check_results, started_at, finished_at)
      select procedure_execution_id, 'fail', '2026-10-01', '2026-10-02', ${JSON.stringify(checks)}::text::jsonb, now(), now()
      from execution`;
    const { html } = await page('viewer', '/console');
    expect(html).toContain('€130.00');
    expect(html).toContain('+23.08%');
    expect(html).toContain('<a href="/api/products/7400000001">Oak serving board</a>');
    expect(html.match(/data-date="/g)).toHaveLength(2);
  });
});

describe('GET /console/syncs', () => {
  it('explains an empty database to viewers, without the forms and without refreshing', async () => {
    const { status, html } = await page('viewer');
    expect(status).toBe(200);
    expect(html).toContain('No sync has run yet');
    expect(html).not.toContain('<form');
    expect(html).toContain('needs the staff role');
    expect(html).not.toContain('http-equiv="refresh"');
  });

  it('shows a sync with its children, a load’s bytes read, a failure’s cause, and refreshes while it runs', async () => {
    const full = await execution({ kind: 'full', status: 'waiting', checkpoint: { phase: 'orders' }, rows: 40 });
    await execution({ kind: 'products', status: 'succeeded', parent: full, rows: 40 });
    const orders = await execution({ kind: 'orders', status: 'waiting', parent: full, checkpoint: { phase: 'load' } });
    const [entity] = await sql<{ id: string }[]>`
      insert into information_bearing_entity
        (object_key, resource_name, byte_count, line_count, sha256_digest, stored_byte_count, segment_index)
      values ('orders/test.jsonl.gz', 'orders', 9000000, 300, ${'a'.repeat(64)}, 3000000,
              '[[0, 1000000, 1, 100], [1000000, 1000000, 101, 100], [2000000, 1000000, 201, 100]]')
      returning information_bearing_entity_id as id`;
    const load = await execution({
      kind: 'load',
      status: 'running',
      parent: orders,
      parameters: { information_bearing_entity_id: entity?.id },
      checkpoint: { segment: 2, progress: null, counts: {} },
      rows: 200,
    });
    await execution({ kind: 'orders', status: 'failed', error: 'ShopifyError: THROTTLED three times' });

    const { html } = await page('viewer');
    expect(html).toContain('http-equiv="refresh" content="5"');
    // The load sits inside the orders child, inside the full sync.
    const fullAt = html.indexOf(`data-execution-id="${full}"`);
    const ordersAt = html.indexOf(`data-execution-id="${orders}"`);
    const loadAt = html.indexOf(`data-execution-id="${load}"`);
    expect(fullAt).toBeGreaterThan(-1);
    expect(ordersAt).toBeGreaterThan(fullAt);
    expect(loadAt).toBeGreaterThan(ordersAt);
    expect(html.slice(ordersAt, loadAt)).toContain('<ul>');
    expect(html).toContain('phase: reading segment 3 of 3');
    expect(html).toContain('aria-valuenow="67"');
    expect(html).toContain('1.9 MiB of 2.9 MiB read (67%)');
    expect(html).toContain('rows so far: 200');
    expect(html).toContain('ShopifyError: THROTTLED three times');
  });
});

describe('the syncs page forms', () => {
  it('lets staff start a sync: 303 back to the page, recorded and queued once per kind', async () => {
    expect((await page('staff')).html).toContain('<form method="post" action="/console/sync-runs"');
    const first = await post('/console/sync-runs', 'staff', 'kind=products');
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/console/syncs?notice=sync_started');
    const again = await post('/console/sync-runs', 'staff', 'kind=products');
    expect(again.headers.get('location')).toBe('/console/syncs?notice=sync_running');
    const rows = await sql`select procedure_kind, status, concurrency_key from procedure_execution`;
    expect(rows).toEqual([{ procedure_kind: 'products', status: 'queued', concurrency_key: 'products' }]);
    const { html } = await page('staff', '/console/syncs?notice=sync_started');
    expect(html).toContain('Sync queued');
    expect(html).toContain('data-kind="products" data-status="queued"');
  });

  it('starts a parity run from the syncs page and comes back to it', async () => {
    const posted = await post('/console/parity-checks', 'staff', 'back=syncs');
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toBe('/console/syncs?notice=started');
    const [row] = await sql`select procedure_kind, status from procedure_execution`;
    expect(row).toEqual({ procedure_kind: 'parity_check', status: 'queued' });
  });

  it('refuses viewers, other origins, no token and unknown kinds, recording nothing', async () => {
    expect((await post('/console/sync-runs', 'viewer', 'kind=full')).status).toBe(403);
    expect((await post('/console/sync-runs', 'staff', 'kind=full', 'https://evil.example')).status).toBe(403);
    expect((await post('/console/sync-runs', null, 'kind=full')).status).toBe(401);
    expect((await page(null)).status).toBe(401);
    const bad = await post('/console/sync-runs', 'staff', 'kind=everything');
    expect(bad.headers.get('location')).toBe('/console/syncs?notice=bad_kind');
    const [{ n } = { n: -1 }] = await sql<{ n: number }[]>`select count(*)::int as n from procedure_execution`;
    expect(n).toBe(0);
  });
});
