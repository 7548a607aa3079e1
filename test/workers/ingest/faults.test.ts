/**
 * The fault matrix of the ingest Worker (RELIABILITY.md), inside workerd through Hyperdrive and
 * miniflare's real queue and R2. Each test injects one fault into a real run and compares the rows
 * it ends with against a clean run of the same store (the legacy functions on the same data):
 * nothing lost, nothing duplicated. The counts are recorded by test/support/reliability.ts.
 *
 * - Postgres drops the connection of a load step and of a mart refresh (pg_terminate_backend of
 *   the Worker's backend, held deterministically behind a lock the test owns): the step is given
 *   back to the queue and completes on redelivery.
 * - R2 fails the first write of every archived object once.
 * - A queue message delivered twice and out of order.
 * - A poison message ends in the dead-letter queue (consumed by the ingest Worker) with its execution
 *   failed and the cause recorded.
 * - Two syncs of the same resource started at once: one runs, the other is refused.
 */
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import type postgres from 'postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type GeneratedStore, generateStore, type StoreOptions } from '#scripts/store-generator/generate.ts';
import type { Sql } from '#shared/db/types.ts';
import type { Env } from '#shared/env.ts';
import { DomainError } from '#shared/errors.ts';
import { archiveJsonl, recordArchivedObject } from '#shared/ingest/archive.ts';
import type { ResourceName } from '#shared/ingest/shopify-objects.ts';
import { refreshPerformanceDataset } from '#shared/marts/performance-dataset.ts';
import {
  ExecutionConflictError,
  failExecution,
  type ProcedureExecutionRow,
  recordExecution,
} from '#shared/procedures/execution.ts';
import { INGEST_QUEUE_MAX_RETRIES, type IngestMessage } from '#shared/procedures/messages.ts';
import { redriveExecution } from '#shared/procedures/operator-actions.ts';
import { enqueueExecution } from '#shared/procedures/runner.ts';
import { triggerSyncRun } from '#shared/procedures/sync-runs.ts';
import worker from '#workers/ingest/src/index.ts';
import {
  legacyDailyTotals,
  legacyMartRows,
  loadLegacyStore,
  loadNewStore,
  newDailyTotals,
  newMartRows,
} from '../../support/marts-oracle.ts';
import { expectSameRows, expectSameTables, recordFault } from '../../support/reliability.ts';
import { openTestSql } from '../support/test-sql.ts';
import { curatedRows } from './support/curated-tables.ts';
import { waitForExecution } from './support/executions.ts';
import { compareRawTables, ingestLegacy, RAW_LEGACY_TABLES } from './support/raw-tables.ts';
import { simulator } from './support/simulator.ts';

const bindings = env as unknown as Env;
let sql: Sql;
let legacy: Sql;

beforeAll(() => {
  sql = openTestSql('app', { max: 3 });
  legacy = openTestSql('legacy');
});
afterAll(async () => {
  await simulator.reset();
  await sql.end({ timeout: 5 });
  await legacy.end({ timeout: 5 });
});
beforeEach(async () => {
  await sql`truncate material_artifact, act_of_sale, media_content_entity, tag_designation, quarantined_line,
            ingest_staged_object, information_bearing_entity, procedure_execution, sync_cursor,
            performance_measurement_dataset, performance_measurement_daily_total,
            performance_measurement_refresh_key, performance_measurement_refresh_state cascade`;
  await sql`delete from configuration_setting where setting_key in ('shop_timezone', 'currency')`;
  await legacy`truncate products, orders, assets, tags, mart_performance_metrics cascade`;
});

const encoder = new TextEncoder();

async function* chunks(body: string, size = 1000): AsyncGenerator<Uint8Array> {
  const bytes = encoder.encode(body);
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

async function archive(resource: ResourceName, lines: string[], segmentBytes = 4096) {
  const key = `test/${resource}-${crypto.randomUUID()}.jsonl.gz`;
  const body = lines.map((l) => `${l}\n`).join('');
  const archived = await archiveJsonl(bindings.RAW_ARCHIVE, key, chunks(body), { segmentBytes });
  return recordArchivedObject(sql, archived, { resource, procedureExecutionId: null });
}

/** Every raw table of the new side against the legacy functions' rows for the same store. */
async function expectRawTablesOfTheStore(tables: readonly string[] = RAW_LEGACY_TABLES) {
  const compared = await compareRawTables(legacy, sql);
  const wanted = (side: 'legacy' | 'new') =>
    Object.fromEntries(tables.map((table) => [table, compared[table]?.[side] ?? []]));
  expectSameTables(wanted('legacy'), wanted('new'));
}

/** The store's products (no orders) fed to the legacy functions, then the product-side raw tables compared. */
async function expectProductTablesOfTheStore(store: GeneratedStore) {
  await ingestLegacy(legacy, { products: store.legacy.products, orders: [], deletedProductIds: [] });
  await expectRawTablesOfTheStore([
    'products',
    'product_variants',
    'assets',
    'product_asset_mappings',
    'tags',
    'tag_classifications',
  ]);
}

/**
 * Drops the Worker's database connection at a chosen point: `holder` holds a lock the Worker's
 * next statement waits for; once a backend is waiting on it, that backend is terminated from this
 * second connection (pg_terminate_backend, as a failover or an operator would), then the lock is
 * released. Returns the terminated backend's pid.
 */
async function dropConnectionBlockedBy(holder: postgres.ReservedSql, timeoutMs = 45_000): Promise<number> {
  try {
    return await terminateBackendBlockedBy(holder, timeoutMs);
  } finally {
    await holder`rollback`;
    holder.release();
  }
}

/**
 * The next backend that comes to wait on `holder`'s lock, terminated and gone from
 * pg_stat_activity (the lock stays held).
 */
async function terminateBackendBlockedBy(holder: postgres.ReservedSql, timeoutMs = 45_000): Promise<number> {
  const [{ pid: holderPid } = { pid: 0 }] = await holder<{ pid: number }[]>`select pg_backend_pid() as pid`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [blocked] = await sql<{ pid: number }[]>`
      select pid from pg_stat_activity where ${holderPid}::int = any(pg_blocking_pids(pid))`;
    if (blocked) {
      await sql`select pg_terminate_backend(${blocked.pid}::int, 10000)`;
      return blocked.pid;
    }
    if (Date.now() > deadline) throw new Error('no statement of the Worker came to wait on the held lock');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** That a terminated backend is really gone (no longer in pg_stat_activity), as text for the record. */
async function terminatedBackendGone(pid: number): Promise<string> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where pid = ${pid}`;
  expect(row?.n, `backend ${pid} was terminated`).toBe(0);
  return `backend ${pid} gone from pg_stat_activity`;
}

async function holdInTransaction(statement: (holder: postgres.ReservedSql) => Promise<unknown>) {
  const holder = await sql.reserve();
  await holder`begin`;
  await statement(holder);
  return holder;
}

async function executionRow(id: string): Promise<ProcedureExecutionRow> {
  const [row] = await sql<
    ProcedureExecutionRow[]
  >`select * from procedure_execution where procedure_execution_id = ${id}`;
  if (!row) throw new Error(`execution ${id} is gone`);
  return row;
}

describe('Postgres drops the connection', () => {
  it('fault: mid-load (staging the fourth archive segment) — the step is redelivered, resumes from its checkpoint and loads every row once', {
    tags: ['fault'],
  }, async () => {
    const store = generateStore({ seed: 61, products: 60, orders: 0, shuffleChildren: true });
    const entity = await archive('products', store.fixture.products);
    expect(entity.segment_index.length).toBeGreaterThan(4);
    const execution = await recordExecution(sql, {
      kind: 'load',
      triggerSource: 'test',
      parameters: { information_bearing_entity_id: entity.information_bearing_entity_id },
    });
    const id = execution.procedure_execution_id;
    // An uncommitted row under the load's first line of segment 4: its staging insert waits on it.
    const fourthSegmentFirstLine = entity.segment_index[3]?.[2] as number;
    const holder = await holdInTransaction(
      (h) => h`insert into ingest_staged_object (load_key, line_number, resource_name, object_type, object_id, payload)
                 values (${id}, ${fourthSegmentFirstLine}, 'products', 'Product', 1, '{}')`,
    );
    await bindings.INGEST_QUEUE.send({ procedureExecutionId: id, step: 0 });
    const killed = await dropConnectionBlockedBy(holder);

    const done = await waitForExecution(sql, id, { timeoutMs: 90_000 });
    recordFault(
      'Postgres connection dropped mid-load',
      `pg_terminate_backend(${killed}) while it staged line ${fourthSegmentFirstLine} (segment 4)`,
      `${await terminatedBackendGone(killed)}; execution ${done.status} after ${done.attempt_count} claims`,
    );
    expect(done.status, done.error_text ?? '').toBe('succeeded');
    expect(done.attempt_count, 'claimed again after the dropped connection').toBeGreaterThanOrEqual(2);
    expect(done.checkpoint_state).toMatchObject({
      counts: { linesRead: store.fixture.products.length, quarantined: 0 },
    });
    await expectProductTablesOfTheStore(store);
    const [staged] = await sql`select count(*)::int as n from ingest_staged_object`;
    expect(staged?.n).toBe(0);
  });

  it('fault: mid-refresh (the full mart rebuild, before it commits) — redelivered, the mart equals the legacy refresh', {
    tags: ['fault'],
  }, async () => {
    const store = generateStore({ seed: 62, products: 15, orders: 200, timezone: 'America/New_York' });
    await loadLegacyStore(legacy, { timezone: store.shop.ianaTimezone, ...store.legacy });
    await legacy`select refresh_mart_performance_metrics()`;
    await loadNewStore(sql, store);
    // The refresh-state row exists after a first build; the rebuild updates it last, inside its
    // transaction, so holding it stops the rebuild after all its work and before its commit.
    await refreshPerformanceDataset(sql);
    await sql`truncate performance_measurement_dataset, performance_measurement_daily_total`;
    const holder = await holdInTransaction((h) => h`select * from performance_measurement_refresh_state for update`);
    const execution = await recordExecution(sql, {
      kind: 'marts',
      triggerSource: 'test',
      parameters: { mode: 'full', classify: false },
    });
    await bindings.INGEST_QUEUE.send({ procedureExecutionId: execution.procedure_execution_id, step: 0 });
    const killed = await dropConnectionBlockedBy(holder);

    const done = await waitForExecution(sql, execution.procedure_execution_id, { timeoutMs: 90_000 });
    recordFault(
      'Postgres connection dropped mid-refresh',
      `pg_terminate_backend(${killed}) at the rebuild's last statement`,
      `${await terminatedBackendGone(killed)}; execution ${done.status} after ${done.attempt_count} claims`,
    );
    expect(done.status, done.error_text ?? '').toBe('succeeded');
    expect(done.attempt_count).toBeGreaterThanOrEqual(2);
    const asText = (rows: Record<string, string>[]) => rows.map((row) => JSON.stringify(row));
    expectSameRows(asText(await legacyMartRows(legacy)), asText(await newMartRows(sql)), 'mart_performance_metrics');
    expectSameRows(
      asText(await legacyDailyTotals(legacy)),
      asText(await newDailyTotals(sql)),
      'performance_measurement_daily_total',
    );
  });
});

// ---------------------------------------------------------------- syncs through the simulator

const SYNC_STORE: StoreOptions = { seed: 64, products: 20, orders: 80, shuffleChildren: true };

/** The simulator serves the store; the legacy side holds the same store (the clean run). */
async function serveStore() {
  await simulator.reset();
  await simulator.setStore({ generate: SYNC_STORE });
  await simulator.configure({ timing: { createdMs: 20, runningMs: 200 } });
  await ingestLegacy(legacy, generateStore(SYNC_STORE).legacy);
}

let cleanCurated: Record<string, string[]> | undefined;

/**
 * The curated tables after a clean (unfaulted) full sync of SYNC_STORE, run once (it replaces
 * what the calling test synced: read its rows first).
 */
async function cleanSyncCurated(): Promise<Record<string, string[]>> {
  if (!cleanCurated) {
    await sql`truncate material_artifact, act_of_sale, media_content_entity, tag_designation, information_bearing_entity,
              procedure_execution, sync_cursor, performance_measurement_dataset, performance_measurement_daily_total,
              performance_measurement_refresh_key, performance_measurement_refresh_state cascade`;
    await sql`delete from configuration_setting where setting_key in ('shop_timezone', 'currency')`;
    await simulator.reset();
    await simulator.setStore({ generate: SYNC_STORE });
    await simulator.configure({ timing: { createdMs: 20, runningMs: 200 } });
    const clean = await runFullSync();
    expect(clean.status, clean.error_text ?? '').toBe('succeeded');
    cleanCurated = await curatedRows(sql);
    expect(cleanCurated.performance_measurement_dataset?.length).toBeGreaterThan(0);
  }
  return cleanCurated;
}

async function runFullSync() {
  const execution = await enqueueExecution(sql, bindings.INGEST_QUEUE, {
    kind: 'full',
    triggerSource: 'test',
    parameters: { mode: 'full', poll_seconds: 1 },
    concurrencyKey: 'full',
  });
  return waitForExecution(sql, execution.procedure_execution_id, { timeoutMs: 90_000 });
}

/**
 * A test double of a failure around the real bucket: the first write of every object key throws
 * (as R2 does with a transient internal error); the write after it goes to miniflare's R2.
 */
function failFirstWriteOfEveryObject(bucket: R2Bucket) {
  const failed: string[] = [];
  const original = { put: bucket.put, createMultipartUpload: bucket.createMultipartUpload };
  const failOnce = (key: string) => {
    if (failed.includes(key)) return;
    failed.push(key);
    throw new Error('put: We encountered an internal error. Please try again. (10001)');
  };
  const patched = bucket as unknown as Record<string, unknown>;
  patched.put = async (key: string, ...rest: unknown[]) => {
    failOnce(key);
    return (original.put as (...args: unknown[]) => unknown).call(bucket, key, ...rest);
  };
  patched.createMultipartUpload = async (key: string, ...rest: unknown[]) => {
    failOnce(key);
    return (original.createMultipartUpload as (...args: unknown[]) => unknown).call(bucket, key, ...rest);
  };
  return {
    failed,
    restore() {
      delete patched.put;
      delete patched.createMultipartUpload;
    },
  };
}

describe('a sync through the Shopify simulator', () => {
  it('fault: R2 fails the first write of every archived export once — the sync ends with the rows of a clean run', {
    tags: ['fault'],
  }, async () => {
    await serveStore();
    const r2 = failFirstWriteOfEveryObject(bindings.RAW_ARCHIVE);
    let done: ProcedureExecutionRow;
    try {
      done = await runFullSync();
    } finally {
      r2.restore();
    }
    recordFault(
      'R2 put failing once',
      'the first write of every object key throws "We encountered an internal error" (10001)',
      `writes that threw: ${r2.failed.join(', ')}; sync ${done.status}`,
    );
    expect(done.status, done.error_text ?? '').toBe('succeeded');
    // products, orders, refunds and deletions exports: each write failed once, then stored
    expect(r2.failed.map((key) => key.split('/')[1]).sort()).toEqual(['deletions', 'orders', 'products', 'refunds']);
    for (const key of r2.failed) expect(await bindings.RAW_ARCHIVE.head(key), key).not.toBeNull();
    await expectRawTablesOfTheStore();
    const faulted = await curatedRows(sql);
    expectSameTables(await cleanSyncCurated(), faulted);
  });

  it('fault: two syncs of the store started at once (two crons, staff, a webhook path) — one runs, the others are refused, rows as a clean run', {
    tags: ['fault'],
  }, async () => {
    await serveStore();
    const cron = async () => {
      const ctx = createExecutionContext();
      await worker.scheduled(
        createScheduledController({ cron: '0 3 * * *', scheduledTime: Date.now() }),
        bindings,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return 'cron';
    };
    const attempts = await Promise.allSettled([
      enqueueExecution(sql, bindings.INGEST_QUEUE, {
        kind: 'full',
        triggerSource: 'test',
        parameters: { mode: 'full', poll_seconds: 1 },
        concurrencyKey: 'full',
      }),
      cron(),
      cron(),
      triggerSyncRun(sql, bindings.INGEST_QUEUE, 'full', {
        kind: 'service_token',
        commonName: 'faults',
        role: 'staff',
      }),
    ]);
    const syncs = await sql<ProcedureExecutionRow[]>`select * from procedure_execution where procedure_kind = 'full'`;
    recordFault(
      'two syncs of the same resource at once',
      'a webhook-style enqueue, two Cron Triggers and a staff request in one Promise.all',
      `${attempts.map((a) => (a.status === 'fulfilled' ? 'started or skipped' : String((a.reason as Error).name))).join(', ')}; ${syncs.length} full sync recorded`,
    );
    expect(syncs, 'exactly one full sync was recorded').toHaveLength(1);
    const refused = attempts.filter(
      (a) =>
        a.status === 'rejected' &&
        (a.reason instanceof ExecutionConflictError ||
          (a.reason instanceof DomainError && a.reason.kind === 'conflict')),
    );
    // the crons skip quietly (logged); the others are refused with a conflict
    expect(refused.length + 2).toBeGreaterThanOrEqual(attempts.length - 1);
    expect(attempts.filter((a) => a.status === 'rejected' && !refused.includes(a))).toEqual([]);
    const done = await waitForExecution(sql, syncs[0]?.procedure_execution_id as string, { timeoutMs: 120_000 });
    expect(done.status, done.error_text ?? '').toBe('succeeded');
    const children = await sql`select procedure_kind, count(*)::int as n from procedure_execution
                                 where procedure_kind in ('products', 'orders') group by 1 order by 1`;
    expect(children).toEqual([
      { procedure_kind: 'orders', n: 1 },
      { procedure_kind: 'products', n: 1 },
    ]);
    await expectRawTablesOfTheStore();
    const faulted = await curatedRows(sql);
    expectSameTables(await cleanSyncCurated(), faulted);
  });
});

// ---------------------------------------------------------------- duplicated and reordered messages

describe('queue messages', () => {
  it('fault: delivered twice and out of order (a future step early, a step twice, finished steps again in reverse) — no step runs twice, every row once', {
    tags: ['fault'],
  }, async () => {
    const store = generateStore({ seed: 65, products: 30, orders: 0, shuffleChildren: true });
    const entity = await archive('products', store.fixture.products);
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
    const after = await executionRow(id);
    expect([after.status, after.attempt_count, after.step_count]).toEqual([
      'succeeded',
      done.attempt_count,
      done.step_count,
    ]);

    await expectProductTablesOfTheStore(store);
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

async function deliverOnce(message: IngestMessage, attempts: number) {
  const batch = createMessageBatch<IngestMessage>('ingest-jobs', [
    { id: `m-${crypto.randomUUID()}`, timestamp: new Date(), attempts, body: message },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, bindings, ctx);
  return getQueueResult(batch, ctx);
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
    expectSameRows([], await rawRowsOfEveryTable(), 'rows written by the poison message');
  });

  it('fault: a message that exhausts its retries while the database is down (its last delivery cannot record why) — the dead-letter consumer fails the execution with a cause', {
    tags: ['fault'],
  }, async () => {
    const execution = await recordExecution(sql, { kind: 'marts', triggerSource: 'test' });
    const id = execution.procedure_execution_id;
    // The last delivery's write of the failure waits on this lock; its connection is then dropped.
    const holder = await holdInTransaction(
      (h) => h`select 1 from procedure_execution where procedure_execution_id = ${id} for update`,
    );
    const errors: Record<string, unknown>[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: unknown) => {
      if (typeof line === 'string' && line.startsWith('{')) errors.push(JSON.parse(line));
    });
    let failed: ProcedureExecutionRow;
    try {
      await bindings.INGEST_QUEUE.send({ procedureExecutionId: id, step: 'first' } as unknown as IngestMessage);
      await dropConnectionBlockedBy(holder, 60_000);
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
    expectSameRows([], await rawRowsOfEveryTable(), 'rows written by the dead-lettered message');
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
    const entity = await archive('products', store.fixture.products);
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
      (h) => h`insert into ingest_staged_object (load_key, line_number, resource_name, object_type, object_id, payload)
                 values (${id}, 1, 'products', 'Product', 1, '{}')`,
    );
    const killed: number[] = [];
    try {
      await bindings.INGEST_QUEUE.send({ procedureExecutionId: id, step: 0 });
      for (let delivery = 1; delivery <= INGEST_QUEUE_MAX_RETRIES + 1; delivery++) {
        killed.push(await terminateBackendBlockedBy(holder));
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
    expectSameRows([], await rawRowsOfEveryTable(), 'rows written by the killed step');
  });

  it('a message whose step is still under its lease on its last delivery records the execution failed (the consumer was killed or timed out)', async () => {
    const execution = await recordExecution(sql, { kind: 'marts', triggerSource: 'test' });
    const id = execution.procedure_execution_id;
    // the state a consumer that died mid-step leaves (set here: no consumer is killed in this test)
    await sql`update procedure_execution set status = 'running', attempt_count = 3, heartbeat_at = now()
                where procedure_execution_id = ${id}`;
    const early = await deliverOnce({ procedureExecutionId: id, step: 0 }, 2);
    expect(early.retryMessages, 'before the last delivery: retried after the lease').toHaveLength(1);
    expect((await executionRow(id)).status).toBe('running');

    const last = await deliverOnce({ procedureExecutionId: id, step: 0 }, INGEST_QUEUE_MAX_RETRIES + 1);
    expect(last.retryMessages, 'the last delivery is retried once more: into the DLQ').toHaveLength(1);
    const failed = await executionRow(id);
    expect(failed.status).toBe('failed');
    expect(failed.error_text).toMatch(/step 0 never finished: the consumer running it was killed or timed out/);
    expect(failed.error_text).toContain('dead-letter queue');
  });

  it('records a cause that holds a NUL character (Postgres text cannot) instead of failing to record it', async () => {
    const execution = await recordExecution(sql, { kind: 'marts', triggerSource: 'test' });
    await failExecution(sql, execution.procedure_execution_id, new Error('Unexpected token \u0000 in JSON'));
    const failed = await executionRow(execution.procedure_execution_id);
    expect(failed).toMatchObject({ status: 'failed', error_text: 'Error: Unexpected token \\0 in JSON' });
  });
});

/** Every raw table's rows (new side), for faults that must have written nothing. */
async function rawRowsOfEveryTable(): Promise<string[]> {
  const compared = await compareRawTables(legacy, sql);
  return RAW_LEGACY_TABLES.flatMap((table) => (compared[table]?.new ?? []).map((row) => `${table} ${row}`));
}
