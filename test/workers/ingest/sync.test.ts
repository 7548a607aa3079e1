import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateStore, type StoreOptions } from '#scripts/store-generator/generate.ts';
import { openDatabase } from '#shared/db/client.ts';
import type { Sql } from '#shared/db/types.ts';
import type { Env } from '#shared/env.ts';
import { type InformationBearingEntity, readArchivedLines } from '#shared/ingest/archive.ts';
import { checkpointExecution, findExecution, recordExecution } from '#shared/procedures/execution.ts';
import type { IngestMessage } from '#shared/procedures/messages.ts';
import { PROCEDURES } from '#shared/procedures/registry.ts';
import { enqueueExecution, runProcedureExecution } from '#shared/procedures/runner.ts';
import { expectSameRows, expectSameTables, recordFault } from '../../support/reliability.ts';
import { openTestSql } from '../support/test-sql.ts';
import { curatedRows } from './support/curated-tables.ts';
import { waitForExecution } from './support/executions.ts';
import { compareRawTables, ingestLegacy, RAW_LEGACY_TABLES } from './support/raw-tables.ts';
import { answersShapedBy, describeAnswers, type FaultsPatch, simulator } from './support/simulator.ts';

const bindings = env as unknown as Env;
let sql: Sql;
let legacy: Sql;
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

  it('refunds pages archived in many segments (gzip members) load every member, not just the first', async () => {
    const done = await runSync({ mode: 'full', segment_bytes: 512 });
    expect(done.status, done.error_text ?? '').toBe('succeeded');
    const [refunds] = await sql<{ segments: number }[]>`
      select max(jsonb_array_length(segment_index))::int as segments from information_bearing_entity
      where resource_name = 'refunds'`;
    expect(refunds?.segments).toBeGreaterThan(1);
    await expectRowsOfTheStore();
  });

  /** The orders export as the simulator serves it, and as archived (decompressed, every segment), with its row. */
  async function ordersExportAndArchive(syncId: string) {
    const [orders] = await sql<{ checkpoint_state: { url: string } }[]>`
      select checkpoint_state from procedure_execution
      where (parent_procedure_execution_id = ${syncId} or procedure_execution_id = ${syncId})
        and procedure_kind = 'orders'`;
    const source = new Uint8Array(await (await fetch(orders?.checkpoint_state.url as string)).arrayBuffer());
    const [entity] = await sql<InformationBearingEntity[]>`
      select * from information_bearing_entity where resource_name = 'orders'`;
    if (!entity) throw new Error('no orders export archived');
    const lines: string[] = [];
    for await (const record of readArchivedLines(bindings.RAW_ARCHIVE, entity.object_key, entity.segment_index)) {
      if (record.kind === 'line') lines.push(record.text);
    }
    const digest = await crypto.subtle.digest('SHA-256', source);
    const sha256 = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
    return {
      source: new TextDecoder().decode(source),
      sourceBytes: source.length,
      archived: lines.map((l) => `${l}\n`).join(''),
      entity,
      sha256,
    };
  }

  it('downloads a bulk export in bounded steps (Range requests, multipart state in the checkpoint): the archive is the export byte for byte, with its hash', async () => {
    const done = await runSync({ mode: 'full', download_step_bytes: 8 * 1024, segment_bytes: 2 * 1024 });
    expect(done.status, done.error_text ?? '').toBe('succeeded');
    const downloads = (await simulator.requests()).filter((r) => r.kind === 'download' && r.path.endsWith('.jsonl'));
    // the orders export is over 10× the step: it took that many steps, each asking for the rest of it
    expect(downloads.filter((r) => r.status === 206).length).toBeGreaterThan(5);
    const { source, sourceBytes, archived, entity, sha256 } = await ordersExportAndArchive(done.procedure_execution_id);
    expect(sourceBytes).toBeGreaterThan(10 * 8 * 1024);
    expect(archived).toBe(source);
    expect(entity.sha256_digest).toBe(sha256);
    expect(Number(entity.byte_count)).toBe(sourceBytes);
    expect(entity.segment_index.length).toBeGreaterThan(20);
    const leftovers = await bindings.RAW_ARCHIVE.list({ prefix: `${entity.object_key}.carry-` });
    expect(leftovers.objects).toEqual([]);
    await expectRowsOfTheStore();
  });

  it('fault: a download step that breaks off mid-part resumes from its last checkpoint: the same archive and the same rows as a clean run', {
    tags: ['fault'],
  }, async () => {
    await simulator.setFaults({ truncatedDownload: { times: 2, fraction: 0.6 } });
    const done = await runSync({ mode: 'full', download_step_bytes: 8 * 1024, segment_bytes: 2 * 1024 });
    expect(done.status, done.error_text ?? '').toBe('succeeded');
    const downloads = (await simulator.requests()).filter((r) => r.kind === 'download');
    const truncated = downloads.filter((r) => r.outcome === 'truncated');
    expect(truncated.length).toBe(2);
    const { source, archived, entity, sha256 } = await ordersExportAndArchive(done.procedure_execution_id);
    expect(archived).toBe(source);
    expect(entity.sha256_digest).toBe(sha256);
    recordFault(
      'a download broken off mid-part',
      'the simulator cut 2 downloads at 60% (truncatedDownload), with 8 KiB download steps',
      `${truncated.length} truncated answers in the request log; sync ${done.status}; the archive equals the export (sha256 ${sha256.slice(0, 12)}…)`,
    );
    await expectRowsOfTheStore();
  });

  /**
   * Runs an `orders` sync one message at a time, as the consumer would, with the messages kept
   * here (not sent to the queue); after its Nth download step, the checkpoint before it is put back.
   */
  async function driveOrdersSync(replayCheckpointAtDownloadStep?: number) {
    const messages: IngestMessage[] = [];
    const stepEnv = { ...bindings, INGEST_QUEUE: { send: async (m: IngestMessage) => void messages.push(m) } };
    const orders = await recordExecution(sql, {
      kind: 'orders',
      triggerSource: 'test',
      parameters: { mode: 'full', poll_seconds: 1, download_step_bytes: 8 * 1024, segment_bytes: 2 * 1024 },
    });
    messages.push({ procedureExecutionId: orders.procedure_execution_id, step: 0 });
    let downloadSteps = 0;
    let replayed = false;
    while (messages.length > 0) {
      const message = messages.shift() as IngestMessage;
      const before = await findExecution(sql, message.procedureExecutionId);
      const phase = (before?.checkpoint_state as { phase?: string } | undefined)?.phase;
      if (message.procedureExecutionId === orders.procedure_execution_id && phase === 'download') downloadSteps++;
      const database = openDatabase(bindings.HYPERDRIVE);
      const ctx = createExecutionContext();
      await runProcedureExecution({
        procedures: PROCEDURES,
        database,
        env: stepEnv as unknown as Env,
        ctx,
        ...message,
      });
      await database.sql.end({ timeout: 5 });
      if (downloadSteps === replayCheckpointAtDownloadStep && !replayed && before) {
        // the step uploaded and put its carry, but its checkpoint is lost: the next message runs from the one before
        replayed = true;
        await checkpointExecution(sql, before.procedure_execution_id, { checkpoint: before.checkpoint_state });
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const done = await findExecution(sql, orders.procedure_execution_id);
    expect(done?.status, done?.error_text ?? '').toBe('succeeded');
    if (replayCheckpointAtDownloadStep) expect(replayed).toBe(true);
    return { id: orders.procedure_execution_id, downloadSteps };
  }

  it('fault: a download step whose checkpoint is lost after it uploaded (the checkpoint replayed) ends with the same archive and the same rows as a clean run', {
    tags: ['fault'],
  }, async () => {
    const clean = await driveOrdersSync();
    const cleanArchive = await ordersExportAndArchive(clean.id);
    const cleanRows = await compareRawTables(legacy, sql);
    await sql`truncate material_artifact, act_of_sale, media_content_entity, tag_designation, quarantined_line,
              ingest_staged_object, information_bearing_entity, procedure_execution, sync_cursor cascade`;

    const replayed = await driveOrdersSync(4);
    expect(replayed.downloadSteps).toBe(clean.downloadSteps + 1);
    const archive = await ordersExportAndArchive(replayed.id);
    expect(archive.archived).toBe(cleanArchive.archived);
    expect(archive.archived).toBe(archive.source);
    expect(archive.entity.sha256_digest).toBe(cleanArchive.entity.sha256_digest);
    expect(archive.entity.segment_index).toEqual(cleanArchive.entity.segment_index);
    recordFault(
      'a download checkpoint lost after its upload',
      'the checkpoint before the 4th download step put back after that step ran',
      `${replayed.downloadSteps} download steps (a clean run: ${clean.downloadSteps}); the archive and its hash equal the clean run's`,
    );
    const rows = await compareRawTables(legacy, sql);
    for (const table of RAW_LEGACY_TABLES) expectSameRows(cleanRows[table]?.new ?? [], rows[table]?.new ?? [], table);
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
