/**
 * Part of the fault matrix of the ingest Worker (RELIABILITY.md), inside workerd through Hyperdrive
 * and miniflare's real queue and R2. Each test injects one fault into a real run and compares the
 * rows it ends with against a clean run of the same store (the legacy functions on the same data):
 * nothing lost, nothing duplicated. The counts are recorded by test/support/reliability.ts.
 *
 * - A queue message delivered twice and out of order.
 * - A poison message ends in the dead-letter queue (consumed by the ingest Worker) with its
 *   execution failed and the cause recorded, also when the database is down at its last delivery
 *   or its step's connection is killed on every delivery.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { generateStore } from '#scripts/store-generator/generate.ts';
import type { Sql } from '#shared/db/types.ts';
import type { Env } from '#shared/env.ts';
import { failExecution, type ProcedureExecutionRow, recordExecution } from '#shared/procedures/execution.ts';
import { INGEST_QUEUE_MAX_RETRIES, type IngestMessage } from '#shared/procedures/messages.ts';
import { redriveExecution } from '#shared/procedures/operator-actions.ts';
import worker from '#workers/ingest/src/index.ts';
import { expectSameRows, recordFault } from '../../support/reliability.ts';
import { archiveLines } from './support/archived-lines.ts';
import { executionRow, waitForExecution } from './support/executions.ts';
import { clearIngestState, closeFaultDatabases, openFaultDatabases } from './support/fault-databases.ts';
import { dropConnectionBlockedBy, holdInTransaction, terminateBackendBlockedBy } from './support/postgres-faults.ts';
import { expectProductTablesOfTheStore, rawRowsOfEveryTable } from './support/store-checks.ts';
import { deliverOnce } from './support/worker-events.ts';

const bindings = env as unknown as Env;
let sql: Sql;
let legacy: Sql;

beforeAll(() => {
  ({ sql, legacy } = openFaultDatabases());
});
afterAll(() => closeFaultDatabases(sql, legacy));
beforeEach(() => clearIngestState(sql, legacy));

describe('queue messages', () => {
  it('fault: delivered twice and out of order (a future step early, a step twice, finished steps again in reverse) — no step runs twice, every row once', {
    tags: ['fault'],
  }, async () => {
    const store = generateStore({ seed: 65, products: 30, orders: 0, shuffleChildren: true });
    const entity = await archiveLines(sql, bindings.RAW_ARCHIVE, 'products', store.fixture.products);
    const execution = await recordExecution(sql, {
      kind: 'load',
      triggerSource: 'test',
      parameters: { information_bearing_entity_id: entity.information_bearing_entity_id, units_per_step: 1 },
    });
    const id = execution.procedure_execution_id;
    const message = (step: number, n: string) => ({
      id: `${n}-${crypto.randomUUID()}`,
      timestamp: new Date(),
      attempts: 1,
      body: { procedureExecutionId: id, step },
    });
    // step 2 before its time, step 0, step 0 again; the real queue carries the run on from step 1
    const first = createMessageBatch<IngestMessage>('ingest-jobs', [
      message(2, 'early'),
      message(0, 'first'),
      message(0, 'twice'),
    ]);
    const ctx = createExecutionContext();
    await worker.queue(first, bindings, ctx);
    const firstAcks = (await getQueueResult(first, ctx)).explicitAcks;
    expect(firstAcks).toHaveLength(3);
    const done = await waitForExecution(sql, id, { timeoutMs: 60_000 });
    expect(done.status, done.error_text ?? '').toBe('succeeded');
    expect(done.step_count).toBeGreaterThan(3);
    expect(done.attempt_count, 'one claim per step: none ran twice').toBe(done.step_count + 1);

    // every finished step's message once more, newest first: acknowledged, nothing changes
    const late = createMessageBatch<IngestMessage>(
      'ingest-jobs',
      Array.from({ length: done.step_count + 1 }, (_, i) => message(done.step_count - i, 'late')),
    );
    const ctx2 = createExecutionContext();
    await worker.queue(late, bindings, ctx2);
    const lateAcks = (await getQueueResult(late, ctx2)).explicitAcks;
    recordFault(
      'a queue message delivered twice and out of order',
      `one batch [step 2, step 0, step 0], then ${done.step_count + 1} finished steps' messages newest first`,
      `acknowledged ${firstAcks.length} + ${lateAcks.length}; ${done.attempt_count} claims for ${done.step_count + 1} steps`,
    );
    expect(lateAcks).toHaveLength(done.step_count + 1);
    const after = await executionRow(sql, id);
    expect([after.status, after.attempt_count, after.step_count]).toEqual([
      'succeeded',
      done.attempt_count,
      done.step_count,
    ]);

    await expectProductTablesOfTheStore(legacy, sql, store);
  });
});

// ---------------------------------------------------------------- poison messages

/**
 * The execution `id` once the dead-letter queue's consumer (the ingest Worker's own) has taken the
 * letter naming it: that consumer stamps dead_lettered_at, so the letter was seen in the DLQ.
 */
async function deadLettered(id: string): Promise<ProcedureExecutionRow> {
  return waitForExecution(sql, id, { timeoutMs: 60_000, until: (row) => row.dead_lettered_at !== null });
}

describe('a poison message', () => {
  it('fault: a message the consumer cannot read is retried max_retries times, lands in the dead-letter queue, and the execution it names is failed with the cause', {
    tags: ['fault'],
  }, async () => {
    const execution = await recordExecution(sql, { kind: 'marts', triggerSource: 'test' });
    const id = execution.procedure_execution_id;
    await bindings.INGEST_QUEUE.send({ procedureExecutionId: id, step: 'first' } as unknown as IngestMessage);
    const failed = await deadLettered(id);
    recordFault(
      'a poison message',
      `INGEST_QUEUE.send(${JSON.stringify({ procedureExecutionId: id, step: 'first' })})`,
      `taken by the ingest-jobs-dlq consumer at ${failed.dead_lettered_at}; execution ${failed.status}: ${failed.error_text}`,
    );
    expect(failed.status).toBe('failed');
    expect(failed.error_text).toMatch(/not an ingest message: step: /);
    expect(failed.error_text).toContain(`gave up after ${INGEST_QUEUE_MAX_RETRIES + 1} deliveries`);
    expect(failed.attempt_count, 'no step ever ran').toBe(0);
    // nothing lost or duplicated: the execution did no work and no row appeared
    expectSameRows([], await rawRowsOfEveryTable(legacy, sql), 'rows written by the poison message');
  });

  it('fault: a message that exhausts its retries while the database is down (its last delivery cannot record why) — the dead-letter consumer fails the execution with a cause', {
    tags: ['fault'],
  }, async () => {
    const execution = await recordExecution(sql, { kind: 'marts', triggerSource: 'test' });
    const id = execution.procedure_execution_id;
    // The last delivery's write of the failure waits on this lock; its connection is then dropped.
    const holder = await holdInTransaction(
      sql,
      (h) => h`select 1 from procedure_execution where procedure_execution_id = ${id} for update`,
    );
    const errors: Record<string, unknown>[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: unknown) => {
      if (typeof line === 'string' && line.startsWith('{')) errors.push(JSON.parse(line));
    });
    let failed: ProcedureExecutionRow;
    try {
      await bindings.INGEST_QUEUE.send({ procedureExecutionId: id, step: 'first' } as unknown as IngestMessage);
      await dropConnectionBlockedBy(sql, holder, 60_000);
      failed = await waitForExecution(sql, id, {
        timeoutMs: 60_000,
        until: (row) => row.dead_lettered_at !== null,
      });
    } finally {
      vi.restoreAllMocks();
    }
    expect(errors).toContainEqual(
      expect.objectContaining({
        message: 'could not record the dead-lettered execution as failed',
        procedure_execution_id: id,
      }),
    );
    expect(errors).toContainEqual(
      expect.objectContaining({
        level: 'error',
        alert: true,
        message: 'dead-lettered execution failed',
        procedure_execution_id: id,
        error: failed.error_text,
      }),
    );
    expect(failed.status).toBe('failed');
    expect(failed.error_text).toMatch(
      /^its queue message was dead-lettered after \d+ deliveries, and the last one could not record why \(the database did not answer; its cause is in the 'queue message dead-lettered' log line of this execution\)$/,
    );
    expect(failed.attempt_count, 'no step ever ran').toBe(0);
    recordFault(
      'the database down through every delivery',
      "the execution's row locked, then the last delivery's connection dropped while it waited to record the failure",
      `taken by the ingest-jobs-dlq consumer at ${failed.dead_lettered_at}; execution ${failed.status}: ${failed.error_text}`,
    );
    expectSameRows([], await rawRowsOfEveryTable(legacy, sql), 'rows written by the dead-lettered message');
    // …and once the database answers, an admin redrives it: it runs from its checkpoint and succeeds
    await redriveExecution(sql, bindings.INGEST_QUEUE, id, {
      kind: 'service_token',
      commonName: 'local-ops.access',
      role: 'admin',
    });
    const redriven = await waitForExecution(sql, id, { timeoutMs: 60_000 });
    expect(redriven.status, redriven.error_text ?? '').toBe('succeeded');
  });

  it('fault: a step whose database connection is killed on every delivery — on the last one the execution is failed with the cause, and the message is seen in the DLQ', {
    tags: ['fault'],
    timeout: 180_000,
  }, async () => {
    const store = generateStore({ seed: 63, products: 20, orders: 0 });
    const entity = await archiveLines(sql, bindings.RAW_ARCHIVE, 'products', store.fixture.products);
    const execution = await recordExecution(sql, {
      kind: 'load',
      triggerSource: 'test',
      parameters: { information_bearing_entity_id: entity.information_bearing_entity_id },
    });
    const id = execution.procedure_execution_id;
    // an uncommitted row under the load's first line: every delivery's staging waits on it and
    // its backend is terminated there, delivery after delivery (the queue's backoff is capped at
    // 1 s in tests: INGEST_RETRY_DELAY_CAP_SECONDS)
    const holder = await holdInTransaction(
      sql,
      (h) => h`insert into ingest_staged_object (load_key, line_number, resource_name, object_type, object_id, payload)
                 values (${id}, 1, 'products', 'Product', 1, '{}')`,
    );
    const killed: number[] = [];
    try {
      await bindings.INGEST_QUEUE.send({ procedureExecutionId: id, step: 0 });
      for (let delivery = 1; delivery <= INGEST_QUEUE_MAX_RETRIES + 1; delivery++) {
        killed.push(await terminateBackendBlockedBy(sql, holder));
      }
    } finally {
      await holder`rollback`;
      holder.release();
    }
    const failed = await deadLettered(id);
    recordFault(
      'a step killed on every delivery',
      `pg_terminate_backend of the step's connection on each of ${killed.length} deliveries (pids ${killed.join(', ')})`,
      `taken by the ingest-jobs-dlq consumer at ${failed.dead_lettered_at}; execution ${failed.status}: ${failed.error_text}`,
    );
    expect(new Set(killed).size, 'a new connection each delivery, each terminated').toBe(INGEST_QUEUE_MAX_RETRIES + 1);
    expect(failed.dead_lettered_at, 'the message reached the dead-letter queue').not.toBeNull();
    expect(failed.status).toBe('failed');
    // miniflare's Hyperdrive closes the socket; a direct connection reports 57P01 (both transient)
    expect(failed.error_text).toMatch(/CONNECTION_CLOSED|terminating connection due to administrator command/);
    expect(failed.error_text).toContain(`gave up after ${INGEST_QUEUE_MAX_RETRIES + 1} deliveries`);
    // every delivery's staging was rolled back with its connection: nothing half-written remains
    const [staged] = await sql`select count(*)::int as n from ingest_staged_object`;
    expect(staged?.n).toBe(0);
    expectSameRows([], await rawRowsOfEveryTable(legacy, sql), 'rows written by the killed step');
  });

  it('a message whose step is still under its lease on its last delivery records the execution failed (the consumer was killed or timed out)', async () => {
    const execution = await recordExecution(sql, { kind: 'marts', triggerSource: 'test' });
    const id = execution.procedure_execution_id;
    // the state a consumer that died mid-step leaves (set here: no consumer is killed in this test)
    await sql`update procedure_execution set status = 'running', attempt_count = 3, heartbeat_at = now()
                where procedure_execution_id = ${id}`;
    const early = await deliverOnce({ procedureExecutionId: id, step: 0 }, 2);
    expect(early.retryMessages, 'before the last delivery: retried after the lease').toHaveLength(1);
    expect((await executionRow(sql, id)).status).toBe('running');

    const last = await deliverOnce({ procedureExecutionId: id, step: 0 }, INGEST_QUEUE_MAX_RETRIES + 1);
    expect(last.retryMessages, 'the last delivery is retried once more: into the DLQ').toHaveLength(1);
    const failed = await executionRow(sql, id);
    expect(failed.status).toBe('failed');
    expect(failed.error_text).toMatch(/step 0 never finished: the consumer running it was killed or timed out/);
    expect(failed.error_text).toContain('dead-letter queue');
  });

  it('records a cause that holds a NUL character (Postgres text cannot) instead of failing to record it', async () => {
    const execution = await recordExecution(sql, { kind: 'marts', triggerSource: 'test' });
    await failExecution(sql, execution.procedure_execution_id, new Error('Unexpected token \u0000 in JSON'));
    const failed = await executionRow(sql, execution.procedure_execution_id);
    expect(failed).toMatchObject({ status: 'failed', error_text: 'Error: Unexpected token \\0 in JSON' });
  });
});
