/**
 * Redriving a failed execution (POST /executions/:id/redrive, admin, workers/ingest/src/
 * routes/executions/) on miniflare's real queue: it resumes from its last checkpoint and ends
 * with the rows of a clean run; bad requests get the error envelope and change nothing.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateStore } from '#scripts/store-generator/generate.ts';
import type { Sql } from '#shared/db/types.ts';
import type { Env } from '#shared/env.ts';
import { type ProcedureExecutionRow, recordExecution } from '#shared/procedures/execution.ts';
import worker from '#workers/ingest/src/index.ts';
import { expectRefusedWithoutChange, recordFault } from '../../support/reliability.ts';
import { createTestAccess, type TestAccess } from '../dashboard-api/support/access.ts';
import { openTestSql } from '../support/test-sql.ts';
import { archiveLines } from './support/archived-lines.ts';
import { executionRow, waitForExecution } from './support/executions.ts';
import { expectProductTablesOfTheStore } from './support/store-checks.ts';

const bindings = env as unknown as Env;
let sql: Sql;
let legacy: Sql;
let access: TestAccess;

beforeAll(async () => {
  sql = openTestSql('app', { max: 3 });
  legacy = openTestSql('legacy');
  access = await createTestAccess();
  await sql`insert into person (email, role_name) values ('ops@example.com', 'admin'), ('clerk@example.com', 'staff')
            on conflict do nothing`;
});
afterAll(async () => {
  await sql.end({ timeout: 5 });
  await legacy.end({ timeout: 5 });
});
beforeEach(async () => {
  await sql`truncate material_artifact, act_of_sale, media_content_entity, tag_designation, quarantined_line,
            ingest_staged_object, information_bearing_entity, procedure_execution cascade`;
  await legacy`truncate products, orders, assets, tags cascade`;
});

async function request(method: string, path: string, email = 'ops@example.com', body?: unknown) {
  const ctx = createExecutionContext();
  const headers: Record<string, string> = email ? await access.headers({ email }) : {};
  const response = await worker.fetch(
    new Request(`https://ingest.test${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    access.env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A test double around the real bucket: the `nth` read (1-based) fails once, as an R2 outage would. */
function failNthRead(bucket: R2Bucket, nth: number) {
  let reads = 0;
  const patched = bucket as unknown as Record<string, unknown>;
  const get = bucket.get;
  patched.get = async (...args: unknown[]) => {
    reads += 1;
    if (reads === nth) throw new Error('get: We encountered an internal error. Please try again. (10001)');
    return (get as (...a: unknown[]) => unknown).call(bucket, ...args);
  };
  return () => {
    delete patched.get;
  };
}

describe('redrive', () => {
  it('fault: a load that failed mid-way (R2 read error at its fourth segment) is redriven by an admin from its last checkpoint and loads every row once', {
    tags: ['fault'],
  }, async () => {
    const store = generateStore({ seed: 67, products: 60, orders: 0, shuffleChildren: true });
    const entity = await archiveLines(sql, bindings.RAW_ARCHIVE, 'products', store.fixture.products);
    expect(entity.segment_index.length).toBeGreaterThan(4);
    const load = await recordExecution(sql, {
      kind: 'load',
      triggerSource: 'test',
      parameters: { information_bearing_entity_id: entity.information_bearing_entity_id, units_per_step: 1 },
    });
    const id = load.procedure_execution_id;
    const restore = failNthRead(bindings.RAW_ARCHIVE, 4);
    let failed: ProcedureExecutionRow;
    try {
      await bindings.INGEST_QUEUE.send({ procedureExecutionId: id, step: 0 });
      failed = await waitForExecution(sql, id);
    } finally {
      restore();
    }
    expect(failed.status).toBe('failed');
    expect(failed.error_text).toContain('internal error');
    expect(failed.step_count, 'failed after some steps were done').toBeGreaterThan(0);
    recordFault(
      'an R2 read error mid-load, then a redrive',
      "the archive's 4th segment read failed on every delivery (failNthRead)",
      `execution failed at step ${failed.step_count}: ${failed.error_text}; redriven by an admin below`,
    );

    const redriven = await request('POST', `/executions/${id}/redrive`);
    expect(redriven.status, JSON.stringify(redriven.body)).toBe(202);
    expect(redriven.body).toMatchObject({
      procedure_execution_id: id,
      status: 'waiting',
      step: failed.step_count,
      error: null,
      previous_error: failed.error_text,
    });
    // the audit trail names who redrove it, with the state before and after
    const audit = await sql`select action_kind, actor_description, before_state, after_state from staff_action
                            where target_kind = 'procedure_execution' and target_id = ${id}`;
    expect(audit).toEqual([
      {
        action_kind: 'execution.redrive',
        actor_description: 'ops@example.com',
        before_state: { status: 'failed', step: failed.step_count, error: failed.error_text },
        after_state: { status: 'waiting', step: failed.step_count, error: null },
      },
    ]);
    const done = await waitForExecution(sql, id, { timeoutMs: 60_000 });
    expect(done.status, done.error_text ?? '').toBe('succeeded');
    // resumed at the failed step: one claim per step, and one more for the step that failed
    expect(done.attempt_count).toBe(done.step_count + 2);
    expect(done.checkpoint_state).toMatchObject({ counts: { linesRead: store.fixture.products.length } });

    await expectProductTablesOfTheStore(legacy, sql, store);

    const state = await request('GET', `/executions/${id}`);
    expect(state.body).toMatchObject({ procedure_execution_id: id, status: 'succeeded', error: null });
  });

  it('refuses a malformed id, an unknown or unfailed execution, one whose concurrency key is taken, and non-admins, with the envelope and no change', {
    tags: ['bad-input'],
  }, async () => {
    const failedSync = await recordExecution(sql, { kind: 'full', triggerSource: 'test', concurrencyKey: 'full' });
    await sql`update procedure_execution set status = 'failed', finished_at = now(), error_text = 'Error: boom'
              where procedure_execution_id = ${failedSync.procedure_execution_id}`;
    const activeSync = await recordExecution(sql, { kind: 'full', triggerSource: 'test', concurrencyKey: 'full' });
    const refused = async (status: number, path: string, email?: string) =>
      expectRefusedWithoutChange(
        sql,
        async () => {
          const response = await request('POST', path, email);
          expect(response.status, `${path} ${JSON.stringify(response.body)}`).toBe(status);
          expect(response.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
          return response;
        },
        `POST ${path} as ${email === undefined ? 'an admin' : email || 'nobody'}`,
      );
    const redrive = (id: string) => `/executions/${id}/redrive`;
    await refused(401, redrive(failedSync.procedure_execution_id), '');
    await refused(403, redrive(failedSync.procedure_execution_id), 'clerk@example.com');
    const malformed = await refused(400, redrive('not-a-uuid'));
    expect(malformed.body).toMatchObject({
      error: { code: 'invalid_request', message: 'the execution id must be a uuid' },
    });
    await refused(404, redrive(crypto.randomUUID()));
    const notFailed = await refused(409, redrive(activeSync.procedure_execution_id));
    expect(notFailed.body).toMatchObject({ error: { details: { status: 'queued' } } });
    const taken = await refused(409, redrive(failedSync.procedure_execution_id));
    expect((taken.body.error as { message: string }).message).toMatch(/another full execution is queued or running/);
    expect((await request('GET', `/executions/${crypto.randomUUID()}`)).status).toBe(404);
    expect((await request('GET', '/executions/nope')).status).toBe(400);
    expect((await executionRow(sql, failedSync.procedure_execution_id)).error_text).toBe('Error: boom');
  });
});

describe('fail', () => {
  it('an admin fails an execution that blocks its schedule, with a reason; its concurrency key is free again', async () => {
    const stuck = await recordExecution(sql, { kind: 'full', triggerSource: 'test', concurrencyKey: 'full' });
    const id = stuck.procedure_execution_id;
    const refused = async (status: number, body: unknown, email?: string) =>
      expectRefusedWithoutChange(
        sql,
        async () => {
          const response = await request('POST', `/executions/${id}/fail`, email, body);
          expect(response.status, JSON.stringify(response.body)).toBe(status);
          return response;
        },
        `POST /executions/:id/fail ${JSON.stringify(body)} as ${email ?? 'an admin'}`,
      );
    await refused(403, { reason: 'stuck' }, 'clerk@example.com');
    await refused(400, {});
    await refused(400, { reason: '  ' });
    await refused(400, { reason: 'stuck', status: 'succeeded' });

    const failed = await request('POST', `/executions/${id}/fail`, 'ops@example.com', {
      reason: 'stuck since the outage',
    });
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({ status: 'failed', error: 'failed by ops@example.com: stuck since the outage' });
    const [audit] = await sql`select action_kind, actor_description, after_state from staff_action
                              where target_kind = 'procedure_execution' and target_id = ${id}`;
    expect(audit).toMatchObject({
      action_kind: 'execution.fail',
      actor_description: 'ops@example.com',
      after_state: { status: 'failed', error: 'failed by ops@example.com: stuck since the outage' },
    });
    const again = await refused(409, { reason: 'twice' });
    expect(again.body).toMatchObject({ error: { code: 'conflict', details: { status: 'failed' } } });
    // the key is free: another full sync can be recorded
    await recordExecution(sql, { kind: 'full', triggerSource: 'test', concurrencyKey: 'full' });
  });

  it('names a bad id before a bad body, reads a JSON body whatever its content type, and refuses one that is not JSON', {
    tags: ['bad-input'],
  }, async () => {
    const send = async (path: string, body: string, contentType?: string) => {
      const ctx = createExecutionContext();
      const headers: Record<string, string> = await access.headers({ email: 'ops@example.com' });
      if (contentType) headers['content-type'] = contentType;
      const response = await worker.fetch(
        new Request(`https://ingest.test${path}`, { method: 'POST', headers, body }),
        access.env,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const refused = (status: number, path: string, body: string, contentType?: string) =>
      expectRefusedWithoutChange(
        sql,
        async () => {
          const response = await send(path, body, contentType);
          expect(response.status, `${path} (${contentType ?? 'no content type'}) ${body}`).toBe(status);
          return response;
        },
        `POST ${path} (${contentType ?? 'no content type'}) ${body}`,
      );
    const badId = await refused(400, '/executions/not-a-uuid/fail', 'nope', 'application/json');
    expect(badId.body).toEqual({ error: { code: 'invalid_request', message: 'the execution id must be a uuid' } });
    const unknown = `/executions/${crypto.randomUUID()}/fail`;
    const malformed = await refused(400, unknown, '{"reason":', 'application/json');
    expect(malformed.body).toEqual({
      error: { code: 'invalid_request', message: 'the body must be JSON: {"reason": "why it is failed"}' },
    });
    // read without a content type: the reason is valid, so the unknown id is what is refused
    const read = await refused(404, unknown, JSON.stringify({ reason: 'stuck' }));
    expect(read.body).toMatchObject({ error: { code: 'not_found' } });
  });
});
