/** The stream half: lines in batches, written on a few lanes at once (streamed resources) or staged (products). */

import { storableText } from '#shared/db/storable.ts';
import type { Sql, Tx } from '#shared/db/types.ts';
import { type TouchedKeys, touchedKeysFor } from '../../marts/performance-dataset.ts';
import type { JsonlRecord } from '../jsonl-reader.ts';
import type { ResourceName } from '../shopify-objects.ts';
import { writeDeletions } from './deletions.ts';
import { inPass, readLine } from './lines.ts';
import { writeOrders } from './orders.ts';
import { insertQuarantine } from './quarantine.ts';
import { writeRefunds } from './refunds.ts';
import { analyzeGrownTables } from './resolve.ts';
import { fieldsOf, objectSource, stage } from './rows.ts';
import {
  LOAD_LANES,
  type LoadCounts,
  type LoadTarget,
  type QuarantineRow,
  type ReadPass,
  STREAM_BATCH_LINES,
  type StagedRow,
} from './types.ts';

/**
 * Reads `records` (from readJsonlLines or numberLines) in batches and writes each batch: a
 * streamed resource's objects go straight to the raw tables, products (and children that came
 * before their parent) to the staging table. Adds to `counts`; returns the last line number seen
 * (0 when none).
 */
export async function streamRecords(
  sql: Sql,
  target: LoadTarget,
  records: AsyncIterable<JsonlRecord> | Iterable<JsonlRecord>,
  counts: LoadCounts,
  options: { batchLines?: number; pass?: ReadPass; lanes?: number } = {},
): Promise<number> {
  const batchLines = options.batchLines ?? STREAM_BATCH_LINES;
  const pass = options.pass ?? 'all';
  // Batches are written on `lanes` connections at once, each object always on the same lane
  // (laneOf), so a later line of an object is still written after an earlier one. On each lane one
  // batch is written while the next is read and parsed.
  // products are staged whole (small, and a step's staging stays one transaction): one lane
  const laneCount = STREAMED_WRITERS[target.resource] ? (options.lanes ?? LOAD_LANES) : 1;
  const lanes = Array.from({ length: Math.max(1, laneCount) }, () => ({
    objects: [] as StagedRow[],
    quarantined: [] as QuarantineRow[],
    writing: Promise.resolve() as Promise<void>,
  }));
  let lastLineNumber = 0;
  const flush = async (lane: (typeof lanes)[number]) => {
    await lane.writing;
    lane.writing = writeBatch(sql, target, lane.objects, lane.quarantined, counts, pass);
    // observed here, awaited (and so thrown) at the lane's next flush or at the end
    lane.writing.catch(() => {});
    lane.objects = [];
    lane.quarantined = [];
  };
  const first = lanes[0] as (typeof lanes)[number];
  try {
    for await (const record of records as AsyncIterable<JsonlRecord>) {
      lastLineNumber = record.lineNumber;
      if (record.lineNumber % YIELD_EVERY_LINES === 0) await yieldToIo();
      if (!inPass(pass, record)) continue;
      counts.linesRead += 1;
      const outcome = readLine(target.resource, record);
      let lane = first;
      if (outcome.kind === 'accepted') {
        lane = lanes[laneOf(outcome.row, lanes.length)] as (typeof lanes)[number];
        lane.objects.push(outcome.row);
      } else if (outcome.kind === 'quarantined') first.quarantined.push(outcome.row);
      else counts.ignored += 1;
      if (lane.objects.length + lane.quarantined.length >= batchLines) await flush(lane);
    }
    for (const lane of lanes) if (lane.objects.length + lane.quarantined.length > 0) await flush(lane);
  } catch (error) {
    // a failed read leaves no write running behind it (its own failure, if any, is the lesser news)
    await Promise.all(lanes.map((lane) => lane.writing.catch(() => {})));
    throw error;
  }
  const outcomes = await Promise.allSettled(lanes.map((lane) => lane.writing));
  const failed = outcomes.find((o) => o.status === 'rejected');
  if (failed) throw failed.reason;
  return lastLineNumber;
}

/**
 * Lines read between two turns of the event loop (about 2–3 ms of work). Measured on the shuffled
 * 200k-order store: a load's connections waited for it in an open transaction 32 % of the time
 * without the turns, 17 % with them, and the load took 10.4–10.7 s instead of 11.4–11.5 s.
 */
const YIELD_EVERY_LINES = 200;

/**
 * Lets the connections' answers in: a source that hands over big chunks (a 1 MiB file read, an R2
 * body) yields its lines as microtasks only, and a lane's transaction would wait for its next
 * statement until the whole chunk is parsed.
 */
const yieldToIo = (): Promise<void> =>
  new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

/**
 * The lane of an object: an order line goes with its order, a refund with its order's other
 * refunds, anything else by its own id. So an object's later lines follow its earlier ones on one
 * connection, and the lines of one order never lock it (the foreign key's KEY SHARE) from two
 * transactions at once, which would make Postgres build a multixact for each such order.
 */
function laneOf(row: StagedRow, lanes: number): number {
  if (lanes === 1) return 0;
  const key =
    row.object_type === 'Refund'
      ? String(fieldsOf(row).orderId ?? '')
      : row.object_type === 'LineItem'
        ? (row.parent_object_id ?? row.object_id)
        : row.object_id;
  return Number(key.slice(-6)) % lanes;
}

async function writeBatch(
  sql: Sql,
  target: LoadTarget,
  objects: StagedRow[],
  quarantined: QuarantineRow[],
  counts: LoadCounts,
  pass: ReadPass,
): Promise<void> {
  const write = STREAMED_WRITERS[target.resource];
  if (objects.length > 0 && write) {
    await sql.begin(async (tx) => {
      const touch = await touchedKeysFor(tx);
      // the statistics matter to the touched-key queries' plans; a first load records none
      if (touch.recording) await analyzeGrownTables(tx, target.resource);
      await write(tx, target, objects, counts, pass, touch);
    });
  } else if (objects.length > 0) {
    await stage(sql, target, objects);
  }
  counts.accepted += objects.length;
  if (quarantined.length > 0) {
    const rows = quarantined.map((q) => ({ ...q, reason: storableText(q.reason), excerpt: storableText(q.excerpt) }));
    await insertQuarantine(sql, target, rows);
    counts.quarantined += quarantined.length;
  }
}

type StreamedWriter = (
  tx: Tx,
  target: LoadTarget,
  objects: StagedRow[],
  counts: LoadCounts,
  pass: ReadPass,
  touch: TouchedKeys,
) => Promise<void>;

/**
 * Resources whose objects are written as they stream, one transaction a batch: their rows are
 * upserted and never replaced as a family, so nothing needs the rest of the file first. Products
 * are not: a product's variants, images and tags replace the Shopify-owned ones it had, so a
 * product waits (staged) until its whole family has been read.
 */
const STREAMED_WRITERS: Partial<Record<ResourceName, StreamedWriter>> = {
  orders: writeOrders,
  refunds: writeRefunds,
  deletions: (tx, _target, objects, counts) => writeDeletions(tx, objectSource(tx, objects), counts),
};
