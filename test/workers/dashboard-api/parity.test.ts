/**
 * The parity endpoints, the cutover gate and the cutover console, through workerd against Postgres:
 * staff start a run (202, queued on INGEST_QUEUE), the run executes as the ingest Worker's consumer
 * would run it, and its stored results come back through the list, the detail and the console.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase } from '#shared/db/client.ts';
import type { Sql } from '#shared/db/types.ts';
import type { Env } from '#shared/env.ts';
import { PROCEDURES } from '#shared/procedures/registry.ts';
import { runProcedureExecution } from '#shared/procedures/runner.ts';
import { type Api, createApi, openTestSql, type Role, seedMartRow, seedStaff } from './support/api.ts';

let api: Api;
let sql: Sql;
let legacy: Sql;

beforeAll(async () => {
  api = await createApi();
  sql = openTestSql();
  legacy = openTestSql('legacy');
  await seedStaff(sql);
});

afterAll(async () => {
  await sql.end({ timeout: 5 });
  await legacy.end({ timeout: 5 });
});

beforeEach(async () => {
  await sql`delete from parity_check_execution`;
  await sql`delete from procedure_execution`;
  await sql`delete from performance_measurement_dataset`;
});

/** What the ingest Worker's queue consumer does with the message. */
async function runQueued(id: string, env: Env = api.env): Promise<void> {
  const ctx = createExecutionContext();
  const database = openDatabase(env.HYPERDRIVE);
  try {
    await runProcedureExecution({ procedures: PROCEDURES, database, env, ctx, procedureExecutionId: id });
  } finally {
    closeDatabase(database, ctx);
  }
  await waitOnExecutionContext(ctx);
}

const trigger = (as: Role = 'staff', body?: unknown) => api.request('POST', '/api/parity-checks', { as, body });

/** Parity results as if a run of `hoursAgo` hours ago had stored them. */
async function seedRun(
  hoursAgo: number,
  verdict: 'pass' | 'fail' | 'error',
  failing: string[] = [],
  parameters: { from?: string; to?: string; tolerance?: number } = {},
): Promise<string> {
  const checks = ['dataset_row_count', 'top_products', 'tag_count'].map((name) => ({
    name,
    legacy_value: 1,
    new_value: 1,
    difference: 0,
    tolerance: parameters.tolerance ?? 0.01,
    verdict: failing.includes(name) ? 'fail' : 'pass',
    details: { summary: `${name} summary` },
  }));
  const [row] = await sql<{ id: string }[]>`
    with execution as (
      insert into procedure_execution
        (procedure_kind, status, trigger_source, parameters, requested_at, started_at, finished_at)
      values ('parity_check', 'succeeded', 'test', ${JSON.stringify(parameters)}::text::jsonb, now() - ${hoursAgo} * interval '1 hour',
              now() - ${hoursAgo} * interval '1 hour', now() - ${hoursAgo} * interval '1 hour' + interval '2 seconds')
      returning procedure_execution_id, started_at
    )
    insert into parity_check_execution
      (procedure_execution_id, verdict, window_from_date, window_to_date, check_results, started_at, finished_at)
    select procedure_execution_id, ${verdict}, '2026-10-01', '2026-10-30', ${JSON.stringify(checks)}::text::jsonb,
           started_at, started_at + interval '2 seconds'
    from execution
    returning procedure_execution_id as id`;
  return row?.id as string;
}

describe('POST /api/parity-checks', () => {
  it('queues a run for staff: 202 with the run id, recorded as a parity_check execution', async () => {
    const response = await trigger();
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({
      id: expect.any(String),
      status: 'queued',
      verdict: null,
      window: null,
      checks: [],
      trigger_source: 'api:staff@example.com',
    });
    const [execution] = await sql`
      select procedure_kind, status, concurrency_key from procedure_execution
      where procedure_execution_id = ${response.body.id}`;
    expect(execution).toEqual({ procedure_kind: 'parity_check', status: 'queued', concurrency_key: 'parity_check' });
  });

  it('is 409 while a run is queued or running, and 403 for viewers', async () => {
    expect((await trigger()).status).toBe(202);
    const again = await trigger();
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
    const viewer = await trigger('viewer');
    expect(viewer.status).toBe(403);
    expect(viewer.body.error).toEqual({ code: 'forbidden', message: 'this needs the staff role; you have viewer' });
    expect((await api.request('POST', '/api/parity-checks', { as: null })).status).toBe(401);
  });

  it('validates the optional window and tolerance', async () => {
    const response = await trigger('staff', { from: '2026-10-10', to: '2026-10-01', tolerance: 2, extra: true });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_request');
    const paths = response.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['tolerance']));
  });

  it('runs with the requested window and tolerance, as an ad hoc run; a window without data fails: nothing to compare', async () => {
    const response = await trigger('staff', { from: '2026-10-01', to: '2026-10-10', tolerance: 0.05 });
    expect(response.status).toBe(202);
    expect(response.body.standard).toBe(false);
    await runQueued(response.body.id);
    const run = await api.get(`/api/parity-checks/${response.body.id}`);
    expect(run.body).toMatchObject({
      status: 'succeeded',
      verdict: 'fail',
      standard: false,
      window: { from: '2026-10-01', to: '2026-10-10' },
    });
    for (const check of run.body.checks) expect(check.tolerance).toBe(0.05);
    const daily = run.body.checks.find((c: { name: string }) => c.name === 'daily_net_sales');
    expect(daily.verdict).toBe('fail');
    expect(daily.details.summary).toMatch(/^nothing to compare: neither system has dated data/);
  });

  it('a run without parameters, or with the configured tolerance, is standard; PARITY_TOLERANCE configures it', async () => {
    const plain = await trigger();
    expect(plain.body.standard).toBe(true);
    await runQueued(plain.body.id);
    const finished = await api.get(`/api/parity-checks/${plain.body.id}`);
    expect(finished.body.standard).toBe(true);
    for (const check of finished.body.checks) expect(check.tolerance).toBe(0.01);
    const explicit = await trigger('staff', { tolerance: 0.01 });
    expect(explicit.body.standard).toBe(true);
    await sql`delete from procedure_execution where status = 'queued'`;
    // With a configured 2%, a 1% run is ad hoc; the queue consumer uses 2% when none is asked for.
    const env = { PARITY_TOLERANCE: '0.02' };
    expect((await api.get(`/api/parity-checks/${plain.body.id}`, { env })).body.standard).toBe(false);
    const configured = await api.request('POST', '/api/parity-checks', { as: 'staff', env });
    expect(configured.body.standard).toBe(true);
    await runQueued(configured.body.id, { ...api.env, ...env } as Env);
    const run = await api.get(`/api/parity-checks/${configured.body.id}`, { env });
    expect(run.body.standard).toBe(true);
    for (const check of run.body.checks) expect(check.tolerance).toBe(0.02);
    const list = await api.get('/api/parity-checks', { env });
    expect(list.body.data.map((r: { standard: boolean }) => r.standard)).toEqual([true, false]);
    const broken = await api.get('/api/parity-checks', { env: { PARITY_TOLERANCE: '5' } });
    expect(broken.status).toBe(503);
    expect(broken.body.error.message).toMatch(/PARITY_TOLERANCE/);
  });

  it('refuses windows longer than 731 days, like dashboard windows, and queues nothing', async () => {
    for (const body of [
      { from: '2020-01-01', to: '2026-10-01' },
      { from: '2024-01-01', to: '2026-01-01' },
      { from: '1990-01-01' },
    ]) {
      const response = await trigger('staff', body);
      expect(response.status).toBe(400);
      expect(response.body.error.details).toContainEqual({
        path: 'from',
        message: 'must leave a window of at most 731 days',
      });
    }
    expect((await trigger('staff', { from: '2024-01-01', to: '2025-12-31' })).status).toBe(202);
    const [{ count } = { count: 0 }] = await sql<{ count: number }[]>`
      select count(*)::int as count from procedure_execution`;
    expect(count).toBe(1);
  });
});

describe('GET /api/parity-checks and /api/parity-checks/:id', () => {
  it("return a finished run's stored results: every check with both values, the difference, the tolerance and the verdict", async () => {
    // The new side has mart rows the (empty) legacy side lacks: the dataset check fails.
    await seedMartRow(sql, { productId: 7, date: '2026-09-01', gross: '10.00' });
    await seedMartRow(sql, { productId: 8, date: '2026-09-02', gross: '12.50' });
    const queued = await trigger();
    await runQueued(queued.body.id);

    const detail = await api.get(`/api/parity-checks/${queued.body.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ id: queued.body.id, status: 'succeeded', verdict: 'fail', error: null });
    expect(detail.body.checks.map((c: { name: string }) => c.name)).toEqual([
      'dataset_row_count',
      'daily_net_sales',
      'top_products',
      'classification_distribution',
      'denotation_coverage',
      'tag_count',
    ]);
    const dataset = detail.body.checks[0];
    expect(dataset).toMatchObject({ legacy_value: 0, new_value: 2, difference: 1, tolerance: 0.01, verdict: 'fail' });
    expect(dataset.details.differing_keys).toEqual([
      expect.objectContaining({
        product_id: 7,
        metric_date: '2026-09-01',
        difference: 'missing_on_legacy',
        legacy: null,
      }),
      expect.objectContaining({
        product_id: 8,
        metric_date: '2026-09-02',
        difference: 'missing_on_legacy',
        legacy: null,
      }),
    ]);
    // The window (the 30 days before today) has no dated data on either side: nothing to compare.
    expect(detail.body.checks[1]).toMatchObject({ name: 'daily_net_sales', verdict: 'fail' });
    expect(detail.body.checks[1].details.summary).toMatch(/^nothing to compare/);
    for (const check of detail.body.checks.slice(2)) expect(check.verdict).toBe('pass');

    const list = await api.get('/api/parity-checks');
    expect(list.status).toBe(200);
    expect(list.body.next_cursor).toBeNull();
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0].checks[0]).toEqual({
      name: 'dataset_row_count',
      legacy_value: 0,
      new_value: 2,
      difference: 1,
      tolerance: 0.01,
      verdict: 'fail',
      summary: dataset.details.summary,
    });
  });

  it('pages newest first with the legacy list conventions', async () => {
    const ids = [await seedRun(3, 'pass'), await seedRun(2, 'fail', ['tag_count']), await seedRun(1, 'pass')];
    const first = await api.get('/api/parity-checks?limit=2');
    expect(first.body.data.map((r: { id: string }) => r.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await api.get(`/api/parity-checks?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body).toEqual({ data: [expect.objectContaining({ id: ids[0] })], next_cursor: null });
    const failed = await api.get('/api/parity-checks?verdict=fail');
    expect(failed.body.data.map((r: { id: string }) => r.id)).toEqual([ids[1]]);
    expect((await api.get('/api/parity-checks?cursor=bogus')).status).toBe(400);
    expect((await api.get('/api/parity-checks?limit=201')).status).toBe(400);
  });

  it('is 404 for an unknown run and 400 for a malformed id', async () => {
    const missing = await api.get('/api/parity-checks/5b6f7a52-3c1d-4c8e-9f0a-2b7c1d9e8f11');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
    expect((await api.get('/api/parity-checks/not-a-uuid')).status).toBe(400);
  });

  it('a run that cannot use the legacy database is stored as an error with its cause', async () => {
    const queued = await trigger();
    const missing = new URL(api.env.LEGACY_HYPERDRIVE.connectionString);
    missing.pathname = '/no_such_legacy_database';
    const unreachable = { ...api.env, LEGACY_HYPERDRIVE: { connectionString: missing.toString() } as Hyperdrive };
    await runQueued(queued.body.id, unreachable);
    const run = await api.get(`/api/parity-checks/${queued.body.id}`);
    expect(run.body).toMatchObject({ status: 'failed', verdict: 'error', checks: [] });
    expect(run.body.error).toMatch(/no_such_legacy_database/);
    expect(run.body.window).toEqual({ from: expect.any(String), to: expect.any(String), through: null });
  });
});

describe('GET /api/cutover-gate', () => {
  it('is closed before any run', async () => {
    const gate = await api.get('/api/cutover-gate');
    expect(gate.status).toBe(200);
    expect(gate.body).toMatchObject({
      state: 'closed',
      reason: 'no standard parity run yet; the gate needs 3 passing standard runs spanning at least 24 h',
      required_runs: 3,
      minimum_span_hours: 24,
      runs: [],
    });
  });

  it('opens when the latest 3 runs passed and span at least 24 h', async () => {
    await seedRun(50, 'fail', ['top_products']);
    await seedRun(30, 'pass');
    await seedRun(10, 'pass');
    await seedRun(1, 'pass');
    const gate = await api.get('/api/cutover-gate');
    expect(gate.body).toMatchObject({ state: 'open', span_hours: 29 });
    expect(gate.body.runs).toHaveLength(3);
    expect(gate.body.reason).toBe(
      'the latest 3 standard runs all passed, spanning 29 h (needed: 3 passing standard runs spanning at least 24 h)',
    );
  });

  it('stays closed when the latest run failed, naming its failing checks', async () => {
    await seedRun(30, 'pass');
    await seedRun(10, 'pass');
    await seedRun(5, 'pass');
    await seedRun(1, 'fail', ['tag_count', 'top_products']);
    const gate = await api.get('/api/cutover-gate');
    expect(gate.body.state).toBe('closed');
    expect(gate.body.reason).toMatch(/^the latest standard run failed \(tag_count, top_products\)/);
  });

  it('looks further back than 3 runs until they span 24 h, and any failure there keeps it closed', async () => {
    await seedRun(26, 'pass');
    await seedRun(20, 'error');
    await seedRun(3, 'pass');
    await seedRun(2, 'pass');
    await seedRun(1, 'pass');
    const gate = await api.get('/api/cutover-gate');
    expect(gate.body.state).toBe('closed');
    expect(gate.body.reason).toMatch(/could not complete/);
    await sql`delete from parity_check_execution where verdict = 'error'`;
    expect((await api.get('/api/cutover-gate')).body).toMatchObject({ state: 'open', span_hours: 25 });
    expect((await api.get('/api/cutover-gate')).body.runs).toHaveLength(4);
  });

  it('is closed while the passing runs span less than the minimum', async () => {
    await seedRun(3, 'pass');
    await seedRun(2, 'pass');
    await seedRun(1, 'pass');
    const gate = await api.get('/api/cutover-gate');
    expect(gate.body).toMatchObject({ state: 'closed', span_hours: 2 });
    expect(gate.body.reason).toBe(
      'only 3 passing standard runs spanning 2 h so far; the gate needs 3 passing standard runs spanning at least 24 h',
    );
  });

  it('never counts ad hoc runs: three loose runs over 30 h leave it closed, and it says why each did not count', async () => {
    const loose = [
      await seedRun(30, 'pass', [], { tolerance: 0.99 }),
      await seedRun(15, 'pass', [], { from: '2026-01-01', to: '2026-01-02' }),
      await seedRun(1, 'pass', [], { to: '2026-01-02', tolerance: 0.5 }),
    ];
    const gate = await api.get('/api/cutover-gate');
    expect(gate.body).toMatchObject({ state: 'closed', runs: [], tolerance: 0.01 });
    expect(gate.body.reason).toMatch(/^no standard parity run yet/);
    expect(gate.body.ignored_runs).toEqual([
      {
        id: loose[2],
        started_at: expect.any(String),
        verdict: 'pass',
        standard: false,
        reason: 'ad hoc: custom window (default to 2026-01-02), tolerance 50% instead of 1%',
      },
      expect.objectContaining({ id: loose[1], reason: 'ad hoc: custom window (2026-01-01 to 2026-01-02)' }),
      expect.objectContaining({ id: loose[0], reason: 'ad hoc: tolerance 99% instead of 1%' }),
    ]);
    // Standard runs around them open it; the ad hoc ones in between are listed as not counted.
    const standard = [await seedRun(40, 'pass'), await seedRun(20, 'pass'), await seedRun(2, 'pass')];
    const open = await api.get('/api/cutover-gate');
    expect(open.body.state).toBe('open');
    expect(open.body.runs.map((r: { id: string }) => r.id)).toEqual([standard[2], standard[1], standard[0]]);
    expect(open.body.ignored_runs.map((r: { id: string }) => r.id)).toEqual([loose[2], loose[1], loose[0]]);
    // An older standard run is listed as not needed.
    const older = await seedRun(50, 'fail', ['tag_count']);
    const again = await api.get('/api/cutover-gate');
    expect(again.body.ignored_runs.at(-1)).toEqual({
      id: older,
      started_at: expect.any(String),
      verdict: 'fail',
      standard: true,
      reason: 'older than the standard runs the decision rests on',
    });
  });

  it('takes N and the span from the variables, and refuses invalid ones with 503', async () => {
    await seedRun(3, 'pass');
    await seedRun(1, 'pass');
    const env = { PARITY_GATE_REQUIRED_RUNS: '2', PARITY_GATE_MINIMUM_SPAN_HOURS: '1.5' };
    expect((await api.get('/api/cutover-gate', { env })).body).toMatchObject({
      state: 'open',
      required_runs: 2,
      minimum_span_hours: 1.5,
    });
    const broken = await api.get('/api/cutover-gate', { env: { PARITY_GATE_REQUIRED_RUNS: 'three' } });
    expect(broken.status).toBe(503);
    expect(broken.body.error.message).toMatch(/PARITY_GATE_REQUIRED_RUNS/);
  });
});

describe('the OpenAPI document', () => {
  it('describes the parity routes with their roles, bodies and responses', async () => {
    const document = (await api.get('/openapi.json', { as: null })).body;
    expect(document.paths['/api/parity-checks'].post.responses['202']).toBeDefined();
    expect(document.paths['/api/parity-checks'].post.requestBody.required).toBe(false);
    expect(document.components.schemas.NewParityRun.properties).toHaveProperty('tolerance');
    expect(document.paths['/api/parity-checks'].get.parameters).toContainEqual(
      expect.objectContaining({ name: 'cursor' }),
    );
    expect(document.paths['/api/parity-checks/{id}'].get.responses['404']).toBeDefined();
    expect(document.paths['/api/cutover-gate'].get.security).toEqual([{ cloudflareAccess: [] }]);
  });
});

describe('the cutover console', () => {
  async function page(as: Role | null, path = '/console'): Promise<{ status: number; html: string }> {
    const response = await api.get(path, { as });
    return {
      status: response.status,
      html: typeof response.body === 'string' ? response.body : JSON.stringify(response.body),
    };
  }

  it('shows the gate, the recent runs and the failing checks of the latest run to viewers, without the button', async () => {
    await seedRun(2, 'pass');
    const failing = await seedRun(1, 'fail', ['tag_count']);
    const { status, html } = await page('viewer');
    expect(status).toBe(200);
    expect(html).toContain('Cutover gate CLOSED');
    expect(html).toContain(`data-run-id="${failing}"`);
    expect(html).toContain('data-check="tag_count"');
    expect(html).toContain('tag_count summary');
    expect(html).not.toContain('<form');
    expect(html).toContain('Starting a run needs the staff role.');
  });

  it('offers staff the button, and its form POST queues a run and returns to the console', async () => {
    expect((await page('staff')).html).toContain('<form method="post" action="/console/parity-checks"');
    const posted = await api.request('POST', '/console/parity-checks', {
      as: 'staff',
      headers: { origin: 'https://api.test', 'content-type': 'application/x-www-form-urlencoded' },
      rawBody: '',
    });
    expect(posted.status).toBe(303);
    const location = posted.headers.get('location') ?? '';
    expect(location).toMatch(/^\/console\?notice=started&run=[0-9a-f-]{36}$/);
    const { html } = await page('staff', location);
    expect(html).toContain('Parity run queued');
    expect(html).toMatch(/data-status="queued"/);
    // A second click while it is queued says so instead of failing.
    const again = await api.request('POST', '/console/parity-checks', {
      as: 'staff',
      headers: { origin: 'https://api.test', 'content-type': 'application/x-www-form-urlencoded' },
      rawBody: '',
    });
    expect(again.headers.get('location')).toBe('/console?notice=already_running');
  });

  it('refuses the POST from viewers, from another origin, and without a token', async () => {
    const post = (as: Role | null, origin: string) =>
      api.request('POST', '/console/parity-checks', {
        as,
        headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
        rawBody: '',
      });
    expect((await post('viewer', 'https://api.test')).status).toBe(403);
    expect((await post('staff', 'https://evil.example')).status).toBe(403);
    expect((await post(null, 'https://api.test')).status).toBe(401);
    expect((await page(null)).status).toBe(401);
    const [{ n } = { n: -1 }] = await sql<{ n: number }[]>`select count(*)::int as n from procedure_execution`;
    expect(n).toBe(0);
  });

  it('escapes what it shows', async () => {
    const id = await seedRun(1, 'fail', ['tag_count']);
    await sql`
      update parity_check_execution
      set check_results = jsonb_set(check_results, '{2,details,summary}', to_jsonb('<script>alert(1)</script>'::text))
      where procedure_execution_id = ${id}`;
    const { html } = await page('viewer');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});
