import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '#shared/env.ts';
import { type HealthReport, healthReportSchema, publicHealthSchema } from '#shared/health.ts';
import worker from '#workers/dashboard-api/src/index.ts';
import { type Api, createApi, openTestSql, seedStaff } from './support/api.ts';

async function call(path: string, bindings: Partial<Env> = env as unknown as Env) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`https://api.test${path}`), bindings as Env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

let api: Api;
beforeAll(async () => {
  api = await createApi();
  const sql = openTestSql();
  await seedStaff(sql);
  await sql.end({ timeout: 5 });
});

/** The detailed report, behind Access (viewer). */
async function details(bindings: Partial<Env> = {}) {
  return api.get('/health/details', { as: 'viewer', env: bindings });
}

describe('dashboard-api /health', () => {
  it('answers the public with only ok / degraded / down, nothing else', async () => {
    const response = await call('/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('keeps the detailed report behind Access: 401 without a token, 200 for a viewer', async () => {
    const anonymous = await api.get('/health/details', { as: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('unauthenticated');
    const document = (await api.get('/openapi.json', { as: null })).body;
    expect(document.paths['/health/details'].get.security).toEqual([{ cloudflareAccess: [] }]);
    expect(document.paths['/health'].get.security).toBeUndefined();
  });

  it('reports the database round trip and the applied migration version through Hyperdrive', async () => {
    const response = await details();
    expect(response.status).toBe(200);
    const body = response.body as HealthReport;
    expect(body.status).toBe('ok');
    expect(body.worker).toBe('dashboard-api');
    expect(body.database.round_trip_ms).toBeGreaterThan(0);
    expect(body.database.migration_version).toMatch(/^\d{14}$/);
    expect(body.alert).toBe(false);
    expect(body.queue).toMatchObject({ queued: 0, waiting: 0, running: 0 });
    expect(body.executions_last_hour).toMatchObject({ finished: 0, failure_rate: null });
  });

  it('is described in the OpenAPI document by the same schema it answers with', async () => {
    expect(healthReportSchema.safeParse((await details()).body).success).toBe(true);
    expect(publicHealthSchema.safeParse(await (await call('/health')).json()).success).toBe(true);
  });

  it('answers a missing binding with a 503 naming it, not a stack trace', async () => {
    const { HYPERDRIVE: _, ...withoutHyperdrive } = env as unknown as Env;
    const response = await call('/health', withoutHyperdrive);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('unavailable');
    expect(body.error.message).toContain('missing binding HYPERDRIVE');
  });

  it('answers unknown routes with the legacy error envelope', async () => {
    // (under /api/ a caller without an Access token is answered 401 first: see access.test.ts)
    const response = await call('/nope');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: 'not_found', message: 'no route for GET /nope' } });
  });
});
