import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Env } from '#shared/env.ts';
import type { HealthReport } from '#shared/health.ts';
import { PROCEDURE_KINDS } from '#shared/procedures/execution.ts';
import worker from '#workers/ingest/src/index.ts';
import { createTestAccess, type TestAccess } from '../dashboard-api/support/access.ts';
import { openTestSql } from '../support/test-sql.ts';
import { runCron } from './support/worker-events.ts';

const bindings = env as unknown as Env;
const sql = openTestSql('app', { max: 1 });
afterAll(() => sql.end({ timeout: 5 }));

let access: TestAccess;
beforeAll(async () => {
  access = await createTestAccess();
  await sql`insert into person (email, role_name) values ('watcher@example.com', 'viewer') on conflict do nothing`;
});

async function fetchHealth(path: string, headers: Record<string, string>, extra: Record<string, unknown> = {}) {
  const ctx = createExecutionContext();
  const env = { ...bindings, ...access.env, ...extra } as Env;
  const response = await worker.fetch(new Request(`https://ingest.test${path}`, { headers }), env, ctx);
  await waitOnExecutionContext(ctx);
  return { status: response.status, body: await response.json() };
}

/** The detailed report, as an Access viewer reads it. */
async function health(extra: Record<string, unknown> = {}) {
  const { status, body } = await fetchHealth(
    '/health/details',
    await access.headers({ email: 'watcher@example.com' }),
    extra,
  );
  return { status, body: body as HealthReport };
}

/** The public answer: no token. */
const publicHealth = (extra: Record<string, unknown> = {}) => fetchHealth('/health', {}, extra);

/** An execution in a given state, `minutesAgo` old (requested, started, heartbeat and finished then). */
async function execution(kind: string, status: string, minutesAgo: number, error: string | null = null) {
  const finished = status === 'succeeded' || status === 'failed';
  const [row] = await sql<{ finished_at: Date | null }[]>`
    insert into procedure_execution
      (procedure_kind, status, requested_at, started_at, heartbeat_at, finished_at, error_text)
    values (${kind}, ${status}, now() - make_interval(mins => ${minutesAgo}),
            case when ${status} = 'queued' then null else now() - make_interval(mins => ${minutesAgo}) end,
            case when ${status} = 'queued' then null else now() - make_interval(mins => ${minutesAgo}) end,
            case when ${finished} then now() - make_interval(mins => ${minutesAgo}) end, ${error})
    returning finished_at`;
  return row?.finished_at ?? null;
}

describe('ingest Worker', () => {
  beforeEach(async () => {
    await sql`delete from sync_cursor`;
    await sql`delete from procedure_execution`;
  });

  it('GET /health reports the database through Hyperdrive, and no alert on a quiet system', async () => {
    const { status, body } = await health();
    expect(status).toBe(200);
    expect(body.worker).toBe('ingest');
    expect(body.database.ok).toBe(true);
    const [latest] = await sql<{ version: string }[]>`select max(version) as version from schema_migrations`;
    expect(body.database.migration_version).toBe(latest?.version);
    expect(body.alert).toBe(false);
    expect(body.alerts).toEqual([]);
    expect(body.queue).toMatchObject({ queued: 0, waiting: 0, running: 0, stalled: 0, oldest_idle_seconds: null });
    expect(body.executions_last_hour).toEqual({
      finished: 0,
      failed: 0,
      failure_rate: null,
      failure_rate_threshold: 0.2,
    });
    expect(Object.keys(body.syncs?.last_succeeded_at ?? {}).sort()).toEqual([...PROCEDURE_KINDS].sort());
    expect(Object.values(body.syncs?.last_succeeded_at ?? {})).toEqual(PROCEDURE_KINDS.map(() => null));
  });

  it('public /health says only ok or degraded; the details need an Access viewer', async () => {
    expect(await publicHealth()).toEqual({ status: 200, body: { status: 'ok' } });
    await execution('orders', 'failed', 5, 'Error: Shopify answered 500 for shop secrets');
    expect(await publicHealth()).toEqual({ status: 200, body: { status: 'degraded' } });
    const anonymous = await fetchHealth('/health/details', {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ error: { code: 'unauthenticated' } });
    expect(JSON.stringify(anonymous.body)).not.toContain('Shopify answered');
    const stranger = await fetchHealth('/health/details', await access.headers({ email: 'nobody@example.com' }));
    expect(stranger.status).toBe(403);
    expect((await health()).body.alert).toBe(true);
  });

  it('reports the last success per kind and the sync cursors', async () => {
    await execution('orders', 'succeeded', 300);
    const latestOrders = await execution('orders', 'succeeded', 90);
    await execution('orders', 'failed', 30, 'Error: boom');
    const products = await execution('products', 'succeeded', 10);
    await sql`insert into sync_cursor (resource_name, window_end_at, updated_at)
              values ('orders', '2026-11-20T10:00:00Z', '2026-11-20T10:05:00.123Z')`;
    const { body } = await health();
    expect(body.syncs?.last_succeeded_at.orders).toBe(latestOrders?.toISOString());
    expect(body.syncs?.last_succeeded_at.products).toBe(products?.toISOString());
    expect(body.syncs?.last_succeeded_at.refunds).toBeNull();
    expect(body.syncs?.cursors).toEqual({
      orders: { window_end_at: '2026-11-20T10:00:00.000Z', updated_at: '2026-11-20T10:05:00.123Z' },
    });
  });

  it('raises the alert when the last hour’s failure rate is over the threshold, and not under it', async () => {
    await execution('orders', 'succeeded', 10);
    await execution('products', 'succeeded', 20);
    await execution('orders', 'failed', 5, 'Error: Shopify answered 500');
    await execution('orders', 'failed', 120, 'Error: older than an hour, not counted');
    const { status, body } = await health();
    expect(status).toBe(200); // the API still serves; the alert is in the body
    expect(body.executions_last_hour).toMatchObject({ finished: 3, failed: 1, failure_rate: 0.3333 });
    expect(body.alert).toBe(true);
    expect(body.alerts).toEqual(['1 of 3 executions finished in the last hour failed (33.3% > 20%)']);

    const relaxed = await health({ HEALTH_FAILURE_RATE_THRESHOLD: '0.5' });
    expect(relaxed.body.executions_last_hour?.failure_rate_threshold).toBe(0.5);
    expect(relaxed.body.alert).toBe(false);
  });

  it('reports the backlog, and alerts on an execution idle too long', async () => {
    await execution('orders', 'queued', 1);
    await execution('full', 'queued', 45);
    await execution('load', 'waiting', 1);
    await execution('products', 'running', 1);
    // the 45-minute-old queued one is stalled too: not counted as such here
    let { body } = await health({ EXECUTION_STALL_SECONDS: '3600' });
    expect(body.queue).toMatchObject({ queued: 2, waiting: 1, running: 1, stalled: 0, max_idle_seconds: 1800 });
    expect(body.queue?.oldest_idle_seconds).toBeGreaterThanOrEqual(45 * 60);
    expect(body.queue?.oldest_idle_seconds).toBeLessThan(46 * 60);
    expect(body.alerts).toHaveLength(1);
    expect(body.alerts[0]).toMatch(/a queued or waiting execution has not moved for \d+ s \(> 1800 s\)/);

    ({ body } = await health({ HEALTH_BACKLOG_MAX_IDLE_SECONDS: '3600', EXECUTION_STALL_SECONDS: '3600' }));
    expect(body.alert).toBe(false);
  });

  it('degrades (503) while any execution is stalled: no heartbeat and no scheduled wake-up within the threshold', async () => {
    await execution('orders', 'running', 1);
    await execution('load', 'waiting', 1);
    let { status, body } = await health();
    expect([status, body.status, body.queue?.stalled, body.queue?.stall_seconds]).toEqual([200, 'ok', 0, 120]);

    // a running step silent for 3 minutes, and a waiting one whose wake-up was due 5 minutes ago
    await execution('refunds', 'running', 3);
    await execution('products', 'waiting', 10);
    await sql`update procedure_execution set wake_up_at = now() - interval '5 minutes' where procedure_kind = 'products'`;
    // one that waits on a wake-up still to come is not stalled, however old its heartbeat
    await execution('full', 'waiting', 10);
    await sql`update procedure_execution set wake_up_at = now() + interval '1 minute' where procedure_kind = 'full'`;
    ({ status, body } = await health());
    expect([status, body.status, body.queue?.stalled]).toEqual([503, 'degraded', 2]);
    expect(body.database.ok).toBe(true);
    expect(body.alerts).toEqual([
      '2 execution(s) stalled: no heartbeat or wake-up for over 120 s (the 15-minute cron re-sends their messages, then fails them)',
    ]);
    // the threshold is a variable
    ({ status, body } = await health({ EXECUTION_STALL_SECONDS: '240' }));
    expect([status, body.queue?.stalled]).toEqual([503, 1]);
    ({ status, body } = await health({ EXECUTION_STALL_SECONDS: '3600' }));
    expect([status, body.status, body.queue?.stalled]).toEqual([200, 'ok', 0]);
  });

  it('answers a bad threshold variable with a 503 naming it', async () => {
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request('https://ingest.test/health'),
      { ...bindings, HEALTH_FAILURE_RATE_THRESHOLD: 'lots' } as Env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('unavailable');
    expect(body.error.message).toContain('variable HEALTH_FAILURE_RATE_THRESHOLD: must be a number between 0 and 1');
  });

  it('a cron trigger records a queued ProcedureExecution, and a second one while it is active is skipped', async () => {
    for (let i = 0; i < 2; i++) {
      await runCron('*/15 * * * *');
    }
    // The queue consumer may already be running the first one (its children are not the cron's).
    const rows = await sql`
      select procedure_kind, trigger_source, parameters from procedure_execution where trigger_source like 'cron:%'`;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      procedure_kind: 'full',
      trigger_source: 'cron:*/15 * * * *',
      parameters: { mode: 'incremental' },
    });
  });

  // Last: it leaves the database behind this code's migrations.
  it('reports a database behind the migrations as degraded (503) with the command to run', async () => {
    await sql`drop table sync_cursor`;
    // The public answer says down, and nothing about why.
    expect(await publicHealth()).toEqual({ status: 503, body: { status: 'down' } });
    const { status, body } = await health();
    expect(status).toBe(503);
    expect(body.status).toBe('degraded');
    expect(body.alert).toBe(true);
    expect(body.database.ok).toBe(false);
    expect(body.database.error).toMatch(/not migrated .*relation "sync_cursor" does not exist.*npm run db:migrate/);
    expect(body.queue).toBeNull();
  });
});
