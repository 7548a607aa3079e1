/**
 * What a load records for the next incremental refresh: the (product, shop-local day) keys its
 * orders and lines contribute to, before and after their upsert (performance_measurement_refresh_key).
 */

import type { Queryable } from '#shared/db/types.ts';
import { REFRESH_LOCK_KEY } from './refresh-lock.ts';

/**
 * Records the (product, day) keys the given orders contribute to right now: the processed day of
 * each order (its order count) and of each of its product lines, and the refund day of each of
 * its refunded product lines. Call it inside the load's transaction BEFORE and AFTER upserting
 * those orders (and their refunds), so both the days they leave and the days they land on are
 * recomputed. Test and cancelled orders are recorded too: a change of either flag moves figures.
 */
export async function recordTouchedOrders(sql: Queryable, orderIds: readonly (string | number)[]): Promise<number> {
  if (orderIds.length === 0) return 0;
  const ids = JSON.stringify(orderIds.map(String));
  const result = await sql`
    with shop as (
      select coalesce((select setting_value #>> '{}' from configuration_setting where setting_key = 'shop_timezone'),
                      'UTC') as timezone
    ), touched_order as (
      select distinct o.act_of_sale_id, (o.processed_at at time zone shop.timezone)::date as processed_on
      from jsonb_array_elements_text(${ids}::text::jsonb) as id(value)
      cross join shop
      join act_of_sale o on o.act_of_sale_id = id.value::bigint
    ), touched as (
      -- the order's day: its order count (also for orders without product lines)
      select null::bigint as material_artifact_id, t.processed_on as measurement_date
      from touched_order t
      union
      -- its products' sales on that day
      select li.material_artifact_id, t.processed_on
      from touched_order t
      join act_of_sale_line li on li.act_of_sale_id = t.act_of_sale_id
      where li.material_artifact_id is not null
      union
      -- its refunds, on the refund's day
      select li.material_artifact_id, (r.created_at at time zone shop.timezone)::date
      from touched_order t
      cross join shop
      join act_of_refund r on r.act_of_sale_id = t.act_of_sale_id
      join act_of_refund_line rl on rl.act_of_refund_id = r.act_of_refund_id
      join act_of_sale_line li on li.act_of_sale_line_id = rl.act_of_sale_line_id
      where li.material_artifact_id is not null
    )
    insert into performance_measurement_refresh_key (material_artifact_id, measurement_date)
    select material_artifact_id, measurement_date from touched`;
  return result.count;
}

/** Records the touched keys of a load's batch (recordTouchedOrders / recordTouchedLines), or nothing when none are needed. */
export interface TouchedKeys {
  /** False until the dataset has been built once: nothing is recorded. */
  recording: boolean;
  orders(orderIds: readonly (string | number)[]): Promise<number>;
  lines(lineIds: readonly (string | number)[]): Promise<number>;
}

/**
 * The touched-key recorder for one transaction of a load. Until the dataset has been built once,
 * the next refresh is a full rebuild that discards the keys (refreshTouchedKeys, 'never_built'),
 * so a first load records none: on 200k orders they were ~900k rows and a quarter of its database
 * time. The shared lock keeps a refresh from running between that check and the commit, so the
 * first build either sees this transaction's rows or runs before it and leaves the state row
 * that makes it record keys.
 */
export async function touchedKeysFor(tx: Queryable): Promise<TouchedKeys> {
  const built = async () => (await tx`select 1 from performance_measurement_refresh_state`).length > 0;
  let recording = await built();
  if (!recording) {
    await tx`select pg_advisory_xact_lock_shared(${REFRESH_LOCK_KEY}::bigint)`;
    recording = await built();
  }
  return recording
    ? { recording, orders: (ids) => recordTouchedOrders(tx, ids), lines: (ids) => recordTouchedLines(tx, ids) }
    : { recording, orders: async () => 0, lines: async () => 0 };
}

/**
 * Records the (product, day) keys the given order lines contribute to right now: their order's
 * processed day, and the refund day of each refund of them. Call it BEFORE and AFTER upserting
 * lines whose order is already written (its own keys recorded with recordTouchedOrders): a line
 * moves only its own keys, so this is exact and far smaller than recording its whole order again.
 */
export async function recordTouchedLines(sql: Queryable, lineIds: readonly (string | number)[]): Promise<number> {
  if (lineIds.length === 0) return 0;
  const ids = JSON.stringify(lineIds.map(String));
  const result = await sql`
    with shop as (
      select coalesce((select setting_value #>> '{}' from configuration_setting where setting_key = 'shop_timezone'),
                      'UTC') as timezone
    ), line as (
      select li.act_of_sale_line_id, li.act_of_sale_id, li.material_artifact_id
      from jsonb_array_elements_text(${ids}::text::jsonb) as id(value)
      join act_of_sale_line li on li.act_of_sale_line_id = id.value::bigint
      where li.material_artifact_id is not null
    ), touched as (
      select l.material_artifact_id, (o.processed_at at time zone shop.timezone)::date as measurement_date
      from line l cross join shop
      join act_of_sale o on o.act_of_sale_id = l.act_of_sale_id
      union
      select l.material_artifact_id, (r.created_at at time zone shop.timezone)::date
      from line l cross join shop
      join act_of_refund_line rl on rl.act_of_sale_line_id = l.act_of_sale_line_id
      join act_of_refund r on r.act_of_refund_id = rl.act_of_refund_id
    )
    insert into performance_measurement_refresh_key (material_artifact_id, measurement_date)
    select material_artifact_id, measurement_date from touched`;
  return result.count;
}
