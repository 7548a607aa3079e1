/**
 * The performance mart: performance_measurement_dataset (one row per product per shop-local day)
 * and performance_measurement_daily_total (per day: the dataset summed over products, plus the
 * day's orders), computed from the raw Shopify tables exactly as the legacy
 * `refresh_mart_performance_metrics`:
 *   - sales count on the order's processed date, refunds on the refund's date, both shop-local
 *     (configuration_setting 'shop_timezone', else UTC);
 *   - test orders, cancelled orders and custom lines (no product) are excluded;
 *   - gross = Σ unit price × quantity, discounts = Σ line discounts, refunds = Σ refund line
 *     subtotals, net (aggregate_measurement_value) = gross − discounts − refunds.
 *
 * Two ways to refresh, producing identical tables (tested):
 *   - refreshPerformanceDataset: rebuild the days in [from, to] (null = unbounded), like the legacy.
 *   - refreshTouchedKeys: recompute only the (product, day) keys a load recorded with
 *     recordTouchedOrders. It rebuilds everything instead when the dataset was never fully built,
 *     when the shop timezone differs from the one of the last full rebuild (a timezone change
 *     moves every sale to another day), or when a load touched so many keys that a full rebuild is
 *     cheaper.
 * All refreshes take one transaction-scoped advisory lock, so they run one at a time.
 */
import type postgres from 'postgres';
import type { Queryable } from '#shared/db/types.ts';
import { shopTimezone } from '../shop-calendar.ts';

/** Arbitrary but fixed: every mart refresh holds this transaction-scoped advisory lock. */
const REFRESH_LOCK_KEY = 4_127_330_118;

/** work_mem for a rebuild's aggregates (transaction-local). */
const REBUILD_WORK_MEM = '64MB';

/**
 * Planner costs that let a rebuild's aggregation run in parallel workers (transaction-local). With
 * the defaults Postgres judges gathering 400k sorted rows too dear and sorts them in one process;
 * in parallel the aggregation took 40 % less time at 200k orders on 2 cores.
 */
const REBUILD_PARALLEL_COSTS = { parallel_setup_cost: '100', parallel_tuple_cost: '0.001' };

/** Above this many recorded keys a full rebuild is cheaper than key-by-key recomputation. */
export const FULL_REBUILD_KEY_THRESHOLD = 150_000;

export interface RefreshResult {
  mode: 'full' | 'range' | 'touched';
  /** Dataset rows written (for full and range: inserted, like the legacy function's result). */
  rows: number;
  /** Recorded keys consumed (touched mode and its fallbacks). */
  keys: number;
  /** Why a touched refresh rebuilt everything instead. */
  reason?: 'never_built' | 'timezone_changed' | 'too_many_keys';
  timezone: string;
}

/** A shop-local date 'YYYY-MM-DD', or null for unbounded. */
export interface DateRange {
  from?: string | null;
  to?: string | null;
}

/**
 * Rebuilds the dataset and the daily totals for the shop-local days in [from, to] (null or absent
 * = unbounded), exactly as `refresh_mart_performance_metrics(from, to)`. An unbounded rebuild also
 * records the timezone it was built in; the touched keys it covers are consumed.
 */
export async function refreshPerformanceDataset(sql: postgres.Sql, range: DateRange = {}): Promise<RefreshResult> {
  return sql.begin(async (tx) => {
    await lockRefresh(tx);
    const timezone = await shopTimezone(tx);
    const full = !range.from && !range.to;
    if (full) await tx`delete from performance_measurement_refresh_key`;
    const rows = await rebuildRange(tx, timezone, range);
    if (full) await recordFullRebuild(tx, timezone);
    return { mode: full ? 'full' : 'range', rows, keys: 0, timezone } satisfies RefreshResult;
  }) as Promise<RefreshResult>;
}

/**
 * Recomputes only the (product, day) keys recorded since the last refresh, then forgets them.
 * Falls back to a full rebuild when the dataset was never built in the current shop timezone.
 */
export async function refreshTouchedKeys(
  sql: postgres.Sql,
  options: { fullRebuildKeyThreshold?: number } = {},
): Promise<RefreshResult> {
  return sql.begin(async (tx) => {
    await lockRefresh(tx);
    const timezone = await shopTimezone(tx);
    const [{ built_in: builtIn, pending } = { built_in: null, pending: 0 }] = await tx<
      { built_in: string | null; pending: number }[]
    >`
      select (select shop_timezone from performance_measurement_refresh_state) as built_in,
             (select count(*)::int from performance_measurement_refresh_key) as pending`;
    const reason = !builtIn
      ? 'never_built'
      : builtIn !== timezone
        ? 'timezone_changed'
        : pending > (options.fullRebuildKeyThreshold ?? FULL_REBUILD_KEY_THRESHOLD)
          ? 'too_many_keys'
          : undefined;
    if (reason) {
      // Only the keys visible now are consumed: a load committing later keeps its keys for next time.
      const consumed = await tx`delete from performance_measurement_refresh_key`;
      const rows = await rebuildRange(tx, timezone, {});
      await recordFullRebuild(tx, timezone);
      return { mode: 'full', rows, keys: consumed.count, reason, timezone } satisfies RefreshResult;
    }
    // Fresh statistics for the keys: the table swings from hundreds of thousands of rows (after a
    // first load) to a few thousand, and with stale ones Postgres hashed the whole dataset to
    // delete a handful of rows (80 of 240 ms at 200k orders).
    await tx`analyze performance_measurement_refresh_key`;
    const { rows, keys } = await recomputeTouchedKeys(tx, timezone);
    return { mode: 'touched', rows, keys, timezone } satisfies RefreshResult;
  }) as Promise<RefreshResult>;
}

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

async function lockRefresh(tx: Queryable): Promise<void> {
  await tx`select pg_advisory_xact_lock(${REFRESH_LOCK_KEY}::bigint)`;
}

async function recordFullRebuild(tx: Queryable, timezone: string): Promise<void> {
  await tx`
    insert into performance_measurement_refresh_state (singleton, shop_timezone, full_refresh_at)
    values (true, ${timezone}, now())
    on conflict (singleton) do update
      set shop_timezone = excluded.shop_timezone, full_refresh_at = excluded.full_refresh_at`;
}

/**
 * The legacy refresh, on the new tables, for the days in [from, to]; returns the dataset rows the
 * range holds afterwards (what the legacy function returns: the rows it inserted). Two statements:
 * the first computes, in parallel workers, each order's local day once (the legacy converts once
 * per line), and turns sale lines and refund lines, as one stream, into the dataset rows with one
 * aggregate (the legacy aggregates each and full-joins them); the second finds the rows to write
 * and the rows to delete with one full join against the stored rows, and writes the daily totals. Unlike the legacy's delete-then-insert, it writes only
 * the rows that changed and deletes only the rows that no longer exist, so a nightly rebuild of an
 * unchanged history writes almost nothing; the resulting table is the same.
 */
async function rebuildRange(tx: Queryable, timezone: string, range: DateRange): Promise<number> {
  // Dates travel as text: postgres.js would otherwise pass them through JS Date.
  const from = range.from ?? '-infinity';
  const to = range.to ?? 'infinity';
  // An unbounded rebuild reads whole tables: no range predicates, so Postgres scans them
  // sequentially instead of walking an index over every row (200 ms of 2 s at 200k orders).
  const bounded = Boolean(range.from || range.to);
  type Column = ReturnType<Queryable>;
  const within = (time: Column) =>
    bounded
      ? // every timezone is less than two days from UTC: an index range; the exact day is kept below
        tx`and ${time} >= (${from}::text::date - 2)::timestamp at time zone 'UTC'
           and ${time} < (${to}::text::date + 3)::timestamp at time zone 'UTC'`
      : tx``;
  const dayWithin = (day: Column) =>
    bounded ? tx`and ${day} between ${from}::text::date and ${to}::text::date` : tx``;
  await tx`delete from performance_measurement_daily_total where true ${dayWithin(tx`measurement_date`)}`;
  // Enough memory for in-memory sorts and hashes, and parallel workers for the aggregation (SET
  // LOCAL: this transaction only, which transaction-mode poolers like Hyperdrive allow).
  await tx`select set_config('work_mem', ${REBUILD_WORK_MEM}, true),
                  set_config('parallel_setup_cost', ${REBUILD_PARALLEL_COSTS.parallel_setup_cost}, true),
                  set_config('parallel_tuple_cost', ${REBUILD_PARALLEL_COSTS.parallel_tuple_cost}, true)`;
  // The computed rows go to a temporary table first: Postgres runs a query in parallel only when
  // it writes nothing (or creates a table), and the write below has data-modifying parts.
  await tx`
    create temporary table performance_measurement_rebuild on commit drop as
    with order_day as (
      select o.act_of_sale_id, (o.processed_at at time zone ${timezone})::date as measurement_date
      from act_of_sale o
      where not o.is_test and o.cancelled_at is null ${within(tx`o.processed_at`)}
    ), line as (
      -- sales on the order's day, refunds on the refund's day; each kind leaves the other's columns null
      select li.material_artifact_id, d.measurement_date, d.act_of_sale_id, li.quantity_count as units_sold,
             li.unit_price_measurement_value * li.quantity_count as gross_sales,
             li.total_discount_measurement_value as discounts, null::integer as units_refunded, null::numeric as refunds
      from order_day d
      join act_of_sale_line li on li.act_of_sale_id = d.act_of_sale_id
      where li.material_artifact_id is not null
      union all
      select li.material_artifact_id, (r.created_at at time zone ${timezone})::date, null, null, null, null,
             rl.quantity_count, rl.subtotal_measurement_value
      from act_of_refund r
      join act_of_sale o on o.act_of_sale_id = r.act_of_sale_id
      join act_of_refund_line rl on rl.act_of_refund_id = r.act_of_refund_id
      join act_of_sale_line li on li.act_of_sale_line_id = rl.act_of_sale_line_id
      where not o.is_test and o.cancelled_at is null and li.material_artifact_id is not null
        ${within(tx`r.created_at`)}
    )
    -- the dataset rows: count(distinct) skips the refunds' null order; a sum over refunds only is
    -- null, hence coalesce (0.00, not 0: the daily totals keep the money's two decimals)
    select material_artifact_id, measurement_date,
           count(distinct act_of_sale_id) as orders_count, coalesce(sum(units_sold), 0) as units_sold,
           coalesce(sum(units_refunded), 0) as units_refunded,
           coalesce(sum(gross_sales), 0.00) as gross_sales, coalesce(sum(discounts), 0.00) as discounts,
           coalesce(sum(refunds), 0.00) as refunds
    from line
    where true ${dayWithin(tx`measurement_date`)}
    group by 1, 2
    union all
    -- and each day's orders (with or without product lines), under a null product
    select null, measurement_date, count(*), null, null, null, null, null
    from order_day
    where true ${dayWithin(tx`measurement_date`)}
    group by 2`;
  const [result] = await tx<{ rows: number }[]>`
    with merged as (
      select * from performance_measurement_rebuild where material_artifact_id is not null
    ), diff as (
      -- rows that are new or differ (g), and stored rows without a computed one (m): one full join
      select g.*, m.ctid as stored_ctid
      from merged g
      full join (
        select ctid, * from performance_measurement_dataset where true ${dayWithin(tx`measurement_date`)}
      ) m on m.material_artifact_id = g.material_artifact_id and m.measurement_date = g.measurement_date
      where g.material_artifact_id is null
         or m.material_artifact_id is null
         or (m.orders_count, m.units_sold_count, m.units_refunded_count, m.gross_sales_measurement_value,
             m.discounts_measurement_value, m.refunds_measurement_value, m.aggregate_measurement_value)
            is distinct from
            (g.orders_count, g.units_sold, g.units_refunded, g.gross_sales, g.discounts, g.refunds,
             g.gross_sales - g.discounts - g.refunds)
    ), written as (
      insert into performance_measurement_dataset
        (material_artifact_id, measurement_date, orders_count, units_sold_count, units_refunded_count,
         gross_sales_measurement_value, discounts_measurement_value, refunds_measurement_value,
         aggregate_measurement_value)
      select material_artifact_id, measurement_date, orders_count, units_sold, units_refunded,
             gross_sales, discounts, refunds, gross_sales - discounts - refunds
      from diff
      where material_artifact_id is not null
      on conflict (material_artifact_id, measurement_date) do update set
        orders_count = excluded.orders_count, units_sold_count = excluded.units_sold_count,
        units_refunded_count = excluded.units_refunded_count,
        gross_sales_measurement_value = excluded.gross_sales_measurement_value,
        discounts_measurement_value = excluded.discounts_measurement_value,
        refunds_measurement_value = excluded.refunds_measurement_value,
        aggregate_measurement_value = excluded.aggregate_measurement_value
    ), removed as (
      -- by tuple id: no scan of the dataset when nothing is to go
      delete from performance_measurement_dataset
      where ctid = any (array(select stored_ctid from diff where material_artifact_id is null))
    ), day_orders as (
      select measurement_date, orders_count from performance_measurement_rebuild where material_artifact_id is null
    ), day_products as (
      -- the net from the three sums: exact for numeric, and two operations less per row
      select measurement_date, sum(units_sold) as units_sold, sum(gross_sales) as gross_sales,
             sum(discounts) as discounts, sum(refunds) as refunds
      from merged
      group by 1
    ), totals as (
      insert into performance_measurement_daily_total
        (measurement_date, orders_count, units_sold_count, gross_sales_measurement_value,
         discounts_measurement_value, refunds_measurement_value, aggregate_measurement_value)
      select coalesce(o.measurement_date, p.measurement_date), coalesce(o.orders_count, 0),
             coalesce(p.units_sold, 0), coalesce(p.gross_sales, 0), coalesce(p.discounts, 0),
             coalesce(p.refunds, 0), coalesce(p.gross_sales - p.discounts - p.refunds, 0)
      from day_orders o
      full join day_products p on p.measurement_date = o.measurement_date
    )
    select count(*)::int as rows from merged`;
  return result?.rows ?? 0;
}

/**
 * Consumes the recorded keys and recomputes exactly those dataset rows (deleting the ones that no
 * longer have sales or refunds), and the daily totals of their days, in one statement. Candidate
 * orders and refunds are found per touched day through index ranges on processed_at / created_at,
 * so the work is proportional to the touched days. A day's total changes by the difference between
 * its touched rows' new and stored values (the totals are written with the dataset in every
 * refresh, so they agree): the day's untouched rows, scattered over the table, are never read.
 */
async function recomputeTouchedKeys(tx: Queryable, timezone: string): Promise<{ rows: number; keys: number }> {
  const [result] = await tx<{ rows: number; keys: number }[]>`
    with consumed as (
      delete from performance_measurement_refresh_key
      returning material_artifact_id, measurement_date
    ), touched_key as (
      select distinct material_artifact_id, measurement_date from consumed where material_artifact_id is not null
    ), touched_day as (
      select distinct measurement_date from consumed
    ), day_order as materialized (
      -- each touched day's orders: an index range around the day's local midnights (a DST shift
      -- moves them by at most 2 hours), then the exact day. Materialized, and offset 0 inside,
      -- so the planner runs one range scan per day instead of converting every order's time.
      -- In id order, so that the line lookups below walk their index forwards.
      select t.measurement_date, o.act_of_sale_id
      from touched_day t
      cross join lateral (
        select o.act_of_sale_id
        from act_of_sale o
        where o.processed_at >= (t.measurement_date::timestamp at time zone ${timezone}) - interval '3 hours'
          and o.processed_at < ((t.measurement_date + 1)::timestamp at time zone ${timezone}) + interval '3 hours'
          and (o.processed_at at time zone ${timezone})::date = t.measurement_date
          and not o.is_test and o.cancelled_at is null
        offset 0
      ) o
      order by o.act_of_sale_id
    ), day_refund as materialized (
      -- each touched day's refunds, the same way
      select t.measurement_date, r.act_of_refund_id, r.act_of_sale_id
      from touched_day t
      cross join lateral (
        select r.act_of_refund_id, r.act_of_sale_id
        from act_of_refund r
        where r.created_at >= (t.measurement_date::timestamp at time zone ${timezone}) - interval '3 hours'
          and r.created_at < ((t.measurement_date + 1)::timestamp at time zone ${timezone}) + interval '3 hours'
          and (r.created_at at time zone ${timezone})::date = t.measurement_date
        offset 0
      ) r
    ), day_line as materialized (
      -- the touched days' product lines first, then the keys by hash: the planner underestimates
      -- day_order and otherwise pairs every key with every order of its day (1.3 M index probes
      -- for a 1k-order sync at 200k orders: 5 s instead of 30 ms)
      select li.material_artifact_id, d.measurement_date, d.act_of_sale_id, li.quantity_count,
             li.unit_price_measurement_value, li.total_discount_measurement_value
      from day_order d
      join act_of_sale_line li on li.act_of_sale_id = d.act_of_sale_id
      where li.material_artifact_id is not null
    ), sales as (
      select li.material_artifact_id, li.measurement_date,
             count(distinct li.act_of_sale_id) as orders_count,
             sum(li.quantity_count) as units_sold,
             sum(li.unit_price_measurement_value * li.quantity_count) as gross_sales,
             sum(li.total_discount_measurement_value) as discounts
      from day_line li
      join touched_key k on k.material_artifact_id = li.material_artifact_id and k.measurement_date = li.measurement_date
      group by 1, 2
    ), refunds as (
      select li.material_artifact_id, d.measurement_date,
             sum(rl.quantity_count) as units_refunded,
             sum(rl.subtotal_measurement_value) as refunds
      from day_refund d
      join act_of_sale o on o.act_of_sale_id = d.act_of_sale_id
      join act_of_refund_line rl on rl.act_of_refund_id = d.act_of_refund_id
      join act_of_sale_line li on li.act_of_sale_line_id = rl.act_of_sale_line_id
      join touched_key k on k.material_artifact_id = li.material_artifact_id and k.measurement_date = d.measurement_date
      where not o.is_test and o.cancelled_at is null
      group by 1, 2
    ), merged as (
      select coalesce(s.material_artifact_id, f.material_artifact_id) as material_artifact_id,
             coalesce(s.measurement_date, f.measurement_date) as measurement_date,
             coalesce(s.orders_count, 0) as orders_count, coalesce(s.units_sold, 0) as units_sold,
             -- 0.00, not 0: the daily totals keep the money's two decimals, like the dataset columns
             coalesce(f.units_refunded, 0) as units_refunded, coalesce(s.gross_sales, 0.00) as gross_sales,
             coalesce(s.discounts, 0.00) as discounts, coalesce(f.refunds, 0.00) as refunds
      from sales s
      full join refunds f on f.material_artifact_id = s.material_artifact_id and f.measurement_date = s.measurement_date
    ), stored as materialized (
      -- the touched keys' rows as they are before this statement (its snapshot)
      select m.material_artifact_id, m.measurement_date, m.units_sold_count, m.gross_sales_measurement_value,
             m.discounts_measurement_value, m.refunds_measurement_value
      from touched_key k
      join performance_measurement_dataset m
        on m.material_artifact_id = k.material_artifact_id and m.measurement_date = k.measurement_date
    ), removed as (
      delete from performance_measurement_dataset m
      using stored k
      where m.material_artifact_id = k.material_artifact_id and m.measurement_date = k.measurement_date
        -- not in: a hashed lookup whatever the planner guesses about merged's size
        and (k.material_artifact_id, k.measurement_date) not in (select material_artifact_id, measurement_date from merged)
    ), written as (
      insert into performance_measurement_dataset as m
        (material_artifact_id, measurement_date, orders_count, units_sold_count, units_refunded_count,
         gross_sales_measurement_value, discounts_measurement_value, refunds_measurement_value,
         aggregate_measurement_value)
      select material_artifact_id, measurement_date, orders_count, units_sold, units_refunded,
             gross_sales, discounts, refunds, gross_sales - discounts - refunds
      from merged
      on conflict (material_artifact_id, measurement_date) do update set
        orders_count = excluded.orders_count, units_sold_count = excluded.units_sold_count,
        units_refunded_count = excluded.units_refunded_count,
        gross_sales_measurement_value = excluded.gross_sales_measurement_value,
        discounts_measurement_value = excluded.discounts_measurement_value,
        refunds_measurement_value = excluded.refunds_measurement_value,
        aggregate_measurement_value = excluded.aggregate_measurement_value
      returning 1
    ), day_change as (
      -- per touched day: the new values of its touched rows minus their stored values
      select measurement_date, sum(units_sold) as units_sold, sum(gross_sales) as gross_sales,
             sum(discounts) as discounts, sum(refunds) as refunds
      from (
        select measurement_date, units_sold, gross_sales, discounts, refunds from merged
        union all
        select measurement_date, -units_sold_count, -gross_sales_measurement_value, -discounts_measurement_value,
               -refunds_measurement_value
        from stored
      ) c
      group by 1
    ), day_orders as (
      select measurement_date, count(*) as orders_count from day_order group by 1
    ), day_total as (
      select t.measurement_date, coalesce(o.orders_count, 0) as orders_count,
             -- whether the day keeps any dataset row: a recomputed one, or one that was not touched
             exists (select 1 from merged g where g.measurement_date = t.measurement_date)
               or exists (
                 select 1 from performance_measurement_dataset m
                 where m.measurement_date = t.measurement_date
                   and not exists (select 1 from touched_key k
                                   where k.material_artifact_id = m.material_artifact_id
                                     and k.measurement_date = m.measurement_date)) as has_products,
             coalesce(d.units_sold_count, 0) + coalesce(c.units_sold, 0) as units_sold,
             coalesce(d.gross_sales_measurement_value, 0) + coalesce(c.gross_sales, 0) as gross_sales,
             coalesce(d.discounts_measurement_value, 0) + coalesce(c.discounts, 0) as discounts,
             coalesce(d.refunds_measurement_value, 0) + coalesce(c.refunds, 0) as refunds
      from touched_day t
      left join day_orders o on o.measurement_date = t.measurement_date
      left join day_change c on c.measurement_date = t.measurement_date
      left join performance_measurement_daily_total d on d.measurement_date = t.measurement_date
    ), totals_removed as (
      -- a day without orders and without dataset rows has no total, as in a full rebuild
      delete from performance_measurement_daily_total d
      using day_total t
      where d.measurement_date = t.measurement_date and t.orders_count = 0 and not t.has_products
    ), totals_written as (
      -- without dataset rows the sums are a plain 0, as the full rebuild's coalesce(…, 0) writes them
      insert into performance_measurement_daily_total as d
        (measurement_date, orders_count, units_sold_count, gross_sales_measurement_value,
         discounts_measurement_value, refunds_measurement_value, aggregate_measurement_value)
      select measurement_date, orders_count,
             case when has_products then units_sold else 0 end,
             case when has_products then gross_sales else 0 end,
             case when has_products then discounts else 0 end,
             case when has_products then refunds else 0 end,
             case when has_products then gross_sales - discounts - refunds else 0 end
      from day_total
      where orders_count > 0 or has_products
      on conflict (measurement_date) do update set
        orders_count = excluded.orders_count, units_sold_count = excluded.units_sold_count,
        gross_sales_measurement_value = excluded.gross_sales_measurement_value,
        discounts_measurement_value = excluded.discounts_measurement_value,
        refunds_measurement_value = excluded.refunds_measurement_value,
        aggregate_measurement_value = excluded.aggregate_measurement_value
    ), stamped as (
      update performance_measurement_refresh_state set incremental_refresh_at = now()
    )
    select (select count(*)::int from written) as rows, (select count(*)::int from consumed) as keys`;
  return { rows: result?.rows ?? 0, keys: result?.keys ?? 0 };
}
