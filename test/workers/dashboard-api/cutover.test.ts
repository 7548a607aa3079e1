/**
 * The cutover gate (GET /api/cutover-gate) and the cutover console, through workerd against
 * Postgres, on parity results seeded as stored runs (parity.test.ts runs real ones).
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sql } from '#shared/db/types.ts';
import { type Api, openApiWithStaff, type Role } from './support/api.ts';
import { seedParityRun } from './support/parity-runs.ts';

let api: Api;
let sql: Sql;

beforeAll(async () => {
  ({ api, sql } = await openApiWithStaff());
  return () => sql.end({ timeout: 5 });
});

beforeEach(async () => {
  await sql`delete from parity_check_execution`;
  await sql`delete from procedure_execution`;
  await sql`delete from performance_measurement_dataset`;
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
    await seedParityRun(sql, 50, 'fail', ['top_products']);
    await seedParityRun(sql, 30, 'pass');
    await seedParityRun(sql, 10, 'pass');
    await seedParityRun(sql, 1, 'pass');
    const gate = await api.get('/api/cutover-gate');
    expect(gate.body).toMatchObject({ state: 'open', span_hours: 29 });
    expect(gate.body.runs).toHaveLength(3);
    expect(gate.body.reason).toBe(
      'the latest 3 standard runs all passed, spanning 29 h (needed: 3 passing standard runs spanning at least 24 h)',
    );
  });

  it('stays closed when the latest run failed, naming its failing checks', async () => {
    await seedParityRun(sql, 30, 'pass');
    await seedParityRun(sql, 10, 'pass');
    await seedParityRun(sql, 5, 'pass');
    await seedParityRun(sql, 1, 'fail', ['tag_count', 'top_products']);
    const gate = await api.get('/api/cutover-gate');
    expect(gate.body.state).toBe('closed');
    expect(gate.body.reason).toMatch(/^the latest standard run failed \(tag_count, top_products\)/);
  });

  it('looks further back than 3 runs until they span 24 h, and any failure there keeps it closed', async () => {
    await seedParityRun(sql, 26, 'pass');
    await seedParityRun(sql, 20, 'error');
    await seedParityRun(sql, 3, 'pass');
    await seedParityRun(sql, 2, 'pass');
    await seedParityRun(sql, 1, 'pass');
    const gate = await api.get('/api/cutover-gate');
    expect(gate.body.state).toBe('closed');
    expect(gate.body.reason).toMatch(/could not complete/);
    await sql`delete from parity_check_execution where verdict = 'error'`;
    expect((await api.get('/api/cutover-gate')).body).toMatchObject({ state: 'open', span_hours: 25 });
    expect((await api.get('/api/cutover-gate')).body.runs).toHaveLength(4);
  });

  it('is closed while the passing runs span less than the minimum', async () => {
    await seedParityRun(sql, 3, 'pass');
    await seedParityRun(sql, 2, 'pass');
    await seedParityRun(sql, 1, 'pass');
    const gate = await api.get('/api/cutover-gate');
    expect(gate.body).toMatchObject({ state: 'closed', span_hours: 2 });
    expect(gate.body.reason).toBe(
      'only 3 passing standard runs spanning 2 h so far; the gate needs 3 passing standard runs spanning at least 24 h',
    );
  });

  it('never counts ad hoc runs: three loose runs over 30 h leave it closed, and it says why each did not count', async () => {
    const loose = [
      await seedParityRun(sql, 30, 'pass', [], { tolerance: 0.99 }),
      await seedParityRun(sql, 15, 'pass', [], { from: '2026-01-01', to: '2026-01-02' }),
      await seedParityRun(sql, 1, 'pass', [], { to: '2026-01-02', tolerance: 0.5 }),
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
    const standard = [
      await seedParityRun(sql, 40, 'pass'),
      await seedParityRun(sql, 20, 'pass'),
      await seedParityRun(sql, 2, 'pass'),
    ];
    const open = await api.get('/api/cutover-gate');
    expect(open.body.state).toBe('open');
    expect(open.body.runs.map((r: { id: string }) => r.id)).toEqual([standard[2], standard[1], standard[0]]);
    expect(open.body.ignored_runs.map((r: { id: string }) => r.id)).toEqual([loose[2], loose[1], loose[0]]);
    // An older standard run is listed as not needed.
    const older = await seedParityRun(sql, 50, 'fail', ['tag_count']);
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
    await seedParityRun(sql, 3, 'pass');
    await seedParityRun(sql, 1, 'pass');
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

describe('the cutover console', () => {
  async function page(as: Role | null, path = '/console'): Promise<{ status: number; html: string }> {
    const response = await api.get(path, { as });
    return {
      status: response.status,
      html: typeof response.body === 'string' ? response.body : JSON.stringify(response.body),
    };
  }

  it('shows the gate, the recent runs and the failing checks of the latest run to viewers, without the button', async () => {
    await seedParityRun(sql, 2, 'pass');
    const failing = await seedParityRun(sql, 1, 'fail', ['tag_count']);
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
    const id = await seedParityRun(sql, 1, 'fail', ['tag_count']);
    await sql`
      update parity_check_execution
      set check_results = jsonb_set(check_results, '{2,details,summary}', to_jsonb('<script>alert(1)</script>'::text))
      where procedure_execution_id = ${id}`;
    const { html } = await page('viewer');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});
