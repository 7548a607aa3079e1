import { env } from 'cloudflare:workers';
import type postgres from 'postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateStore, type StoreOptions } from '../../../scripts/store-generator/generate.ts';
import type { Env } from '../../../workers/shared/env.ts';
import { enqueueExecution } from '../../../workers/shared/procedures/runner.ts';
import { expectSameRows, expectSameTables, recordFault } from '../../support/reliability.ts';
import { openTestSql } from '../support/test-sql.ts';
import { curatedRows } from './support/curated-tables.ts';
import { waitForExecution } from './support/executions.ts';
import { compareRawTables, ingestLegacy, RAW_LEGACY_TABLES } from './support/raw-tables.ts';
import { answersShapedBy, describeAnswers, type FaultsPatch, simulator } from './support/simulator.ts';

const bindings = env as unknown as Env;
let sql: postgres.Sql;
let legacy: postgres.Sql;
let expected: Awaited<ReturnType<typeof compareRawTables>>;
/** The curated tables after a clean (unfaulted) full sync of the store. */
let cleanCurated: Record<string, string[]>;

const STORE: StoreOptions = { seed: 41, products: 24, orders: 90, shuffleChildren: true };

beforeAll(async () => {
  sql = openTestSql();
  legacy = openTestSql('legacy');
  await simulator.reset();
  await simulator.setStore({ generate: STORE });
  await simulator.configure({ timing: { createdMs: 20, runningMs: 200 } });
  await legacy`truncate products, orders, assets, tags cascade`;
  await ingestLegacy(legacy, generateStore(STORE).legacy);
  expected = await compareRawTables(legacy, sql);
  await clearStore();
  const clean = await runSync();
  expect(clean.status, clean.error_text ?? '').toBe('succeeded');
  cleanCurated = await curatedRows(sql);
  expect(cleanCurated.performance_measurement_dataset?.length).toBeGreaterThan(0);
}, 120_000);

/** Everything a sync writes, gone: raw and curated tables, cursors, executions, settings. */
async function clearStore() {
  await sql`truncate material_artifact, act_of_sale, media_content_entity, tag_designation, quarantined_line,
            ingest_staged_object, information_bearing_entity, procedure_execution, sync_cursor,
            performance_measurement_dataset, performance_measurement_daily_total,
            performance_measurement_refresh_key, performance_measurement_refresh_state cascade`;
  await sql`delete from configuration_setting where setting_key in ('shop_timezone', 'currency')`;
}
afterAll(async () => {
  await simulator.reset();
  await sql.end({ timeout: 5 });
  await legacy.end({ timeout: 5 });
});
beforeEach(async () => {
  await simulator.reset();
  await clearStore();
});

async function runSync(parameters: Record<string, unknown> = { mode: 'full' }) {
  const execution = await enqueueExecution(sql, bindings.INGEST_QUEUE, {
    kind: 'full',
    triggerSource: 'test',
    parameters: { poll_seconds: 1, ...parameters },
    concurrencyKey: 'full',
  });
  return waitForExecution(sql, execution.procedure_execution_id, { timeoutMs: 90_000 });
}

/**
 * The raw rows equal the legacy functions' on the same store, and the curated tables a clean sync's
 * (counted as rows lost / duplicated).
 */
async function expectRowsOfTheStore() {
  const actual = await compareRawTables(legacy, sql);
  for (const table of RAW_LEGACY_TABLES) expectSameRows(expected[table]?.legacy ?? [], actual[table]?.new ?? [], table);
  expectSameTables(cleanCurated, await curatedRows(sql));
}

describe('Shopify sync through the simulator', () => {
  it('a full sync loads the store (children shuffled) into the same raw rows as the legacy functions, and moves the cursors', async () => {
    const done = await runSync();
    expect(done.status, done.error_text ?? '').toBe('succeeded');
    await expectRowsOfTheStore();
    const children = await sql`
      select procedure_kind, status from procedure_execution
      where parent_procedure_execution_id = ${done.procedure_execution_id} order by requested_at`;
    expect(children).toEqual([
      { procedure_kind: 'products', status: 'succeeded' },
      { procedure_kind: 'orders', status: 'succeeded' },
      { procedure_kind: 'load', status: 'succeeded' },
      { procedure_kind: 'marts', status: 'succeeded' },
    ]);
    const cursors = await sql`select resource_name, window_end_at <= now() as past from sync_cursor order by 1`;
    expect(cursors).toEqual([
      { resource_name: 'deletions', past: true },
      { resource_name: 'orders', past: true },
      { resource_name: 'products', past: true },
    ]);
    const archived =
      await sql`select resource_name, count(*)::int as n from information_bearing_entity group by 1 order by 1`;
    expect(archived.map((r) => r.resource_name)).toEqual(['deletions', 'orders', 'products', 'refunds']);
    const [mart] = await sql`select count(*)::int as n from performance_measurement_dataset`;
    expect(mart?.n).toBeGreaterThan(0);
    const settings = await sql`select setting_key, setting_value #>> '{}' as value from configuration_setting
                               where setting_key in ('shop_timezone', 'currency') order by 1`;
    const { shop } = generateStore(STORE);
    expect(settings).toEqual([
      { setting_key: 'currency', value: shop.currencyCode },
      { setting_key: 'shop_timezone', value: shop.ianaTimezone },
    ]);
  });

  /**
   * Each knob, and the answers it must have shaped in the simulator's request log: exactly its
   * count, or (`atLeast`) one or more where every poll of the changed operation shows it.
   */
  const KNOBS: [string, FaultsPatch, { exactly: number } | { atLeast: number; downloads?: number }][] = [
    ['THROTTLED responses', { throttle: 3 }, { exactly: 3 }],
    ['HTTP 503 responses', { httpErrors: { times: 2, status: 503 } }, { exactly: 2 }],
    ['HTTP 429 with Retry-After', { rateLimited: { times: 2, retryAfterSeconds: 1 } }, { exactly: 2 }],
    [
      'a bulk operation FAILED with partial data',
      { failOperation: { times: 1, errorCode: 'INTERNAL_SERVER_ERROR', partialFraction: 0.5 } },
      { atLeast: 1, downloads: 1 },
    ],
    [
      'a bulk operation FAILED without partial data',
      { failOperation: { times: 1, errorCode: 'ACCESS_DENIED' } },
      { atLeast: 1, downloads: 0 },
    ],
    ['an expired result URL', { expiredUrl: 1 }, { exactly: 1 }],
    ['a truncated download', { truncatedDownload: { times: 1, fraction: 0.4 } }, { exactly: 1 }],
    ['OPERATION_IN_PROGRESS for an operation that did start', { operationInProgress: 1 }, { exactly: 1 }],
    ['LIMIT_REACHED', { limitReached: 1 }, { exactly: 1 }],
    ['a slow operation', { slowOperation: { times: 1, runningMs: 3000 } }, { atLeast: 1 }],
  ];
  for (const [name, faults, fired] of KNOBS) {
    it(`fault: ends with the same rows as a clean run after ${name}`, { tags: ['fault'] }, async () => {
      await simulator.setFaults(faults);
      const done = await runSync();
      // the simulator's log shows the knob shaped its answers
      const knob = Object.keys(faults)[0] as string;
      const shaped = await answersShapedBy(knob);
      if ('exactly' in fired) expect(shaped, `answers shaped by ${knob}`).toHaveLength(fired.exactly);
      else {
        expect(shaped.length, `answers shaped by ${knob}`).toBeGreaterThanOrEqual(fired.atLeast);
        if (fired.downloads !== undefined) {
          expect(
            shaped.filter((a) => a.kind === 'download'),
            'partial downloads',
          ).toHaveLength(fired.downloads);
        }
      }
      recordFault(`Shopify: ${name}`, `simulator faults ${JSON.stringify(faults)}`, describeAnswers(shaped));
      expect(done.status, done.error_text ?? '').toBe('succeeded');
      await expectRowsOfTheStore();
    });
  }

  it('fault: a sync whose results always expire fails with the cause and leaves the cursor where it was', {
    tags: ['fault'],
  }, async () => {
    await sql`insert into sync_cursor (resource_name, window_end_at) values ('products', '2026-01-01T00:00:00Z')`;
    await simulator.setFaults({ expireOperations: true });
    const done = await runSync({ mode: 'incremental' });
    const shaped = await answersShapedBy('expireOperations');
    expect(shaped.length, 'answers that showed operations EXPIRED').toBeGreaterThanOrEqual(4);
    recordFault(
      'Shopify: results that always expire',
      'simulator faults {"expireOperations":true}',
      describeAnswers(shaped),
    );
    expect(done.status).toBe('failed');
    expect(done.error_text).toMatch(/products failed: .*gave up after 4 bulk operations/);
    const [cursor] = await sql`select window_end_at::text as at from sync_cursor where resource_name = 'products'`;
    expect(cursor?.at).toBe('2026-01-01 00:00:00+00');
    // nothing half-loaded: the window runs again in full at the next sync
    const actual = await compareRawTables(legacy, sql);
    expectSameRows(
      [],
      RAW_LEGACY_TABLES.flatMap((table) => actual[table]?.new ?? []),
      'rows loaded by a failed sync',
    );
    const curated = await curatedRows(sql);
    expectSameRows([], curated.performance_measurement_dataset ?? [], 'mart rows of a failed sync');
    expectSameRows([], curated.performance_measurement_daily_total ?? [], 'daily totals of a failed sync');
  });

  it('an incremental sync after a full one asks only for the window since the cursor (with overlap)', async () => {
    const full = await runSync();
    expect(full.status).toBe('succeeded');
    const incremental = await runSync({ mode: 'incremental' });
    expect(incremental.status, incremental.error_text ?? '').toBe('succeeded');
    const [child] = await sql<{ window: { from: string; to: string } }[]>`
      select checkpoint_state -> 'window' as window from procedure_execution
      where parent_procedure_execution_id = ${incremental.procedure_execution_id} and procedure_kind = 'products'`;
    const [cursor] = await sql`select window_end_at from sync_cursor where resource_name = 'products'`;
    expect(Date.parse(child?.window.from as string)).toBeLessThan(Date.parse(child?.window.to as string));
    expect(new Date(cursor?.window_end_at).toISOString()).toBe(child?.window.to);
    await expectRowsOfTheStore();
  });
});
