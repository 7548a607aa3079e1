/**
 * Part of the fault matrix of the ingest Worker (RELIABILITY.md), inside workerd through Hyperdrive
 * and miniflare's real queue and R2. Each test injects one fault into a real run and compares the
 * rows it ends with against a clean run of the same store (the legacy functions on the same data):
 * nothing lost, nothing duplicated. The counts are recorded by test/support/reliability.ts.
 *
 * Full syncs through the Shopify simulator: R2 fails the first write of every archived object once;
 * two syncs of the same store started at once (one runs, the others are refused).
 */
import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateStore, type StoreOptions } from '#scripts/store-generator/generate.ts';
import type { Sql } from '#shared/db/types.ts';
import type { Env } from '#shared/env.ts';
import { DomainError } from '#shared/errors.ts';
import { ExecutionConflictError, type ProcedureExecutionRow } from '#shared/procedures/execution.ts';
import { enqueueExecution } from '#shared/procedures/runner.ts';
import { triggerSyncRun } from '#shared/procedures/sync-runs.ts';
import { expectSameTables, recordFault } from '../../support/reliability.ts';
import { curatedRows } from './support/curated-tables.ts';
import { waitForExecution } from './support/executions.ts';
import { clearIngestState, closeFaultDatabases, openFaultDatabases } from './support/fault-databases.ts';
import { ingestLegacy } from './support/raw-tables.ts';
import { simulator } from './support/simulator.ts';
import { expectRawTablesOfTheStore } from './support/store-checks.ts';
import { runCron } from './support/worker-events.ts';

const bindings = env as unknown as Env;
let sql: Sql;
let legacy: Sql;

beforeAll(() => {
  ({ sql, legacy } = openFaultDatabases());
});
afterAll(() => closeFaultDatabases(sql, legacy));
beforeEach(() => clearIngestState(sql, legacy));

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
    await expectRawTablesOfTheStore(legacy, sql);
    const faulted = await curatedRows(sql);
    expectSameTables(await cleanSyncCurated(), faulted);
  });

  it('fault: two syncs of the store started at once (two crons, staff, a webhook path) — one runs, the others are refused, rows as a clean run', {
    tags: ['fault'],
  }, async () => {
    await serveStore();
    const cron = async () => {
      await runCron('0 3 * * *');
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
    await expectRawTablesOfTheStore(legacy, sql);
    const faulted = await curatedRows(sql);
    expectSameTables(await cleanSyncCurated(), faulted);
  });
});
