import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateStore } from '#scripts/store-generator/generate.ts';
import type { Sql } from '#shared/db/types.ts';
import type { Env } from '#shared/env.ts';
import { archiveJsonl, recordArchivedObject } from '#shared/ingest/archive.ts';
import type { ReplayState } from '#shared/ingest/replay.procedure.ts';
import type { ResourceName } from '#shared/ingest/shopify-objects.ts';
import worker from '#workers/ingest/src/index.ts';
import { expectRefusedWithoutChange } from '../../support/reliability.ts';
import { createTestAccess, type TestAccess } from '../dashboard-api/support/access.ts';
import { openTestSql } from '../support/test-sql.ts';
import { waitForExecution } from './support/executions.ts';
import { compareRawTables, ingestLegacy, RAW_LEGACY_TABLES } from './support/raw-tables.ts';

const bindings = env as unknown as Env;
let sql: Sql;
let legacy: Sql;
let access: TestAccess;
const store = generateStore({ seed: 51, products: 20, orders: 70, shuffleChildren: true });
const keys: Record<string, string> = {};

beforeAll(async () => {
  sql = openTestSql();
  legacy = openTestSql('legacy');
  access = await createTestAccess();
  await sql`insert into person (email, role_name) values ('ops@example.com', 'admin'), ('clerk@example.com', 'staff')`;
  await ingestLegacy(legacy, store.legacy);
  // The archive as a sync leaves it: one export per resource, written a day apart.
  const day = Date.UTC(2026, 10, 1);
  for (const [i, resource] of (['products', 'orders', 'refunds', 'deletions'] as ResourceName[]).entries()) {
    const key = `shopify/${resource}/2026-11-0${i + 1}/replay-test.jsonl.gz`;
    const bytes = store.fixture[resource].map((line) => new TextEncoder().encode(`${line}\n`));
    const entity = await recordArchivedObject(sql, await archiveJsonl(bindings.RAW_ARCHIVE, key, bytes), {
      resource,
      procedureExecutionId: null,
    });
    await sql`update information_bearing_entity set created_at = ${new Date(day + i * 86_400_000).toISOString()}
              where information_bearing_entity_id = ${entity.information_bearing_entity_id}`;
    keys[resource] = key;
  }
});
afterAll(async () => {
  await sql.end({ timeout: 5 });
  await legacy.end({ timeout: 5 });
});
beforeEach(async () => {
  await sql`update procedure_execution set status = 'failed', finished_at = now() where status in ('queued', 'running', 'waiting')`;
});

async function request(method: string, path: string, body?: unknown, email = 'ops@example.com') {
  const ctx = createExecutionContext();
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (email) Object.assign(headers, await access.headers({ email }));
  const response = await worker.fetch(
    new Request(`https://ingest.test${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    access.env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function replay(body: unknown) {
  const started = await request('POST', '/replay', body);
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  const done = await waitForExecution(sql, started.body.procedure_execution_id as string, { timeoutMs: 60_000 });
  expect(done.status, done.error_text ?? '').toBe('succeeded');
  return { started: started.body, done, report: (await request('GET', `/replay/${done.procedure_execution_id}`)).body };
}

describe('replay', () => {
  it('rebuilds lost raw rows from the archive by time range, reports counts before and after, and is idempotent', async () => {
    const first = await replay({ from: '2026-11-01T00:00:00Z', to: '2026-11-30T00:00:00Z' });
    expect(first.started.exports).toEqual([keys.products, keys.orders, keys.refunds, keys.deletions]);
    // The audit trail records who asked for it, in the execution's own transaction.
    const audit = await sql<{ action_kind: string; actor_description: string; after_state: { parameters: object } }[]>`
      select action_kind, actor_description, after_state from staff_action
      where target_kind = 'procedure_execution' and target_id = ${first.done.procedure_execution_id}`;
    expect(audit).toEqual([
      {
        action_kind: 'replay.trigger',
        actor_description: 'ops@example.com',
        after_state: expect.objectContaining({ procedure_kind: 'replay' }),
      },
    ]);
    let tables = await compareRawTables(legacy, sql);
    for (const table of RAW_LEGACY_TABLES) expect(tables[table]?.new, table).toEqual(tables[table]?.legacy);

    // Something went wrong: orders lost. Replaying the orders and refunds brings them back.
    await sql`truncate act_of_sale cascade`;
    const second = await replay({ keys: [keys.orders, keys.refunds] });
    const counts = second.report.counts as { before: Record<string, number>; after: Record<string, number> };
    expect(counts.before).toMatchObject({ act_of_sale: 0, act_of_sale_line: 0 });
    expect(counts.after.act_of_sale).toBe(store.legacy.orders.length);
    expect(counts.after.performance_measurement_dataset).toBeGreaterThan(0);
    tables = await compareRawTables(legacy, sql);
    for (const table of RAW_LEGACY_TABLES) expect(tables[table]?.new, table).toEqual(tables[table]?.legacy);

    // The same replay again changes nothing.
    const third = await replay({ from: '2026-11-01T00:00:00Z', to: '2026-11-30T00:00:00Z' });
    const again = third.report.counts as { before: Record<string, number>; after: Record<string, number> };
    expect(again.after).toEqual(again.before);
    expect(await compareRawTables(legacy, sql)).toEqual(tables);
    expect((third.done.checkpoint_state as unknown as ReplayState).entities).toHaveLength(4);
  });

  it('is for admins through Cloudflare Access, and refuses requests naming nothing, unknown exports or an oversize body, changing nothing', {
    tags: ['bad-input'],
  }, async () => {
    const refused = (status: number, method: string, path: string, body?: unknown, email?: string) =>
      expectRefusedWithoutChange(
        sql,
        async () => {
          const response = await request(method, path, body, email);
          expect(response.status, `${method} ${path} ${JSON.stringify(body)?.slice(0, 80)}`).toBe(status);
          return response;
        },
        `${method} ${path} as ${email === undefined ? 'ops@example.com' : email || 'nobody'} ${JSON.stringify(body) ?? ''}`,
        { input: `a replay request answered ${status}` },
      );
    await refused(401, 'POST', '/replay', { keys: [keys.products] }, '');
    await refused(403, 'POST', '/replay', { keys: [keys.products] }, 'clerk@example.com');
    await refused(400, 'POST', '/replay', {});
    await refused(400, 'POST', '/replay', { from: '2026-12-02T00:00:00Z', to: '2026-12-01T00:00:00Z' });
    const unknown = await refused(404, 'POST', '/replay', { keys: ['shopify/products/nope.jsonl.gz'] });
    expect(unknown.body).toMatchObject({ error: { details: { keys: ['shopify/products/nope.jsonl.gz'] } } });
    await refused(404, 'POST', '/replay', { from: '2030-01-01T00:00:00Z' });
    await refused(404, 'GET', `/replay/${crypto.randomUUID()}`);
    const oversize = await refused(413, 'POST', '/replay', {
      keys: Array.from({ length: 2000 }, (_, i) => `shopify/orders/2026-11-02/${'x'.repeat(40)}-${i}.jsonl.gz`),
    });
    expect(oversize.body).toMatchObject({ error: { code: 'payload_too_large' } });
    // another replay active: the refusal names it (the CLI prints the commands that follow or clear it)
    const [active] = await sql<{ id: string }[]>`
      insert into procedure_execution (procedure_kind, concurrency_key, trigger_source)
      values ('replay', 'replay', 'test') returning procedure_execution_id as id`;
    const blocked = await refused(409, 'POST', '/replay', { keys: [keys.products] });
    expect(blocked.body).toMatchObject({
      error: { code: 'conflict', details: { procedure_execution_id: active?.id, stalled: false } },
    });
  });

  it('reads a JSON body whatever its content type says, and refuses one that is not JSON or names nothing with what it expects', {
    tags: ['bad-input'],
  }, async () => {
    const send = async (body: string, contentType?: string) => {
      const ctx = createExecutionContext();
      const headers: Record<string, string> = await access.headers({ email: 'ops@example.com' });
      if (contentType) headers['content-type'] = contentType;
      const response = await worker.fetch(
        new Request('https://ingest.test/replay', { method: 'POST', headers, body }),
        access.env,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const refused = (status: number, body: string, contentType?: string) =>
      expectRefusedWithoutChange(
        sql,
        async () => {
          const response = await send(body, contentType);
          expect(response.status, `${contentType ?? 'no content type'}: ${body}`).toBe(status);
          return response;
        },
        `POST /replay (${contentType ?? 'no content type'}) ${body}`,
        { input: `a replay request answered ${status}` },
      );
    // Read as JSON without a content type, and with another one: the keys it names are looked up.
    const nope = JSON.stringify({ keys: ['shopify/products/nope.jsonl.gz'] });
    for (const contentType of [undefined, 'text/plain']) {
      const unknown = await refused(404, nope, contentType);
      expect(unknown.body).toMatchObject({ error: { details: { keys: ['shopify/products/nope.jsonl.gz'] } } });
    }
    for (const body of ['', '{"keys": [', 'keys=a']) {
      const malformed = await refused(400, body, 'application/json');
      expect(malformed.body).toEqual({
        error: { code: 'invalid_request', message: 'the body must be JSON: {"from"?, "to"?, "keys"?}' },
      });
    }
    const invalid = await refused(400, JSON.stringify({ keys: 'one' }), 'application/json');
    expect(invalid.body).toMatchObject({
      error: { code: 'invalid_request', message: 'invalid replay request', details: [{ path: ['keys'] }] },
    });
    const badId = await request('GET', '/replay/not-a-uuid');
    expect(badId).toEqual({
      status: 400,
      body: { error: { code: 'invalid_request', message: 'the replay id must be a uuid' } },
    });
  });
});
