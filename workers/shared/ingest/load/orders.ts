/** The orders writer: orders, the refunds they list and their lines, as they stream; waiting lines at resolve. */
import type postgres from 'postgres';
import type { Tx } from '#shared/db/types.ts';
import type { TouchedKeys } from '../../marts/performance-dataset.ts';
import { quarantineOrphanLines } from './quarantine.ts';
import { children, columnArrays, fieldsOf, lastOfEach, objectSource } from './rows.ts';
import {
  add,
  FOREIGN_KEY_VIOLATION,
  type IdRange,
  type LoadCounts,
  type LoadTarget,
  type ReadPass,
  type StagedRow,
  UNIQUE_VIOLATION,
} from './types.ts';

/**
 * Orders and their lines. A line whose order is not loaded yet (with groupObjects false it may
 * come first) is staged and written once the file has been read (resolveWaitingOrderLines).
 * The (product, day) keys the touched orders count on are recorded before and after, for the
 * incremental mart refresh.
 */
export async function writeOrders(
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
 * act_of_sale and the refunds the orders list (id, time; their lines come from the refunds
 * export): a plain INSERT under a savepoint (a first load's orders are new), again as an upsert
 * when one is already there.
 */
async function writeOrderRows(tx: Tx, orders: StagedRow[], counts: LoadCounts): Promise<void> {
  const rows = orderColumns(lastOfEach(orders));
  const written = await tx
    .savepoint((sp) => insertOrders(sp, rows, false))
    .catch((error: { code?: string }) => {
      if (error.code !== UNIQUE_VIOLATION) throw error;
      return tx.savepoint((sp) => insertOrders(sp, rows, true));
    });
  add(counts, 'act_of_sale', written?.orders ?? 0);
  add(counts, 'act_of_refund', written?.refunds ?? 0);
}

/** Orders (and the refunds they list) as column arrays, in the order insertOrders unnests them. */
function orderColumns(orders: StagedRow[]) {
  const order = columnArrays(orders, 14, (o) => {
    const f = fieldsOf(o);
    return [
      o.object_id,
      f.name,
      f.processedAt,
      f.createdAt,
      f.updatedAt,
      f.cancelledAt,
      f.currencyCode,
      f.financialStatus,
      f.fulfillmentStatus,
      f.subtotalPrice,
      f.totalDiscounts ?? 0,
      f.totalTax ?? 0,
      f.totalPrice,
      f.test ? 't' : 'f',
    ];
  });
  const stubs = orders.flatMap((o) =>
    ((fieldsOf(o).refunds ?? []) as { id: string; createdAt: string }[]).map((r) => [r.id, o.object_id, r.createdAt]),
  );
  return { order, refund: columnArrays(stubs, 3, ([id, orderId, createdAt]) => [id, orderId, createdAt]) };
}

async function insertOrders(tx: Tx, rows: ReturnType<typeof orderColumns>, upsert: boolean) {
  const [o, r] = [rows.order, rows.refund];
  const [written] = await tx<{ orders: number; refunds: number }[]>`
    with orders as (
      insert into act_of_sale
        (act_of_sale_id, order_name, processed_at, created_at, updated_at, cancelled_at, currency_code,
         financial_status, fulfillment_status, subtotal_price_measurement_value, total_discounts_measurement_value,
         total_tax_measurement_value, total_price_measurement_value, is_test, synced_at)
      select o.*, now()
      from unnest(${o[0]}::text::bigint[], ${o[1]}::text::text[], ${o[2]}::text::timestamptz[], ${o[3]}::text::timestamptz[],
                  ${o[4]}::text::timestamptz[], ${o[5]}::text::timestamptz[], ${o[6]}::text::text[], ${o[7]}::text::text[], ${o[8]}::text::text[],
                  ${o[9]}::text::numeric[], ${o[10]}::text::numeric[], ${o[11]}::text::numeric[], ${o[12]}::text::numeric[], ${o[13]}::text::boolean[])
        as o(id)
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
      select distinct on (r.id) r.id, r.order_id, r.created_at
      from unnest(${r[0]}::text::bigint[], ${r[1]}::text::bigint[], ${r[2]}::text::timestamptz[]) as r(id, order_id, created_at)
      order by r.id, r.order_id desc
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
  const c = columnArrays(lastOfEach(lines), 9, (l) => {
    const f = fieldsOf(l);
    return [
      l.object_id,
      l.parent_object_id,
      f.productId,
      f.variantId,
      f.title,
      f.sku === '' ? null : f.sku,
      f.quantity,
      f.price,
      f.totalDiscount ?? 0,
    ];
  });
  const insert = (upsert: boolean) =>
    tx.savepoint(async (sp) => {
      const result = await sp`
        insert into act_of_sale_line
          (act_of_sale_line_id, act_of_sale_id, material_artifact_id, material_artifact_variant_id, title, sku,
           quantity_count, unit_price_measurement_value, total_discount_measurement_value)
        select * from unnest(${c[0]}::text::bigint[], ${c[1]}::text::bigint[], ${c[2]}::text::bigint[], ${c[3]}::text::bigint[], ${c[4]}::text::text[],
                             ${c[5]}::text::text[], ${c[6]}::text::integer[], ${c[7]}::text::numeric[], ${c[8]}::text::numeric[]) as li(id)
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

/** Order lines staged while their order was missing, now that the whole file has been read. */
export async function resolveWaitingOrderLines(
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
