/**
 * The loader: Shopify export lines → the raw tables, with exactly the semantics of the legacy
 * `ingest_product`, `ingest_order` and `delete_product` (test/fixtures/legacy-schema.sql), but
 * set-based and in bounded steps.
 *
 * A load has two halves, because with groupObjects false a child line may come before or after
 * its parent anywhere in a file of gigabytes:
 *   1. stream: every line is parsed and validated in batches of a few thousand; bad lines go to
 *      quarantined_line with their line number and reason. Orders, refunds and deletions, whose
 *      rows are upserted and never replaced as a family, are written at once (one transaction a
 *      batch, its statements pipelined); an order line whose order is not loaded yet waits in
 *      ingest_staged_object. Products are staged whole: a product's variants, images and tags
 *      replace the Shopify-owned ones, so it waits until the file has been read. Running a batch
 *      again (a killed step) writes the same rows: upserts, and (load_key, line_number) keys the
 *      staged ones.
 *   2. resolve, once the whole file has been read: staged families in batches of ids, each batch
 *      one transaction of a few set-based statements; then staged children whose parent never
 *      appeared are quarantined, and the staged rows deleted.
 * Both halves are resumable: `resolveNextBatch` takes and returns a serialisable LoadProgress.
 *
 * Legacy semantics kept (per parent): variants, Shopify images (denotation_relation source
 * 'shopify') and Shopify tags (tag_content_entity source 'shopify') that are no longer in Shopify
 * are removed, manual rows are never touched; status lower-cased; blank vendor / product type /
 * sku → null; tags split on commas, trimmed, lower-cased, de-duplicated and sorted; a product that
 * comes back loses its tombstone; order lines are upserted, never deleted; deletions set
 * deleted_at once (to the event's time, so a replay gives the same value).
 */
import type postgres from 'postgres';
import { freshRead } from '../db/fresh.ts';
import { type TouchedKeys, touchedKeysFor } from '../marts/performance-dataset.ts';
import { excerptOf, type JsonlRecord, numberLines } from './jsonl-reader.ts';
import {
  classifyLine,
  type ObjectType,
  RESOURCE_OBJECTS,
  type ResourceName,
  type StagedObject,
} from './shopify-objects.ts';

type Sql = postgres.Sql;
type Tx = postgres.TransactionSql;

/** Where the lines come from, for the staged rows and the quarantine. */
export interface LoadTarget {
  /** One key per load of one file: staged rows and quarantined lines are grouped by it. */
  loadKey: string;
  resource: ResourceName;
  procedureExecutionId?: string | null;
  informationBearingEntityId?: string | null;
}

export interface LoadCounts {
  /** Non-blank lines read. */
  linesRead: number;
  /** Lines accepted: valid objects of the types this resource loads (written, or staged until their family is read). */
  accepted: number;
  /** Lines of types the loader does not consume (Metafield, …): skipped by design. */
  ignored: number;
  /** Lines in quarantined_line (bad at staging, or unresolvable at the end). */
  quarantined: number;
  /** Rows inserted or updated per raw table, tombstones included under material_artifact_tombstone. */
  upserted: Record<string, number>;
  /** Orders whose (product, day) keys were recorded for the incremental mart refresh. */
  touchedOrders: number;
}

export interface LoadProgress {
  phase: 'resolve' | 'orphans' | 'cleanup' | 'done';
  /** resolve: the last parent id done. */
  afterObjectId: string | null;
  /** orphans / cleanup: the last line number done. */
  afterLineNumber: number;
  counts: LoadCounts;
}

export interface LoadSummary extends LoadCounts {
  loadKey: string;
  resource: ResourceName;
  /** Σ upserted: the rows this load wrote. */
  rowsUpserted: number;
}

export const STREAM_BATCH_LINES = 5000;
/** Connections a stream writes its batches on at once (the Workers pool has 5). */
export const LOAD_LANES = 2;
export const RESOLVE_BATCH_PARENTS = 1000;
/** Line-number window for the orphan check and the cleanup (each window one bounded statement). */
export const LINE_WINDOW = 100_000;

export function emptyCounts(): LoadCounts {
  return { linesRead: 0, accepted: 0, ignored: 0, quarantined: 0, upserted: {}, touchedOrders: 0 };
}

export function startProgress(counts: LoadCounts = emptyCounts()): LoadProgress {
  return { phase: 'resolve', afterObjectId: null, afterLineNumber: 0, counts };
}

// ---------------------------------------------------------------------------------- stage

interface StagedRow {
  line_number: number;
  object_type: string;
  object_id: string;
  parent_object_id: string | null;
  /** The validated payload as JSON text: serialised once, checked for what Postgres cannot store, sent as is. */
  payload: string;
}

interface QuarantineRow {
  line_number: number;
  reason: string;
  excerpt: string;
}

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
 * The lane of an object: an order line goes with its order, a refund with its order's other
 * refunds, anything else by its own id. So an object's later lines follow its earlier ones on one
 * connection, and the lines of one order never lock it (the foreign key's KEY SHARE) from two
 * transactions at once, which would make Postgres build a multixact for each such order.
 */
function laneOf(row: StagedRow, lanes: number): number {
  if (lanes === 1) return 0;
  const key =
    row.object_type === 'Refund'
      ? (/"orderId":"(\d+)"/.exec(row.payload)?.[1] ?? '')
      : row.object_type === 'LineItem'
        ? (row.parent_object_id ?? row.object_id)
        : row.object_id;
  return Number(key.slice(-6)) % lanes;
}

/**
 * Which lines a read of the file takes. A resource whose children are written as they stream
 * (orders) reads its file twice when it can: 'parents' first, then 'children', so every child
 * finds its parent written whatever the order of the lines, and nothing is staged. A source read
 * once ('all') stages the children whose parent has not come yet.
 */
export type ReadPass = 'all' | 'parents' | 'children';

/** A line with a `__parentId` key (at any depth; a string value cannot hold an unescaped quote). */
const CHILD_LINE = /"__parentId"\s*:/;

/** Every line is taken by exactly one of the two passes; invalid lines by the first. */
function inPass(pass: ReadPass, record: JsonlRecord): boolean {
  if (pass === 'all') return true;
  const child = record.kind === 'line' && CHILD_LINE.test(record.text);
  return pass === 'children' ? child : !child;
}

/** The passes a whole load of `resource` reads its (re-readable) source in. */
export function readPasses(resource: ResourceName): ReadPass[] {
  return resource === 'orders' ? ['parents', 'children'] : ['all'];
}

type LineOutcome =
  | { kind: 'accepted'; row: StagedRow }
  | { kind: 'quarantined'; row: QuarantineRow }
  | { kind: 'ignored' };

function readLine(resource: ResourceName, record: JsonlRecord): LineOutcome {
  const { lineNumber } = record;
  if (record.kind === 'invalid') {
    return { kind: 'quarantined', row: { line_number: lineNumber, reason: record.reason, excerpt: record.excerpt } };
  }
  const quarantine = (reason: string): LineOutcome => ({
    kind: 'quarantined',
    row: { line_number: lineNumber, reason, excerpt: excerptOf(record.text) },
  });
  let value: unknown;
  try {
    value = JSON.parse(record.text);
  } catch (error) {
    return quarantine(`malformed JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const classified = classifyLine(resource, value);
  if (classified.kind === 'ignored') return { kind: 'ignored' };
  if (classified.kind === 'invalid') return quarantine(classified.reason);
  const object: StagedObject = classified.object;
  const payload = JSON.stringify(object.payload);
  const problem = postgresTextProblem(payload);
  if (problem) return quarantine(problem);
  return {
    kind: 'accepted',
    row: {
      line_number: lineNumber,
      object_type: object.objectType,
      object_id: object.objectId,
      parent_object_id: object.parentObjectId,
      payload,
    },
  };
}

/** Text Postgres cannot store (jsonb rejects \u0000 and unpaired surrogates): quarantine, not a failed batch. */
function postgresTextProblem(json: string): string | null {
  // JSON.stringify writes both only as \u escapes: most payloads have none, and skip the regex
  if (!json.includes('\\u')) return null;
  if (json.includes('\\u0000')) return 'contains a NUL character, which Postgres text cannot store';
  if (/\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}/i.test(json)) {
    return 'contains an unpaired UTF-16 surrogate escape';
  }
  return null;
}

/** Replaces what Postgres text cannot hold (NUL, unpaired surrogates) with U+FFFD: excerpts, webhook payloads. */
export function storableText(text: string): string {
  return text.replaceAll('\u0000', '\uFFFD').replace(/[\uD800-\uDFFF]/g, (c, i: number, s: string) => {
    const code = c.charCodeAt(0);
    const pairedHigh = code <= 0xdbff && /[\uDC00-\uDFFF]/.test(s[i + 1] ?? '');
    const pairedLow = code >= 0xdc00 && /[\uD800-\uDBFF]/.test(s[i - 1] ?? '');
    return pairedHigh || pairedLow ? c : '\uFFFD';
  });
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

async function stage(sql: Sql | Tx, target: LoadTarget, rows: StagedRow[]): Promise<void> {
  await sql`
    insert into ingest_staged_object
      (load_key, line_number, resource_name, object_type, object_id, parent_object_id, payload)
    select ${target.loadKey}::uuid, x.line_number, ${target.resource}, x.object_type, x.object_id,
           x.parent_object_id, x.payload
    from jsonb_to_recordset(${rowsJson(rows)}::text::jsonb)
      as x(line_number bigint, object_type text, object_id bigint, parent_object_id bigint, payload jsonb)
    on conflict (load_key, line_number) do nothing`;
}

async function insertQuarantine(sql: Sql | Tx, target: LoadTarget, rows: QuarantineRow[]): Promise<number> {
  const result = await sql`
    insert into quarantined_line
      (load_key, procedure_execution_id, information_bearing_entity_id, resource_name, line_number,
       reason_text, line_excerpt)
    select ${target.loadKey}::uuid, ${target.procedureExecutionId ?? null}::uuid,
           ${target.informationBearingEntityId ?? null}::uuid, ${target.resource}, x.line_number, x.reason, x.excerpt
    from jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb) as x(line_number bigint, reason text, excerpt text)
    on conflict (load_key, line_number) do nothing`;
  return result.count;
}

// ---------------------------------------------------------------------------------- streamed writes

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

/** A batch's objects as rows (id, parent_id, line_number, payload): the last line of each id wins. */
function objectSource(tx: Tx, objects: StagedRow[]) {
  return tx`
    select x.object_id as id, x.parent_object_id as parent_id, x.line_number, x.payload
    from jsonb_to_recordset(${rowsJson(lastOfEach(objects))}::text::jsonb)
      as x(object_id bigint, parent_object_id bigint, line_number bigint, payload jsonb)`;
}

/** Rows as one JSON array, each payload spliced in as the text it already is (not serialised again). */
function rowsJson(rows: StagedRow[]): string {
  const parts = rows.map(
    (r) =>
      `{"line_number":${r.line_number},"object_type":"${r.object_type}","object_id":${r.object_id},` +
      `"parent_object_id":${r.parent_object_id ?? 'null'},"payload":${r.payload}}`,
  );
  return `[${parts.join(',')}]`;
}

/** The last line of each object id (a file may repeat an object: the last wins), in line order. */
function lastOfEach(objects: StagedRow[]): StagedRow[] {
  const last = new Map<string, StagedRow>();
  for (const o of objects) last.set(`${o.object_type}:${o.object_id}`, o);
  return [...last.values()];
}

/**
 * Orders and their lines. A line whose order is not loaded yet (with groupObjects false it may
 * come first) is staged and written once the file has been read (resolveWaitingOrderLines).
 * The (product, day) keys the touched orders count on are recorded before and after, for the
 * incremental mart refresh.
 */
async function writeOrders(
  tx: Tx,
  target: LoadTarget,
  objects: StagedRow[],
  counts: LoadCounts,
  pass: ReadPass,
  touch: TouchedKeys,
): Promise<void> {
  const orders = objects.filter((o) => o.object_type === 'Order');
  const lines = objects.filter((o) => o.object_type === 'LineItem');
  const writeLines = () =>
    (pass === 'children'
      ? writeLinesOfLoadedOrders(tx, target, lines)
      : upsertOrderLines(tx, target, objectSource(tx, lines), 'stage')
    ).then((result) => {
      add(counts, 'act_of_sale_line', result.written);
      counts.quarantined += result.quarantined;
    });
  if (pass === 'children') {
    // every order is written and its keys recorded: a line moves only its own keys
    const lineIds = lines.map((l) => l.object_id);
    await touch.lines(lineIds);
    await writeLines();
    await touch.lines(lineIds);
    return;
  }
  const orderIds = [...new Set([...orders.map((o) => o.object_id), ...lines.map((l) => l.parent_object_id ?? '')])];
  // one after the other: the orders' savepoint must not enclose the other statements
  await touch.orders(orderIds);
  if (orders.length > 0) await writeOrderRows(tx, orders, counts);
  if (lines.length > 0) await writeLines();
  await touch.orders(orderIds);
  counts.touchedOrders += orderIds.length;
}

/**
 * A batch's objects (the last line of each id) as one JSON array of flat records, the payload's
 * fields spliced in beside id, parent_id and line_number: json_to_recordset reads it straight
 * into typed columns, without building jsonb and picking fields out of it per row.
 */
function flatRowsJson(rows: StagedRow[]): string {
  const parts = lastOfEach(rows).map((r) => {
    const fields = r.payload.length > 2 ? `,${r.payload.slice(1)}` : '}';
    return `{"line_number":${r.line_number},"id":${r.object_id},"parent_id":${r.parent_object_id ?? 'null'}${fields}`;
  });
  return `[${parts.join(',')}]`;
}

/**
 * act_of_sale and the refunds the orders list (id, time; their lines come from the refunds
 * export): a plain INSERT under a savepoint (a first load's orders are new), again as an upsert
 * when one is already there.
 */
async function writeOrderRows(tx: Tx, orders: StagedRow[], counts: LoadCounts): Promise<void> {
  const rows = flatRowsJson(orders);
  const written = await tx
    .savepoint((sp) => insertOrders(sp, rows, false))
    .catch((error: { code?: string }) => {
      if (error.code !== UNIQUE_VIOLATION) throw error;
      return tx.savepoint((sp) => insertOrders(sp, rows, true));
    });
  add(counts, 'act_of_sale', written?.orders ?? 0);
  add(counts, 'act_of_refund', written?.refunds ?? 0);
}

async function insertOrders(tx: Tx, rows: string, upsert: boolean) {
  const [written] = await tx<{ orders: number; refunds: number }[]>`
    with o as materialized (
      select * from json_to_recordset(${rows}::text::json) as x(
        id bigint, name text, "processedAt" timestamptz, "createdAt" timestamptz, "updatedAt" timestamptz,
        "cancelledAt" timestamptz, "currencyCode" text, "financialStatus" text, "fulfillmentStatus" text,
        "subtotalPrice" numeric, "totalDiscounts" numeric, "totalTax" numeric, "totalPrice" numeric, test boolean,
        refunds json)
    ), orders as (
      insert into act_of_sale
        (act_of_sale_id, order_name, processed_at, created_at, updated_at, cancelled_at, currency_code,
         financial_status, fulfillment_status, subtotal_price_measurement_value, total_discounts_measurement_value,
         total_tax_measurement_value, total_price_measurement_value, is_test, synced_at)
      select o.id, o.name, o."processedAt", o."createdAt", o."updatedAt", o."cancelledAt", o."currencyCode",
             o."financialStatus", o."fulfillmentStatus", o."subtotalPrice", coalesce(o."totalDiscounts", 0),
             coalesce(o."totalTax", 0), o."totalPrice", coalesce(o.test, false), now()
      from o
      -- in key order: each index page is visited once per batch, not once per row
      order by o.id
      ${
        upsert
          ? tx`on conflict (act_of_sale_id) do update set
        order_name = excluded.order_name, processed_at = excluded.processed_at, created_at = excluded.created_at,
        updated_at = excluded.updated_at, cancelled_at = excluded.cancelled_at, currency_code = excluded.currency_code,
        financial_status = excluded.financial_status, fulfillment_status = excluded.fulfillment_status,
        subtotal_price_measurement_value = excluded.subtotal_price_measurement_value,
        total_discounts_measurement_value = excluded.total_discounts_measurement_value,
        total_tax_measurement_value = excluded.total_tax_measurement_value,
        total_price_measurement_value = excluded.total_price_measurement_value, is_test = excluded.is_test,
        synced_at = now()`
          : tx``
      }
      returning 1
    ), refunds as (
      -- foreign keys are checked at the end of the statement, when the orders above are in
      insert into act_of_refund (act_of_refund_id, act_of_sale_id, created_at)
      select distinct on ((r ->> 'id')::bigint) (r ->> 'id')::bigint, o.id, (r ->> 'createdAt')::timestamptz
      from o, json_array_elements(o.refunds) as r
      order by (r ->> 'id')::bigint, o.id desc
      ${
        upsert
          ? tx`on conflict (act_of_refund_id) do update set
        act_of_sale_id = excluded.act_of_sale_id, created_at = excluded.created_at`
          : tx``
      }
      returning 1
    )
    select (select count(*) from orders)::int as orders, (select count(*) from refunds)::int as refunds`;
  return written;
}

/**
 * The children pass's order lines: every order has been written, so the lines go in without a
 * lookup of their order each (the foreign key checks it anyway), and on a first load without
 * ON CONFLICT's speculative insertion (14 % of the statement's CPU, measured): a plain INSERT,
 * under a savepoint. A line already there (a unique violation) sends the batch round again as an
 * upsert; a line whose order is not in the file (the foreign key) sends it round checked, and those
 * lines are quarantined.
 */
async function writeLinesOfLoadedOrders(
  tx: Tx,
  target: LoadTarget,
  lines: StagedRow[],
): Promise<{ written: number; quarantined: number }> {
  const rows = flatRowsJson(lines);
  const insert = (upsert: boolean) =>
    tx.savepoint(async (sp) => {
      const result = await sp`
        insert into act_of_sale_line
          (act_of_sale_line_id, act_of_sale_id, material_artifact_id, material_artifact_variant_id, title, sku,
           quantity_count, unit_price_measurement_value, total_discount_measurement_value)
        select li.id, li.parent_id, li."productId", li."variantId", li.title, nullif(li.sku, ''), li.quantity, li.price,
               coalesce(li."totalDiscount", 0)
        from json_to_recordset(${rows}::text::json) as li(
          id bigint, parent_id bigint, title text, sku text, quantity integer, "productId" bigint, "variantId" bigint,
          price numeric, "totalDiscount" numeric)
        order by li.id
        ${
          upsert
            ? sp`on conflict (act_of_sale_line_id) do update set
          act_of_sale_id = excluded.act_of_sale_id, material_artifact_id = excluded.material_artifact_id,
          material_artifact_variant_id = excluded.material_artifact_variant_id, title = excluded.title, sku = excluded.sku,
          quantity_count = excluded.quantity_count, unit_price_measurement_value = excluded.unit_price_measurement_value,
          total_discount_measurement_value = excluded.total_discount_measurement_value`
            : sp``
        }`;
      return { written: result.count, quarantined: 0 };
    });
  try {
    return await insert(false).catch((error: { code?: string }) => {
      if (error.code !== UNIQUE_VIOLATION) throw error;
      return insert(true);
    });
  } catch (error) {
    if ((error as { code?: string }).code !== FOREIGN_KEY_VIOLATION) throw error;
    return upsertOrderLines(tx, target, objectSource(tx, lines), 'quarantine');
  }
}

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

/**
 * Upserts the lines whose order is loaded and, for the others, either stages them (a single read:
 * their order may come later in the file; a staged earlier copy of a line written now is dropped,
 * so it cannot win over it) or quarantines them (the children pass: every order has been read).
 */
async function upsertOrderLines(
  tx: Tx,
  target: LoadTarget,
  source: postgres.PendingQuery<postgres.Row[]>,
  missingOrder: 'stage' | 'quarantine',
): Promise<{ written: number; quarantined: number }> {
  const [result] = await tx<{ written: number; quarantined: number }[]>`
    with li as materialized (${source}), loaded as materialized (
      select li.*, exists (select 1 from act_of_sale o where o.act_of_sale_id = li.parent_id) as order_loaded from li
    ), written as (
      insert into act_of_sale_line
        (act_of_sale_line_id, act_of_sale_id, material_artifact_id, material_artifact_variant_id, title, sku,
         quantity_count, unit_price_measurement_value, total_discount_measurement_value)
      select li.id, li.parent_id, (li.payload ->> 'productId')::bigint, (li.payload ->> 'variantId')::bigint,
             li.payload ->> 'title', nullif(li.payload ->> 'sku', ''), (li.payload ->> 'quantity')::integer,
             (li.payload ->> 'price')::numeric, coalesce((li.payload ->> 'totalDiscount')::numeric, 0)
      from loaded li
      where li.order_loaded
      on conflict (act_of_sale_line_id) do update set
        act_of_sale_id = excluded.act_of_sale_id, material_artifact_id = excluded.material_artifact_id,
        material_artifact_variant_id = excluded.material_artifact_variant_id, title = excluded.title, sku = excluded.sku,
        quantity_count = excluded.quantity_count, unit_price_measurement_value = excluded.unit_price_measurement_value,
        total_discount_measurement_value = excluded.total_discount_measurement_value
      returning act_of_sale_line_id as id
    ), ${missingOrder === 'stage' ? stageWaitingLines(tx, target) : quarantineOrphanLines(tx, target)}
    select (select count(*) from written)::int as written, (select count(*) from missing)::int as quarantined`;
  return {
    written: result?.written ?? 0,
    quarantined: missingOrder === 'quarantine' ? (result?.quarantined ?? 0) : 0,
  };
}

/** CTEs of upsertOrderLines: lines whose order is missing wait staged; staged copies of lines written now go. */
function stageWaitingLines(tx: Tx, target: LoadTarget) {
  return tx`superseded as (
      -- = any (array): an index probe per id, whatever the (unanalyzed, growing) staging table's statistics say
      delete from ingest_staged_object s
      where s.load_key = ${target.loadKey} and s.object_type = 'LineItem'
        and s.object_id = any (array(select id from written))
    ), missing as (
      insert into ingest_staged_object
        (load_key, line_number, resource_name, object_type, object_id, parent_object_id, payload)
      select ${target.loadKey}::uuid, li.line_number, ${target.resource}, 'LineItem', li.id, li.parent_id, li.payload
      from loaded li
      where not li.order_loaded
      on conflict (load_key, line_number) do nothing
      returning 1
    )`;
}

/** CTE of upsertOrderLines: lines whose order is missing once every order has been read are quarantined. */
function quarantineOrphanLines(tx: Tx, target: LoadTarget) {
  return tx`missing as (
      insert into quarantined_line
        (load_key, procedure_execution_id, information_bearing_entity_id, resource_name, line_number, reason_text,
         line_excerpt)
      select ${target.loadKey}::uuid, ${target.procedureExecutionId ?? null}::uuid,
             ${target.informationBearingEntityId ?? null}::uuid, ${target.resource}, li.line_number,
             format('LineItem %s: its parent Order %s %s', li.id, li.parent_id, ${ORDER_ORPHAN_REASON}::text),
             left(li.payload::text, 200)
      from loaded li
      where not li.order_loaded
      on conflict (load_key, line_number) do nothing
      returning 1
    )`;
}

async function writeRefunds(
  tx: Tx,
  target: LoadTarget,
  objects: StagedRow[],
  counts: LoadCounts,
  _pass: ReadPass,
  touch: TouchedKeys,
): Promise<void> {
  // the payload is this loader's own serialisation (shopify-objects.ts): its orderId is a quoted decimal
  const orderIds = [...new Set(objects.map((o) => /"orderId":"(\d+)"/.exec(o.payload)?.[1] ?? ''))].filter(Boolean);
  await touch.orders(orderIds);
  const written = (await writeRefundsOfLoadedOrders(tx, objects)) ?? (await writeRefundsChecked(tx, target, objects));
  counts.quarantined += written.quarantined;
  add(counts, 'act_of_refund', written.refunds);
  add(counts, 'act_of_refund_line', written.lines);
  await touch.orders(orderIds);
  counts.touchedOrders += orderIds.length;
}

interface RefundsWritten {
  quarantined: number;
  refunds: number;
  lines: number;
}

/** Refunds and their lines without a lookup each; null when a foreign key refuses one (its order or line is not loaded). */
async function writeRefundsOfLoadedOrders(tx: Tx, objects: StagedRow[]): Promise<RefundsWritten | null> {
  try {
    return await tx.savepoint(async (sp) => {
      const [written] = await sp<RefundsWritten[]>`
        with r as materialized (
          select * from json_to_recordset(${flatRowsJson(objects)}::text::json)
            as x(id bigint, "createdAt" timestamptz, "orderId" bigint, lines json)
        ), refunds as (
          insert into act_of_refund (act_of_refund_id, act_of_sale_id, created_at)
          select r.id, r."orderId", r."createdAt" from r
          on conflict (act_of_refund_id) do update set
            act_of_sale_id = excluded.act_of_sale_id, created_at = excluded.created_at
          returning 1
        ), lines as (
          insert into act_of_refund_line
            (act_of_refund_line_id, act_of_refund_id, act_of_sale_line_id, quantity_count, subtotal_measurement_value)
          select distinct on ((l ->> 'id')::bigint)
                 (l ->> 'id')::bigint, r.id, (l ->> 'lineItemId')::bigint, (l ->> 'quantity')::integer,
                 (l ->> 'subtotal')::numeric
          from r, json_array_elements(r.lines) as l
          order by (l ->> 'id')::bigint, r.id desc
          on conflict (act_of_refund_line_id) do update set
            act_of_refund_id = excluded.act_of_refund_id, act_of_sale_line_id = excluded.act_of_sale_line_id,
            quantity_count = excluded.quantity_count, subtotal_measurement_value = excluded.subtotal_measurement_value
          returning 1
        )
        select 0 as quarantined, (select count(*) from refunds)::int as refunds, (select count(*) from lines)::int as lines`;
      return written ?? { quarantined: 0, refunds: 0, lines: 0 };
    });
  } catch (error) {
    if ((error as { code?: string }).code !== FOREIGN_KEY_VIOLATION) throw error;
    return null;
  }
}

async function writeRefundsChecked(tx: Tx, target: LoadTarget, objects: StagedRow[]): Promise<RefundsWritten> {
  // One statement: each refund checked once; one without its order or an order line (foreign keys,
  // like the legacy) is quarantined, the others written with their lines (checked at the statement's end).
  const [written] = await tx<RefundsWritten[]>`
    with refund as materialized (
      select p.id, p.line_number, p.payload,
             case
               when not exists (select 1 from act_of_sale o where o.act_of_sale_id = (p.payload ->> 'orderId')::bigint)
                 then format('order %s is not loaded', p.payload ->> 'orderId')
               else (select 'order lines ' || string_agg(l ->> 'lineItemId', ', ') || ' are not loaded'
                     from jsonb_array_elements(p.payload -> 'lines') l
                     where not exists (select 1 from act_of_sale_line x
                                       where x.act_of_sale_line_id = (l ->> 'lineItemId')::bigint))
             end as problem
      from (${objectSource(tx, objects)}) p
    ), quarantined as (
      insert into quarantined_line
        (load_key, procedure_execution_id, information_bearing_entity_id, resource_name, line_number, reason_text,
         line_excerpt)
      select ${target.loadKey}::uuid, ${target.procedureExecutionId ?? null}::uuid,
             ${target.informationBearingEntityId ?? null}::uuid, ${target.resource}, x.line_number, x.problem,
             left(x.payload::text, 200)
      from refund x where x.problem is not null
      on conflict (load_key, line_number) do nothing
      returning 1
    ), refunds as (
      insert into act_of_refund (act_of_refund_id, act_of_sale_id, created_at)
      select id, (payload ->> 'orderId')::bigint, (payload ->> 'createdAt')::timestamptz
      from refund x where problem is null
      on conflict (act_of_refund_id) do update set act_of_sale_id = excluded.act_of_sale_id, created_at = excluded.created_at
      returning 1
    ), lines as (
      insert into act_of_refund_line
        (act_of_refund_line_id, act_of_refund_id, act_of_sale_line_id, quantity_count, subtotal_measurement_value)
      select distinct on ((l ->> 'id')::bigint)
             (l ->> 'id')::bigint, x.id, (l ->> 'lineItemId')::bigint, (l ->> 'quantity')::integer,
             (l ->> 'subtotal')::numeric
      from refund x, jsonb_array_elements(x.payload -> 'lines') as l
      where x.problem is null
      order by (l ->> 'id')::bigint, x.id desc
      on conflict (act_of_refund_line_id) do update set
        act_of_refund_id = excluded.act_of_refund_id, act_of_sale_line_id = excluded.act_of_sale_line_id,
        quantity_count = excluded.quantity_count, subtotal_measurement_value = excluded.subtotal_measurement_value
      returning 1
    )
    select (select count(*) from quarantined)::int as quarantined, (select count(*) from refunds)::int as refunds,
           (select count(*) from lines)::int as lines`;
  return written ?? { quarantined: 0, refunds: 0, lines: 0 };
}

async function writeDeletions(tx: Tx, source: postgres.PendingQuery<postgres.Row[]>, counts: LoadCounts) {
  // delete_product: a tombstone, set once. The event's time (not now()) so a replay gives the same value.
  const tombstones = await tx`
    update material_artifact a
    set deleted_at = coalesce(a.deleted_at, (d.payload ->> 'deletedAt')::timestamptz, now())
    from (${source}) d
    where a.material_artifact_id = d.id`;
  add(counts, 'material_artifact_tombstone', tombstones.count);
}

// ---------------------------------------------------------------------------------- resolve

/** Staged rows of one load, in ranges of `rangeColumn` (ids in (after, upto]) of staged `rangeType` rows. */
interface IdRange {
  loadKey: string;
  after: string;
  upto: string;
}

interface StagedFamily {
  /** The staged rows whose ids, in ranges, make the resolve batches. */
  rangeType: ObjectType;
  rangeColumn: 'object_id' | 'parent_object_id';
  resolve: (tx: Tx, target: LoadTarget, range: IdRange, counts: LoadCounts, touch: TouchedKeys) => Promise<void>;
  /** Whether a staged child `c`'s parent is there to attach to: else it is quarantined at the end. */
  parentPresent: (sql: Sql) => postgres.PendingQuery<postgres.Row[]>;
  orphanReason: string;
}

const ORDER_ORPHAN_REASON = 'is not loaded (not in this file, or its line was quarantined)';

const STAGED_FAMILIES: Partial<Record<ResourceName, StagedFamily>> = {
  products: {
    rangeType: 'Product',
    rangeColumn: 'object_id',
    resolve: resolveProducts,
    parentPresent: (sql) => sql`exists (select 1 from ingest_staged_object p
                                        where p.load_key = c.load_key and p.object_type = 'Product'
                                          and p.object_id = c.parent_object_id)`,
    orphanReason: 'is not in this file (or its line was quarantined)',
  },
  orders: {
    rangeType: 'LineItem',
    rangeColumn: 'parent_object_id',
    resolve: resolveWaitingOrderLines,
    parentPresent: (sql) => sql`exists (select 1 from act_of_sale p where p.act_of_sale_id = c.parent_object_id)`,
    orphanReason: ORDER_ORPHAN_REASON,
  },
};

/**
 * Does the next bounded unit of the resolve half: one batch of staged families (one transaction),
 * one line window of the orphan check or of the cleanup. Call until the phase is 'done'. A
 * resource that stages nothing (refunds, deletions) is done at once.
 */
export async function resolveNextBatch(
  sql: Sql,
  target: LoadTarget,
  progress: LoadProgress,
  options: { batchParents?: number; lineWindow?: number } = {},
): Promise<LoadProgress> {
  const counts = progress.counts;
  const family = STAGED_FAMILIES[target.resource];
  if (!family) return { ...progress, phase: 'done' };
  if (progress.phase === 'resolve') {
    if (progress.afterObjectId === null) {
      // Fresh statistics for the rows just staged: without them the planner joins children to
      // parents by scanning the whole staging table per row.
      await sql`analyze ingest_staged_object`;
    }
    await analyzeGrownTables(sql, target.resource);
    const [batch] = await sql<{ upto: string | null }[]>`
      select max(id)::text as upto from (
        select distinct ${sql(family.rangeColumn)} as id from ingest_staged_object
        where load_key = ${target.loadKey} and object_type = ${family.rangeType}
          and ${sql(family.rangeColumn)} > ${progress.afterObjectId ?? '-1'}::bigint and ${freshRead(sql)}
        order by 1
        limit ${options.batchParents ?? RESOLVE_BATCH_PARENTS}) b`;
    if (!batch?.upto) return { ...progress, phase: 'orphans', afterLineNumber: 0 };
    const range: IdRange = { loadKey: target.loadKey, after: progress.afterObjectId ?? '-1', upto: batch.upto };
    await sql.begin(async (tx) => family.resolve(tx, target, range, counts, await touchedKeysFor(tx)));
    return { ...progress, afterObjectId: batch.upto };
  }
  if (progress.phase === 'orphans' || progress.phase === 'cleanup') {
    const [bounds] = await sql<{ last: number | null }[]>`
      select max(line_number)::float8 as last from ingest_staged_object
      where load_key = ${target.loadKey} and ${freshRead(sql)}`;
    const last = bounds?.last ?? 0;
    const from = progress.afterLineNumber;
    if (from >= last) {
      return progress.phase === 'orphans'
        ? { ...progress, phase: 'cleanup', afterLineNumber: 0 }
        : { ...progress, phase: 'done' };
    }
    const to = from + (options.lineWindow ?? LINE_WINDOW);
    if (progress.phase === 'orphans') counts.quarantined += await quarantineOrphans(sql, target, family, from, to);
    else
      await sql`
      delete from ingest_staged_object
      where load_key = ${target.loadKey} and line_number > ${from} and line_number <= ${to}`;
    return { ...progress, afterLineNumber: to };
  }
  return progress;
}

/** The raw tables a resource's writes and resolve batches write and join (recordTouchedOrders included). */
const RESOLVED_TABLES: Record<ResourceName, string[]> = {
  products: [
    'material_artifact',
    'material_artifact_variant',
    'media_content_entity',
    'denotation_relation',
    'tag_content_entity',
  ],
  orders: ['act_of_sale', 'act_of_sale_line', 'act_of_refund', 'act_of_refund_line'],
  refunds: ['act_of_sale', 'act_of_sale_line', 'act_of_refund', 'act_of_refund_line'],
  deletions: ['material_artifact'],
};

/**
 * Analyzes those of the resource's tables that changed by more rows than they held when last
 * analyzed (at least 10 000): about log2(n) times during a first load of n rows, never on a
 * routine one. Autovacuum analyzes at most once a minute; until then a table loaded from empty has
 * no statistics, the planner assumes 200 lines per order, and every batch's recordTouchedOrders
 * scanned all lines (18 s of a 200k-order first load).
 */
async function analyzeGrownTables(sql: Sql | Tx, resource: ResourceName): Promise<void> {
  const grown = await sql<{ name: string }[]>`
    select s.relname as name
    from pg_stat_user_tables s
    join pg_class c on c.oid = s.relid
    where s.schemaname = 'public' and s.relname in ${sql(RESOLVED_TABLES[resource])}
      and s.n_mod_since_analyze > greatest(10000, c.reltuples) and ${freshRead(sql)}`;
  // sql.unsafe: ANALYZE takes no parameters; the names are RESOLVED_TABLES (code) as the catalog spells them
  for (const { name } of grown) await sql.unsafe(`analyze "${name}"`);
}

function add(counts: LoadCounts, table: string, n: number) {
  counts.upserted[table] = (counts.upserted[table] ?? 0) + n;
}

/** The last staged line of each parent in the range (a file may repeat an object: the last wins). */
function parents(tx: Tx, type: string, r: IdRange) {
  return tx`
    select distinct on (object_id) object_id as id, line_number, payload
    from ingest_staged_object
    where load_key = ${r.loadKey} and object_type = ${type}
      and object_id > ${r.after}::bigint and object_id <= ${r.upto}::bigint
    order by object_id, line_number desc`;
}

/**
 * The last staged line of each child of `type` whose parent id is in the range; with
 * `parentType`, only those whose parent is staged in this load too.
 */
function children(tx: Tx, type: string, r: IdRange, parentType?: string) {
  return tx`
    select distinct on (c.object_id) c.object_id as id, c.parent_object_id as parent_id, c.line_number, c.payload
    from ingest_staged_object c
    where c.load_key = ${r.loadKey} and c.object_type = ${type}
      and c.parent_object_id > ${r.after}::bigint and c.parent_object_id <= ${r.upto}::bigint
      ${
        parentType
          ? tx`and exists (select 1 from ingest_staged_object p
                           where p.load_key = c.load_key and p.object_type = ${parentType}
                             and p.object_id = c.parent_object_id)`
          : tx``
      }
    order by c.object_id, c.line_number desc`;
}

/** Order lines staged while their order was missing, now that the whole file has been read. */
async function resolveWaitingOrderLines(
  tx: Tx,
  target: LoadTarget,
  r: IdRange,
  counts: LoadCounts,
  touch: TouchedKeys,
): Promise<void> {
  const orderIds = (
    await tx<{ id: string }[]>`
      select distinct c.parent_object_id::text as id from ingest_staged_object c
      where c.load_key = ${r.loadKey} and c.object_type = 'LineItem'
        and c.parent_object_id > ${r.after}::bigint and c.parent_object_id <= ${r.upto}::bigint`
  ).map((row) => row.id);
  await touch.orders(orderIds);
  // the ones whose order is still missing stay staged: the orphan check quarantines them
  add(counts, 'act_of_sale_line', (await upsertOrderLines(tx, target, children(tx, 'LineItem', r), 'stage')).written);
  await touch.orders(orderIds);
  counts.touchedOrders += orderIds.length;
}

/** Staged children in the line window whose parent is not there (see StagedFamily.parentPresent). */
async function quarantineOrphans(
  sql: Sql,
  target: LoadTarget,
  family: StagedFamily,
  from: number,
  to: number,
): Promise<number> {
  const parentType = RESOURCE_OBJECTS[target.resource].parent;
  const result = await sql`
    insert into quarantined_line
      (load_key, procedure_execution_id, information_bearing_entity_id, resource_name, line_number, reason_text,
       line_excerpt)
    select c.load_key, ${target.procedureExecutionId ?? null}::uuid, ${target.informationBearingEntityId ?? null}::uuid,
           c.resource_name, c.line_number,
           format('%s %s: its parent %s %s %s', c.object_type, c.object_id, ${parentType}::text, c.parent_object_id,
                  ${family.orphanReason}::text),
           left(c.payload::text, 200)
    from ingest_staged_object c
    where c.load_key = ${target.loadKey} and c.line_number > ${from} and c.line_number <= ${to}
      and c.parent_object_id is not null
      and not ${family.parentPresent(sql)}
    on conflict (load_key, line_number) do nothing`;
  return result.count;
}

/**
 * The media of each product with its position (1-based, in file order: the fixture format lists a
 * product's media in position order) and the media_content_entity it is, by Shopify image id when
 * the export gives a ProductImage gid, else by URL without the query string.
 */
function productImages(tx: Tx, r: IdRange) {
  return tx`
    with image as (
      select id, parent_id as product_id, payload as m,
             row_number() over (partition by parent_id order by line_number) as position
      from (${children(tx, 'MediaImage', r, 'Product')}) i
    ), by_url as (
      select distinct on (split_part(a.url, '?', 1)) split_part(a.url, '?', 1) as url_path, a.media_content_entity_id
      from media_content_entity a
      where split_part(a.url, '?', 1) in (select m ->> 'urlPath' from image where m ->> 'shopifyImageId' is null)
      order by split_part(a.url, '?', 1), a.shopify_image_id is null, a.created_at, a.media_content_entity_id
    )
    select i.product_id, i.position, i.m,
           coalesce(by_id.media_content_entity_id, by_url.media_content_entity_id) as media_content_entity_id
    from image i
    left join media_content_entity by_id on by_id.shopify_image_id = (i.m ->> 'shopifyImageId')::bigint
    left join by_url on i.m ->> 'shopifyImageId' is null and by_url.url_path = i.m ->> 'urlPath'`;
}

async function resolveProducts(tx: Tx, _target: LoadTarget, r: IdRange, counts: LoadCounts): Promise<void> {
  const products = await tx`
    insert into material_artifact as cur
      (material_artifact_id, title, handle, vendor, product_type, status, shopify_tag_names,
       created_at, updated_at, published_at, deleted_at, synced_at)
    select p.id, p.payload ->> 'title', p.payload ->> 'handle', nullif(p.payload ->> 'vendor', ''),
           nullif(p.payload ->> 'productType', ''), p.payload ->> 'status',
           -- the legacy normalize_tags: split on commas, trim, lower-case, distinct, sorted
           (select coalesce(array_agg(distinct t order by t), '{}')
            from (select lower(btrim(part)) as t
                  from jsonb_array_elements_text(p.payload -> 'tags') as tag(value),
                       unnest(string_to_array(tag.value, ',')) as part) s
            where t <> ''),
           (p.payload ->> 'createdAt')::timestamptz, (p.payload ->> 'updatedAt')::timestamptz,
           (p.payload ->> 'publishedAt')::timestamptz, null, now()
    from (${parents(tx, 'Product', r)}) p
    on conflict (material_artifact_id) do update set
      title = excluded.title, handle = excluded.handle, vendor = excluded.vendor,
      product_type = excluded.product_type, status = excluded.status, shopify_tag_names = excluded.shopify_tag_names,
      created_at = excluded.created_at, updated_at = excluded.updated_at,
      published_at = excluded.published_at, deleted_at = null, synced_at = now()`;
  add(counts, 'material_artifact', products.count);

  // Variants no longer in Shopify are removed (the legacy deletes those not in the product's list).
  await tx`
    delete from material_artifact_variant v
    using (select distinct object_id as id from ingest_staged_object
           where load_key = ${r.loadKey} and object_type = 'Product'
             and object_id > ${r.after}::bigint and object_id <= ${r.upto}::bigint) p
    where v.material_artifact_id = p.id
      and not exists (select 1 from ingest_staged_object s
                      where s.load_key = ${r.loadKey} and s.object_type = 'ProductVariant'
                        and s.parent_object_id = p.id and s.object_id = v.material_artifact_variant_id)`;
  const variants = await tx`
    insert into material_artifact_variant
      (material_artifact_variant_id, material_artifact_id, title, sku, price_measurement_value,
       compare_at_price_measurement_value, inventory_count, created_at, updated_at)
    select v.id, v.parent_id, v.payload ->> 'title', nullif(v.payload ->> 'sku', ''),
           (v.payload ->> 'price')::numeric, (v.payload ->> 'compareAtPrice')::numeric,
           (v.payload ->> 'inventoryQuantity')::integer, (v.payload ->> 'createdAt')::timestamptz,
           (v.payload ->> 'updatedAt')::timestamptz
    from (${children(tx, 'ProductVariant', r, 'Product')}) v
    on conflict (material_artifact_variant_id) do update set
      material_artifact_id = excluded.material_artifact_id, title = excluded.title, sku = excluded.sku,
      price_measurement_value = excluded.price_measurement_value,
      compare_at_price_measurement_value = excluded.compare_at_price_measurement_value,
      inventory_count = excluded.inventory_count, created_at = excluded.created_at, updated_at = excluded.updated_at`;
  add(counts, 'material_artifact_variant', variants.count);

  // Shopify images become media (upserted by Shopify image id, or matched by URL) mapped to the product.
  const mediaById = await tx`
    insert into media_content_entity as a (media_kind, url, alt_text, shopify_image_id)
    select distinct on ((i.m ->> 'shopifyImageId')::bigint)
           'image', i.m ->> 'url', nullif(i.m ->> 'alt', ''), (i.m ->> 'shopifyImageId')::bigint
    from (${productImages(tx, r)}) i
    where i.m ->> 'shopifyImageId' is not null
    order by (i.m ->> 'shopifyImageId')::bigint, i.product_id desc, i.position desc
    on conflict (shopify_image_id) do update set url = excluded.url, alt_text = excluded.alt_text`;
  const [mediaByUrl] = await tx<{ updated: number; inserted: number }[]>`
    with image as (
      select distinct on (i.m ->> 'urlPath') i.m, i.media_content_entity_id
      from (${productImages(tx, r)}) i
      where i.m ->> 'shopifyImageId' is null
      order by i.m ->> 'urlPath', i.product_id desc, i.position desc
    ), updated as (
      update media_content_entity a set url = i.m ->> 'url', alt_text = nullif(i.m ->> 'alt', '')
      from image i
      where a.media_content_entity_id = i.media_content_entity_id
      returning 1
    ), inserted as (
      insert into media_content_entity (media_kind, url, alt_text)
      select 'image', i.m ->> 'url', nullif(i.m ->> 'alt', '') from image i where i.media_content_entity_id is null
      returning 1
    )
    select (select count(*) from updated)::int as updated, (select count(*) from inserted)::int as inserted`;
  add(counts, 'media_content_entity', mediaById.count + (mediaByUrl?.updated ?? 0) + (mediaByUrl?.inserted ?? 0));

  const mappings = await tx`
    insert into denotation_relation (material_artifact_id, media_content_entity_id, role_name, display_position, source_system)
    select distinct on (i.product_id, i.media_content_entity_id)
           i.product_id, i.media_content_entity_id,
           case when i.position = 1 then 'featured' else 'gallery' end, i.position, 'shopify'
    from (${productImages(tx, r)}) i
    order by i.product_id, i.media_content_entity_id, i.position desc
    on conflict (material_artifact_id, media_content_entity_id) do update set
      role_name = excluded.role_name, display_position = excluded.display_position`;
  add(counts, 'denotation_relation', mappings.count);
  // Shopify images no longer on the product lose their mapping; manual mappings stay.
  await tx`
    delete from denotation_relation d
    using (select distinct object_id as id from ingest_staged_object
           where load_key = ${r.loadKey} and object_type = 'Product'
             and object_id > ${r.after}::bigint and object_id <= ${r.upto}::bigint) p
    where d.material_artifact_id = p.id and d.source_system = 'shopify'
      and not exists (select 1 from (${productImages(tx, r)}) i
                      where i.product_id = d.material_artifact_id
                        and i.media_content_entity_id = d.media_content_entity_id)`;

  // Shopify tags become tag classifications with source 'shopify'; removed ones go, manual ones stay.
  await tx`
    insert into tag_designation (tag_name)
    select distinct t.name
    from material_artifact a, unnest(a.shopify_tag_names) as t(name)
    where a.material_artifact_id > ${r.after}::bigint and a.material_artifact_id <= ${r.upto}::bigint
      and exists (select 1 from ingest_staged_object s where s.load_key = ${r.loadKey} and s.object_type = 'Product'
                  and s.object_id = a.material_artifact_id)
    order by t.name
    on conflict (tag_name) do nothing`;
  const tags = await tx`
    insert into tag_content_entity (material_artifact_id, tag_designation_id, source_system)
    select a.material_artifact_id, d.tag_designation_id, 'shopify'
    from material_artifact a
    cross join unnest(a.shopify_tag_names) as t(name)
    join tag_designation d on d.tag_name = t.name
    where a.material_artifact_id > ${r.after}::bigint and a.material_artifact_id <= ${r.upto}::bigint
      and exists (select 1 from ingest_staged_object s where s.load_key = ${r.loadKey} and s.object_type = 'Product'
                  and s.object_id = a.material_artifact_id)
    on conflict (material_artifact_id, tag_designation_id) do nothing`;
  add(counts, 'tag_content_entity', tags.count);
  await tx`
    delete from tag_content_entity tc
    using material_artifact a, tag_designation d
    where tc.material_artifact_id = a.material_artifact_id and tc.tag_designation_id = d.tag_designation_id
      and tc.source_system = 'shopify' and not (d.tag_name = any (a.shopify_tag_names))
      and a.material_artifact_id > ${r.after}::bigint and a.material_artifact_id <= ${r.upto}::bigint
      and exists (select 1 from ingest_staged_object s where s.load_key = ${r.loadKey} and s.object_type = 'Product'
                  and s.object_id = a.material_artifact_id)`;
}
// ---------------------------------------------------------------------------------- whole loads

/** Resolves everything staged under `target` (all batches, orphans, cleanup). */
export async function resolveAll(sql: Sql, target: LoadTarget, counts: LoadCounts): Promise<LoadProgress> {
  let progress = startProgress(counts);
  while (progress.phase !== 'done') progress = await resolveNextBatch(sql, target, progress);
  return progress;
}

export function summarize(target: LoadTarget, counts: LoadCounts): LoadSummary {
  const rowsUpserted = Object.values(counts.upserted).reduce((sum, n) => sum + n, 0);
  return { loadKey: target.loadKey, resource: target.resource, rowsUpserted, ...counts };
}

/**
 * Loads one file's lines in one go (stream, then resolve what was staged): for tests, replays of
 * small objects and tools. Memory stays bounded by the batch sizes; the step-wise path for
 * archived exports is workers/shared/ingest/load.procedure.ts. An array is read in the
 * resource's passes (readPasses); a one-shot iterable once.
 */
export async function loadJsonlLines(
  sql: Sql,
  resource: ResourceName,
  lines: AsyncIterable<string> | Iterable<string>,
  options: Omit<Partial<LoadTarget>, 'resource'> & { firstLineNumber?: number } = {},
): Promise<LoadSummary> {
  const open = () => numberLines(lines, options.firstLineNumber);
  return Array.isArray(lines)
    ? loadJsonlSource(sql, resource, open, options)
    : loadJsonlRecords(sql, resource, open(), options);
}

/** As loadJsonlLines, for records from readJsonlLines (a byte stream), read once. */
export async function loadJsonlRecords(
  sql: Sql,
  resource: ResourceName,
  records: AsyncIterable<JsonlRecord> | Iterable<JsonlRecord>,
  options: Omit<Partial<LoadTarget>, 'resource'> = {},
): Promise<LoadSummary> {
  let opened = false;
  return loadJsonlSource(
    sql,
    resource,
    () => {
      if (opened) throw new Error('loadJsonlRecords reads its records once');
      opened = true;
      return records;
    },
    { ...options, passes: ['all'] },
  );
}

/**
 * Loads a source that `open` reads from the start each time it is called (a file, an array):
 * one read per pass of the resource (orders: parents, then children, so nothing is staged).
 */
export async function loadJsonlSource(
  sql: Sql,
  resource: ResourceName,
  open: () => AsyncIterable<JsonlRecord> | Iterable<JsonlRecord>,
  options: Omit<Partial<LoadTarget>, 'resource'> & { passes?: ReadPass[] } = {},
): Promise<LoadSummary> {
  const target: LoadTarget = {
    loadKey: options.loadKey ?? crypto.randomUUID(),
    resource,
    procedureExecutionId: options.procedureExecutionId ?? null,
    informationBearingEntityId: options.informationBearingEntityId ?? null,
  };
  const counts = emptyCounts();
  for (const pass of options.passes ?? readPasses(resource)) await streamRecords(sql, target, open(), counts, { pass });
  await resolveAll(sql, target, counts);
  return summarize(target, counts);
}
