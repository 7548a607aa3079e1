/**
 * Liveness and the watchdog (workers/shared/procedures/watchdog.ts), in workerd on miniflare's
 * real queue: a sync whose message is lost is re-sent by the 15-minute cron and ends with the rows
 * of a clean run; one whose message is lost every time is failed with its cause after three
 * re-sends, its parent fails by its own rule, and the schedule starts again. "Silent for N
 * minutes" is written into the row (heartbeat, wake-up and request moved back), never waited for.
 */
import { env } from 'cloudflare:workers';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { generateStore, type StoreOptions } from '#scripts/store-generator/generate.ts';
import type { Sql } from '#shared/db/types.ts';
import type { Env } from '#shared/env.ts';
import { type ProcedureExecutionRow, recordExecution } from '#shared/procedures/execution.ts';
import type { IngestMessage } from '#shared/procedures/messages.ts';
import { PROCEDURES } from '#shared/procedures/registry.ts';
import { enqueueExecution, HEARTBEAT_INTERVAL_SECONDS } from '#shared/procedures/runner.ts';
import { expectSameRows, recordFault } from '../../support/reliability.ts';
import { openTestSql } from '../support/test-sql.ts';
import { archiveLines } from './support/archived-lines.ts';
import { executionRow, waitForExecution } from './support/executions.ts';
import { compareRawTables, ingestLegacy } from './support/raw-tables.ts';
import { simulator } from './support/simulator.ts';
import { expectRawTablesOfTheStore } from './support/store-checks.ts';
import { runCron } from './support/worker-events.ts';

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
            performance_measurement_refresh_key cascade`;
  await legacy`truncate products, orders, assets, tags, mart_performance_metrics cascade`;
});
afterEach(() => vi.restoreAllMocks());

const STORE: StoreOptions = { seed: 66, products: 20, orders: 60, shuffleChildren: true };

/** The simulator serves the store; the legacy side holds the same store (the clean run). */
async function serveStore() {
  await simulator.reset();
  await simulator.setStore({ generate: STORE });
  await simulator.configure({ timing: { createdMs: 20, runningMs: 200 } });
  await ingestLegacy(legacy, generateStore(STORE).legacy);
}

/**
 * A test double around the real queue: a message `lose` picks is lost (as a dropped queue state,
 * a deploy or a dead letter loses it); every other message goes to miniflare's queue.
 */
function loseMessages(queue: Queue<IngestMessage>, lose: (message: IngestMessage) => boolean | Promise<boolean>) {
  const lost: IngestMessage[] = [];
  const patched = queue as unknown as Record<string, unknown>;
  const send = queue.send;
  patched.send = async (message: IngestMessage, options?: QueueSendOptions) => {
    if (await lose(message)) {
      lost.push(message);
      return;
    }
    return send.call(queue, message, options);
  };
  return {
    lost,
    restore: () => {
      delete patched.send;
    },
  };
}

/** Moves an execution's heartbeat, wake-up and request `minutes` into the past: silent that long. */
async function silence(id: string, minutes: number) {
  await sql`update procedure_execution
            set heartbeat_at = heartbeat_at - make_interval(mins => ${minutes}),
                wake_up_at = wake_up_at - make_interval(mins => ${minutes}),
                requested_at = requested_at - make_interval(mins => ${minutes})
            where procedure_execution_id = ${id}`;
}

/** Fires the 15-minute cron (watchdog, then the incremental sync) and returns its log lines. */
async function fireWatchdogCron(): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  const collect = (line: unknown) => {
    if (typeof line === 'string' && line.startsWith('{')) lines.push(JSON.parse(line));
  };
  for (const method of ['log', 'warn', 'error'] as const) vi.spyOn(console, method).mockImplementation(collect);
  try {
    await runCron('*/15 * * * *');
  } finally {
    vi.restoreAllMocks();
  }
  return lines;
}

async function kindOf(id: string): Promise<string | undefined> {
  const [row] = await sql<{ kind: string }[]>`
    select procedure_kind as kind from procedure_execution where procedure_execution_id = ${id}`;
  return row?.kind;
}

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Records a full sync; `send` sends its first message (after the test knows its id). */
async function recordFullSync() {
  const full = await recordExecution(sql, {
    kind: 'full',
    triggerSource: 'test',
    parameters: { mode: 'full', poll_seconds: 1 },
    concurrencyKey: 'full',
  });
  return {
    full,
    send: () => bindings.INGEST_QUEUE.send({ procedureExecutionId: full.procedure_execution_id, step: 0 }),
  };
}

/**
 * The products child's first delayed message: the first step-1 message of an execution other than
 * the sync itself (the child's poll after its bulk operation started; nothing else reaches step 1
 * before it). Decided without the database: the consumer's request cannot use the test's client.
 */
function isProductsFirstPoll(fullId: string, m: IngestMessage): boolean {
  return m.step === 1 && m.procedureExecutionId !== fullId;
}

describe('the watchdog (the 15-minute cron)', () => {
  it('fault: a sync whose step message is lost is re-sent by the watchdog and ends with the rows of a clean run; no step runs twice', {
    tags: ['fault'],
  }, async () => {
    await serveStore();
    const { full, send } = await recordFullSync();
    // The products child's first delayed message (step 1, after its bulk operation started) is lost.
    const queue = loseMessages(
      bindings.INGEST_QUEUE,
      (m) => queue.lost.length === 0 && isProductsFirstPoll(full.procedure_execution_id, m),
    );
    let productsId: string;
    try {
      await send();
      [{ procedureExecutionId: productsId } = { procedureExecutionId: '' }] = await until(
        'the lost message',
        async () => queue.lost.length > 0 && queue.lost,
      );
    } finally {
      queue.restore();
    }
    expect(await kindOf(productsId)).toBe('products');
    const stuck = await waitForExecution(sql, productsId, { until: (row) => row.status === 'waiting' });
    expect(stuck.step_count).toBe(1);
    await silence(productsId, 10);

    const lines = await fireWatchdogCron();
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'stalled execution: its message was re-sent',
        procedure_execution_id: productsId,
        step: 1,
      }),
    );
    // The sync itself is young and moving: its skipped schedule is routine.
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'info', message: 'schedule skipped: previous run still active' }),
    );

    const done = await waitForExecution(sql, full.procedure_execution_id, { timeoutMs: 120_000 });
    expect(done.status, done.error_text ?? '').toBe('succeeded');
    const products = await executionRow(sql, productsId);
    expect(products.status).toBe('succeeded');
    expect(products.watchdog_resend_count).toBe(1);
    expect(products.stall_reason_text).toMatch(
      /^no heartbeat for 10 min( \d+ s)? \(stall threshold 120 s\) at step 1 \(waiting\); message re-sent \(1 of 3\)$/,
    );
    // The re-sent message only ran the step whose message was lost: one claim per step.
    expect(products.attempt_count).toBe(products.step_count + 1);
    recordFault(
      'a lost step message',
      `the products child's step-1 message dropped before the queue (${queue.lost.length} lost)`,
      `re-sent by the watchdog (${products.stall_reason_text}); sync ${done.status}`,
    );
    const [{ n } = { n: -1 }] = await sql<{ n: number }[]>`
      select count(*)::int as n from procedure_execution where procedure_kind = 'full'`;
    expect(n, 'the cron started no second sync').toBe(1);
    await expectRawTablesOfTheStore(legacy, sql);
  });

  it('fault: a child whose message is lost every time is failed after three re-sends with its cause, its parent fails by its own rule, and the schedule starts again', {
    tags: ['fault'],
  }, async () => {
    await serveStore();
    let productsId = '';
    let loseEverything = false;
    const { full, send } = await recordFullSync();
    const queue = loseMessages(bindings.INGEST_QUEUE, (m) => {
      if (loseEverything) return true;
      if (productsId) return m.procedureExecutionId === productsId;
      if (isProductsFirstPoll(full.procedure_execution_id, m)) {
        productsId = m.procedureExecutionId;
        return true;
      }
      return false;
    });
    try {
      await send();
      await until('the lost message', async () => productsId);
      expect(await kindOf(productsId)).toBe('products');
      await waitForExecution(sql, productsId, { until: (row) => row.status === 'waiting' });
      for (let round = 1; round <= 3; round++) {
        await silence(productsId, 20);
        const lines = await fireWatchdogCron();
        const products = await executionRow(sql, productsId);
        expect([products.status, products.watchdog_resend_count]).toEqual(['waiting', round]);
        expect(products.stall_reason_text).toContain(`message re-sent (${round} of 3)`);
        expect(lines).toContainEqual(
          expect.objectContaining({ message: 'stalled execution: its message was re-sent', step: 1 }),
        );
      }
      expect(queue.lost.filter((m) => m.procedureExecutionId === productsId)).toEqual(
        Array.from({ length: 4 }, () => ({ procedureExecutionId: productsId, step: 1 })),
      );

      await silence(productsId, 20);
      const lines = await fireWatchdogCron();
      const failed = await executionRow(sql, productsId);
      expect(failed.status).toBe('failed');
      expect(failed.error_text).toMatch(
        /^no heartbeat for 1 h 20 min \(stall threshold 120 s\) at step 1; re-sent 3 times$/,
      );
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: 'error',
          alert: true,
          message: 'stalled execution failed by the watchdog',
          procedure_execution_id: productsId,
          error: failed.error_text,
        }),
      );
      // The parent's rule: a failed child fails the sync, with the child's cause.
      const parent = await waitForExecution(sql, full.procedure_execution_id, { timeoutMs: 90_000 });
      expect(parent.status).toBe('failed');
      expect(parent.error_text).toBe(`Error: products failed: ${failed.error_text}`);
      recordFault(
        'a message lost on every send',
        `every message of the products child dropped before the queue (${queue.lost.length} lost)`,
        `child ${failed.status}: ${failed.error_text}; sync ${parent.status}`,
      );

      // The concurrency key is free: the next cron starts a sync (its messages lost too: it never runs here).
      loseEverything = true;
      await fireWatchdogCron();
      const next = await sql<ProcedureExecutionRow[]>`
        select * from procedure_execution where procedure_kind = 'full' and status = 'queued'`;
      expect(next.map((row) => row.trigger_source)).toEqual(['cron:*/15 * * * *']);
    } finally {
      queue.restore();
    }
  });

  it('fault: a re-send for an execution whose own message was not lost after all (a false stall) runs no step twice', {
    tags: ['fault'],
  }, async () => {
    const store = generateStore({ seed: 69, products: 30, orders: 0, shuffleChildren: true });
    const entity = await archiveLines(sql, bindings.RAW_ARCHIVE, 'products', store.fixture.products);
    const load = await recordExecution(sql, {
      kind: 'load',
      triggerSource: 'test',
      parameters: { information_bearing_entity_id: entity.information_bearing_entity_id, units_per_step: 1 },
    });
    const id = load.procedure_execution_id;
    await silence(id, 10);
    // Only this load's messages reach the queue (the cron's own sync is not under test here).
    const queue = loseMessages(bindings.INGEST_QUEUE, (m) => m.procedureExecutionId !== id);
    try {
      // The watchdog's step-0 message, then the execution's own one: both delivered.
      await fireWatchdogCron();
      expect((await executionRow(sql, id)).watchdog_resend_count).toBe(1);
      await bindings.INGEST_QUEUE.send({ procedureExecutionId: id, step: 0 });
      const done = await waitForExecution(sql, id, { timeoutMs: 60_000 });
      expect(done.status, done.error_text ?? '').toBe('succeeded');
      expect(done.watchdog_resend_count).toBe(1);
      expect(done.step_count).toBeGreaterThan(3);
      expect(done.attempt_count, 'one claim per step: none ran twice').toBe(done.step_count + 1);
      recordFault(
        'a false stall',
        'the watchdog re-sent step 0 of a load whose own step-0 message was then delivered too',
        `load ${done.status} after ${done.step_count} steps with ${done.attempt_count} claims`,
      );
    } finally {
      queue.restore();
    }
    await ingestLegacy(legacy, { products: store.legacy.products, orders: [], deletedProductIds: [] });
    const compared = await compareRawTables(legacy, sql);
    for (const table of ['products', 'product_variants', 'assets', 'tags']) {
      expectSameRows(compared[table]?.legacy ?? [], compared[table]?.new ?? [], table);
    }
  });

  it('a skipped schedule is a warning when the active run is stalled or has held it for two intervals, info otherwise', async () => {
    const queue = loseMessages(bindings.INGEST_QUEUE, () => true);
    try {
      const run = await recordExecution(sql, {
        kind: 'full',
        triggerSource: 'cron:*/15 * * * *',
        parameters: { mode: 'incremental' },
        concurrencyKey: 'full',
      });
      const id = run.procedure_execution_id;
      const skipped = async () =>
        (await fireWatchdogCron()).find((line) => String(line.message).startsWith('schedule skipped'));
      // moving: a wake-up is due in a minute
      await sql`update procedure_execution set status = 'waiting', heartbeat_at = now(),
                  wake_up_at = now() + interval '1 minute' where procedure_execution_id = ${id}`;
      expect(await skipped()).toMatchObject({ level: 'info', procedure_execution_id: id, stalled: false });
      // moving, but requested 31 minutes ago: two 15-minute intervals
      await sql`update procedure_execution set requested_at = now() - interval '31 minutes'
                where procedure_execution_id = ${id}`;
      expect(await skipped()).toMatchObject({
        level: 'warn',
        message: 'schedule skipped: previous run still active, stalled or overdue',
        active_for: '31 min',
      });
      // young, but stalled: the watchdog re-sends it, and the skip is a warning
      await sql`update procedure_execution set requested_at = now() - interval '5 minutes',
                  heartbeat_at = now() - interval '5 minutes', wake_up_at = now() - interval '4 minutes'
                where procedure_execution_id = ${id}`;
      expect(await skipped()).toMatchObject({ level: 'warn', stalled: true, stall_reason: expect.any(String) });
      expect((await executionRow(sql, id)).watchdog_resend_count).toBe(1);
    } finally {
      queue.restore();
    }
  });
});

describe('liveness', () => {
  it(`a running step heartbeats every ${HEARTBEAT_INTERVAL_SECONDS} s while it works, so a long step is never taken for a stalled one`, async () => {
    // A step that works until its heartbeat has moved twice past the moment it was claimed.
    vi.spyOn(PROCEDURES, 'replay').mockImplementation(async ({ database, execution }) => {
      const claimed = new Date(execution.heartbeat_at as string).getTime();
      for (;;) {
        // the Worker's client reads timestamps as text
        const [row] = await database.sql<{ at: string }[]>`
          select heartbeat_at as at from procedure_execution where procedure_execution_id = ${execution.procedure_execution_id}`;
        if (row && new Date(row.at).getTime() - claimed >= 2 * HEARTBEAT_INTERVAL_SECONDS * 1000 - 1000) {
          return { outcome: 'done', rowsProcessed: 0 };
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    });
    const run = await enqueueExecution(sql, bindings.INGEST_QUEUE, { kind: 'replay', triggerSource: 'test' });
    const done = await waitForExecution(sql, run.procedure_execution_id, { timeoutMs: 90_000 });
    expect(done.status, done.error_text ?? '').toBe('succeeded');
    expect(done.attempt_count, 'claimed once: its heartbeats kept it').toBe(1);
  }, 120_000);
});
