import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateStore } from '#scripts/store-generator/generate.ts';
import type { Sql } from '#shared/db/types.ts';
import type { Env } from '#shared/env.ts';
import { archiveJsonl, findArchivedObject, readSegment, recordArchivedObject } from '#shared/ingest/archive.ts';
import { readJsonlLines } from '#shared/ingest/jsonl-reader.ts';
import { type LoadCheckpoint, loadTargetFor, runLoadUnit } from '#shared/ingest/load.procedure.ts';
import { streamRecords } from '#shared/ingest/load.ts';
import type { ResourceName } from '#shared/ingest/shopify-objects.ts';
import { checkpointExecution, recordExecution } from '#shared/procedures/execution.ts';
import { enqueueExecution } from '#shared/procedures/runner.ts';
import worker from '#workers/ingest/src/index.ts';
import { expectSameRows, recordFault } from '../../support/reliability.ts';
import { openTestSql } from '../support/test-sql.ts';
import { waitForExecution } from './support/executions.ts';
import { compareRawTables, ingestLegacy } from './support/raw-tables.ts';

const bindings = env as unknown as Env;
let sql: Sql;
let legacy: Sql;

beforeAll(() => {
  sql = openTestSql();
  legacy = openTestSql('legacy');
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

const encoder = new TextEncoder();
const text = (lines: string[]) => lines.map((l) => `${l}\n`).join('');

async function* chunks(body: string, size = 1000): AsyncGenerator<Uint8Array> {
  const bytes = encoder.encode(body);
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

async function sha256Hex(body: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(body));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function archive(resource: ResourceName, lines: string[], segmentBytes = 8 * 1024) {
  const key = `test/${resource}-${crypto.randomUUID()}.jsonl.gz`;
  const archived = await archiveJsonl(bindings.RAW_ARCHIVE, key, chunks(text(lines)), { segmentBytes });
  return recordArchivedObject(sql, archived, { resource, procedureExecutionId: null });
}

async function loadThroughQueue(entityId: string, parameters: Record<string, unknown> = {}) {
  const execution = await enqueueExecution(sql, bindings.INGEST_QUEUE, {
    kind: 'load',
    triggerSource: 'test',
    parameters: { information_bearing_entity_id: entityId, ...parameters },
  });
  return waitForExecution(sql, execution.procedure_execution_id);
}

async function readAllLines(stream: ReadableStream<Uint8Array>, firstLineNumber: number) {
  const lines: { lineNumber: number; text: string }[] = [];
  for await (const record of readJsonlLines(stream, { firstLineNumber })) {
    if (record.kind === 'line') lines.push({ lineNumber: record.lineNumber, text: record.text });
  }
  return lines;
}

describe('R2 archive', () => {
  it('stores an export as gzip JSONL segments of whole lines, indexed with bytes, lines and sha256', async () => {
    const lines = generateStore({ seed: 21, products: 120, orders: 0, shuffleChildren: true }).fixture.products;
    const body = text(lines);
    const entity = await archive('products', lines);
    expect(entity).toMatchObject({
      resource_name: 'products',
      byte_count: encoder.encode(body).length,
      line_count: lines.length,
      sha256_digest: await sha256Hex(body),
    });
    const segments = entity.segment_index;
    expect(segments.length).toBeGreaterThan(3);
    let expectedOffset = 0;
    let expectedLine = 1;
    const read: string[] = [];
    for (const segment of segments) {
      const [offset, length, firstLine, count] = segment;
      expect([offset, firstLine]).toEqual([expectedOffset, expectedLine]);
      const segmentLines = await readAllLines(
        await readSegment(bindings.RAW_ARCHIVE, entity.object_key, segment),
        firstLine,
      );
      expect(segmentLines.length).toBe(count);
      expect(segmentLines[0]?.lineNumber).toBe(firstLine);
      read.push(...segmentLines.map((l) => l.text));
      expectedOffset += length;
      expectedLine += count;
    }
    expect(read).toEqual(lines);
    const object = await bindings.RAW_ARCHIVE.head(entity.object_key);
    expect(object?.size).toBe(entity.stored_byte_count);
    expect(expectedOffset).toBe(entity.stored_byte_count);
  });

  it('uploads a large export in equal multipart parts and reads it back', async () => {
    // barely compressible lines, so the gzip object spans three 5 MiB parts
    const lines: string[] = [];
    const random = new Uint8Array(750);
    for (let i = 0; i < 16_000; i++) {
      crypto.getRandomValues(random);
      lines.push(JSON.stringify({ id: `gid://shopify/Metafield/${i}`, value: btoa(String.fromCharCode(...random)) }));
    }
    const body = text(lines);
    const key = `test/large-${crypto.randomUUID()}.jsonl.gz`;
    const archived = await archiveJsonl(bindings.RAW_ARCHIVE, key, chunks(body, 64 * 1024), {
      partBytes: 5 * 1024 * 1024,
    });
    expect(archived.storedByteCount).toBeGreaterThan(10 * 1024 * 1024);
    expect(archived).toMatchObject({ lineCount: lines.length, sha256: await sha256Hex(body), endedWithNewline: true });
    const object = await bindings.RAW_ARCHIVE.head(key);
    expect(object?.size).toBe(archived.storedByteCount);
    const last = archived.segments.at(-1);
    if (!last) throw new Error('no segments');
    const tail = await readAllLines(await readSegment(bindings.RAW_ARCHIVE, key, last), last[2]);
    expect(tail.at(-1)).toEqual({ lineNumber: lines.length, text: lines.at(-1) });
  });
});

describe('load executions', () => {
  it('load a generated store from R2 in resumable steps into the same raw rows as the legacy functions', async () => {
    const store = generateStore({ seed: 22, products: 80, orders: 300, shuffleChildren: true });
    for (const resource of ['products', 'orders', 'refunds', 'deletions'] as const) {
      const entity = await archive(resource, store.fixture[resource]);
      const done = await loadThroughQueue(entity.information_bearing_entity_id, { units_per_step: 2 });
      expect(done.status, done.error_text ?? '').toBe('succeeded');
      const checkpoint = done.checkpoint_state as unknown as LoadCheckpoint;
      expect(checkpoint.counts).toMatchObject({ linesRead: store.fixture[resource].length, quarantined: 0 });
      expect(done.attempt_count).toBe(done.step_count + 1);
      if (resource === 'products') expect(done.step_count).toBeGreaterThan(entity.segment_index.length / 2);
    }
    await ingestLegacy(legacy, store.legacy);
    const tables = await compareRawTables(legacy, sql);
    for (const [table, sides] of Object.entries(tables)) expect(sides.new, table).toEqual(sides.legacy);
    const [left] = await sql`select count(*)::int as n from ingest_staged_object`;
    expect(left?.n).toBe(0);
  });

  it('quarantines bad lines with their line numbers in the whole file, whichever segment they are in', async () => {
    const lines = generateStore({ seed: 23, products: 60, orders: 0 }).fixture.products;
    lines.splice(200, 0, '{"id":"gid:\\/\\/shopify\\/Product\\/1","title":');
    const entity = await archive('products', lines, 4096);
    const done = await loadThroughQueue(entity.information_bearing_entity_id);
    expect(done.status).toBe('succeeded');
    const rows =
      await sql`select line_number::int, information_bearing_entity_id, procedure_execution_id from quarantined_line`;
    expect(rows).toEqual([
      {
        line_number: 201,
        information_bearing_entity_id: entity.information_bearing_entity_id,
        procedure_execution_id: done.procedure_execution_id,
      },
    ]);
  });

  it('fault: a duplicated queue message runs no step twice; a message for a running step comes back later', {
    tags: ['fault'],
  }, async () => {
    const store = generateStore({ seed: 24, products: 40, orders: 0 });
    const lines = store.fixture.products;
    const entity = await archive('products', lines, 4096);
    // recorded but not sent: the test delivers its first message itself, twice in one batch
    const execution = await recordExecution(sql, {
      kind: 'load',
      triggerSource: 'test',
      parameters: { information_bearing_entity_id: entity.information_bearing_entity_id, units_per_step: 1 },
    });
    const id = execution.procedure_execution_id;
    const message = { procedureExecutionId: id, step: 0 };
    const ctx = createExecutionContext();
    const batch = createMessageBatch('ingest-jobs', [
      { id: 'm1', timestamp: new Date(), attempts: 1, body: message },
      { id: 'm2', timestamp: new Date(), attempts: 1, body: message },
    ]);
    await worker.queue(batch, bindings, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(['m1', 'm2']);
    const done = await waitForExecution(sql, id);
    expect(done.status).toBe('succeeded');
    expect(done.attempt_count).toBe(done.step_count + 1);
    recordFault(
      'a queue message delivered twice in one batch',
      `one batch of two messages for step 0 of load ${id}`,
      `acknowledged ${result.explicitAcks.sort().join(', ')}; ${done.attempt_count} claims for ${done.step_count + 1} steps`,
    );
    await ingestLegacy(legacy, { products: store.legacy.products, orders: [], deletedProductIds: [] });
    const loaded = await compareRawTables(legacy, sql);
    for (const table of [
      'products',
      'product_variants',
      'assets',
      'product_asset_mappings',
      'tags',
      'tag_classifications',
    ]) {
      expectSameRows(loaded[table]?.legacy ?? [], loaded[table]?.new ?? [], table);
    }

    // Redelivered after it finished: acknowledged, nothing changes.
    const again = createMessageBatch('ingest-jobs', [{ id: 'm3', timestamp: new Date(), attempts: 2, body: message }]);
    const ctx2 = createExecutionContext();
    await worker.queue(again, bindings, ctx2);
    expect((await getQueueResult(again, ctx2)).explicitAcks).toEqual(['m3']);
    const [after] =
      await sql`select attempt_count, step_count, status from procedure_execution where procedure_execution_id = ${id}`;
    expect(after).toEqual({ attempt_count: done.attempt_count, step_count: done.step_count, status: 'succeeded' });

    // A message for a step that is running right now (fresh heartbeat) is retried after the lease, not run.
    const busy = await recordExecution(sql, {
      kind: 'load',
      triggerSource: 'test',
      parameters: { information_bearing_entity_id: entity.information_bearing_entity_id },
    });
    await sql`update procedure_execution set status = 'running', heartbeat_at = now()
              where procedure_execution_id = ${busy.procedure_execution_id}`;
    const busyBatch = createMessageBatch('ingest-jobs', [
      {
        id: 'm4',
        timestamp: new Date(),
        attempts: 1,
        body: { procedureExecutionId: busy.procedure_execution_id, step: 0 },
      },
    ]);
    const ctx3 = createExecutionContext();
    await worker.queue(busyBatch, bindings, ctx3);
    const busyResult = await getQueueResult(busyBatch, ctx3);
    expect(busyResult.retryMessages).toEqual([{ msgId: 'm4' }]);
    const [untouched] =
      await sql`select attempt_count from procedure_execution where procedure_execution_id = ${busy.procedure_execution_id}`;
    expect(untouched?.attempt_count).toBe(0);
  });

  // Not a fault test: nothing is killed here, the state a killed consumer leaves is built by the
  // test and its lease set to have run out (a real kill of the step's connection, resumed from its
  // checkpoint: connection-drop-faults.test.ts, mid-load).
  it('a load step left half-done under an expired lease is taken over and resumes from its checkpoint, nothing lost or duplicated', async () => {
    const store = generateStore({ seed: 25, products: 50, orders: 0, shuffleChildren: true });
    const lines = store.fixture.products;
    const entity = await archive('products', lines, 4096);
    const execution = await recordExecution(sql, {
      kind: 'load',
      triggerSource: 'test',
      parameters: { information_bearing_entity_id: entity.information_bearing_entity_id },
    });
    const id = execution.procedure_execution_id;
    const target = loadTargetFor(id, entity);
    // What a consumer did before it died: claimed the execution, finished and checkpointed three
    // units, then staged part of the fourth segment and was killed before its next checkpoint.
    await sql`update procedure_execution set status = 'running', attempt_count = 1, started_at = now(),
              heartbeat_at = now() where procedure_execution_id = ${id}`;
    let state: LoadCheckpoint = {
      segment: 0,
      progress: null,
      counts: { linesRead: 0, accepted: 0, ignored: 0, quarantined: 0, upserted: {}, touchedOrders: 0 },
    };
    for (let i = 0; i < 3; i++) state = await runLoadUnit(sql, bindings.RAW_ARCHIVE, entity, target, state);
    await checkpointExecution(sql, id, { checkpoint: { ...state } });
    const fourth = entity.segment_index[3];
    if (!fourth) throw new Error('expected at least four segments');
    const partial = (
      await readAllLines(await readSegment(bindings.RAW_ARCHIVE, entity.object_key, fourth), fourth[2])
    ).slice(0, 5);
    await streamRecords(
      sql,
      target,
      partial.map((l) => ({ kind: 'line' as const, ...l })),
      structuredClone(state.counts),
    );
    // the lease runs out; the queue redelivers the message of the killed step
    await sql`update procedure_execution set heartbeat_at = now() - interval '16 minutes' where procedure_execution_id = ${id}`;
    await bindings.INGEST_QUEUE.send({ procedureExecutionId: id, step: 0 });
    const done = await waitForExecution(sql, id);
    expect(done.status, done.error_text ?? '').toBe('succeeded');
    expect(done.attempt_count).toBe(2);
    const counts = (done.checkpoint_state as unknown as LoadCheckpoint).counts;
    expect(counts).toMatchObject({ linesRead: lines.length, accepted: lines.length, quarantined: 0 });

    await ingestLegacy(legacy, { products: store.legacy.products, orders: [], deletedProductIds: [] });
    const tables = await compareRawTables(legacy, sql);
    for (const table of [
      'products',
      'product_variants',
      'assets',
      'product_asset_mappings',
      'tags',
      'tag_classifications',
    ]) {
      expectSameRows(tables[table]?.legacy ?? [], tables[table]?.new ?? [], table);
    }
  });

  it('an object written without a segment index loads as one segment', async () => {
    const lines = generateStore({ seed: 26, products: 10, orders: 0 }).fixture.products;
    const key = `test/plain-${crypto.randomUUID()}.jsonl.gz`;
    const gzip = new Blob([text(lines)]).stream().pipeThrough(new CompressionStream('gzip'));
    await bindings.RAW_ARCHIVE.put(key, await new Response(gzip).arrayBuffer());
    const [row] = await sql<{ id: string }[]>`
      insert into information_bearing_entity (object_key, resource_name, byte_count, line_count, sha256_digest)
      values (${key}, 'products', 0, ${lines.length}, ${'0'.repeat(64)}) returning information_bearing_entity_id as id`;
    const entity = await findArchivedObject(sql, { id: row?.id as string });
    expect(entity?.segment_index).toEqual([]);
    const done = await loadThroughQueue(row?.id as string);
    expect(done.status, done.error_text ?? '').toBe('succeeded');
    const [count] = await sql`select count(*)::int as n from material_artifact`;
    expect(count?.n).toBe(10);
  });
});
