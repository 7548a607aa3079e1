/**
 * The dashboard queries: what the legacy RPCs `get_dashboard_summary`, `get_top_products` and
 * `get_sales_timeseries` return, computed on the new mart tables, converted to JSON-ready values
 * (money as numbers rounded to 2 decimals, counts and Shopify ids as numbers, dates as
 * 'YYYY-MM-DD'). Dates are inclusive shop-local dates; the callers validate them.
 *
 * The summary and the all-products time series read performance_measurement_daily_total (a row
 * per day) instead of scanning orders with a timezone conversion on every call like the legacy.
 */

import type { Queryable } from '#shared/db/types.ts';
import { freshRead } from '../db/fresh.ts';
import type { DateWindow } from '../shop-calendar.ts';

export interface DashboardSummary {
  from: string;
  to: string;
  net_sales: number;
  gross_sales: number;
  discounts: number;
  refunds: number;
  units_sold: number;
  orders: number;
  average_order_value: number;
  previous: { net_sales: number; units_sold: number; orders: number };
  /** null when the previous period's net sales are 0 */
  net_sales_change_pct: number | null;
}

export const TOP_PRODUCT_METRICS = ['net_sales', 'units_sold'] as const;
export type TopProductMetric = (typeof TOP_PRODUCT_METRICS)[number];

export interface TopProduct {
  rank: number;
  product_id: number;
  /** null when the product was never loaded (a line may name an unknown product) */
  title: string | null;
  net_sales: number;
  units_sold: number;
  orders_count: number;
}

export const GRANULARITIES = ['day', 'week', 'month'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

export interface SalesPeriod {
  /** the period's first day: the day, the ISO week's Monday, or the month's first day */
  period_start: string;
  net_sales: number;
  gross_sales: number;
  refunds: number;
  units_sold: number;
}

/**
 * `get_dashboard_summary(from, to)`: totals for [from, to] and the equally long period just
 * before it. Built as jsonb by the same expressions as the legacy, so keys, nesting and rounding
 * are identical.
 */
export async function getDashboardSummary(sql: Queryable, window: DateWindow): Promise<DashboardSummary> {
  const [row] = await sql<{ summary: string }[]>`
    with bounds as (
      select ${window.from}::text::date as cur_from, ${window.to}::text::date as cur_to,
             ${window.from}::text::date - (${window.to}::text::date - ${window.from}::text::date + 1) as prev_from,
             ${window.from}::text::date - 1 as prev_to
    ), totals as (
      select
        coalesce(sum(t.aggregate_measurement_value)   filter (where t.measurement_date between b.cur_from and b.cur_to), 0)   as net,
        coalesce(sum(t.gross_sales_measurement_value) filter (where t.measurement_date between b.cur_from and b.cur_to), 0)   as gross,
        coalesce(sum(t.discounts_measurement_value)   filter (where t.measurement_date between b.cur_from and b.cur_to), 0)   as disc,
        coalesce(sum(t.refunds_measurement_value)     filter (where t.measurement_date between b.cur_from and b.cur_to), 0)   as refs,
        coalesce(sum(t.units_sold_count)              filter (where t.measurement_date between b.cur_from and b.cur_to), 0)   as units,
        coalesce(sum(t.orders_count)                  filter (where t.measurement_date between b.cur_from and b.cur_to), 0)   as cur_orders,
        coalesce(sum(t.aggregate_measurement_value)   filter (where t.measurement_date between b.prev_from and b.prev_to), 0) as prev_net,
        coalesce(sum(t.units_sold_count)              filter (where t.measurement_date between b.prev_from and b.prev_to), 0) as prev_units,
        coalesce(sum(t.orders_count)                  filter (where t.measurement_date between b.prev_from and b.prev_to), 0) as prev_orders
      from bounds b
      left join performance_measurement_daily_total t on t.measurement_date between b.prev_from and b.cur_to
    )
    select jsonb_build_object(
      'from', b.cur_from,
      'to', b.cur_to,
      'net_sales', round(t.net, 2),
      'gross_sales', round(t.gross, 2),
      'discounts', round(t.disc, 2),
      'refunds', round(t.refs, 2),
      'units_sold', t.units,
      'orders', t.cur_orders,
      'average_order_value', coalesce(round(t.net / nullif(t.cur_orders, 0), 2), 0),
      'previous', jsonb_build_object(
        'net_sales', round(t.prev_net, 2),
        'units_sold', t.prev_units,
        'orders', t.prev_orders),
      'net_sales_change_pct', round(100 * (t.net - t.prev_net) / nullif(t.prev_net, 0), 2)
    )::text as summary
    from bounds b, totals t`;
  // JSON text parsed here: the same numbers whatever the client's type parsers are.
  return JSON.parse(row?.summary ?? 'null') as DashboardSummary;
}

/**
 * `get_top_products(from, to, limit, metric)`: products ranked by net sales or units sold over
 * [from, to], ties by product id; `limit` null = all. The window's mart rows are read by an
 * index-only scan of performance_measurement_dataset_date_artifact_measures_idx.
 */
export async function getTopProducts(
  sql: Queryable,
  input: DateWindow & {
    limit?: number | null;
    metric?: TopProductMetric;
    /** Past any query cache (parity checks compare the data as it is). */
    fresh?: boolean;
  },
): Promise<TopProduct[]> {
  const metric = input.metric ?? 'net_sales';
  if (!TOP_PRODUCT_METRICS.includes(metric)) throw new RangeError(`unknown metric ${metric}`);
  const rows = await sql<
    {
      rank: number;
      product_id: string;
      title: string | null;
      net_sales: string;
      units_sold: string;
      orders_count: string;
    }[]
  >`
    with agg as (
      select m.material_artifact_id, sum(m.aggregate_measurement_value) as net_sales,
             sum(m.units_sold_count)::bigint as units_sold, sum(m.orders_count)::bigint as orders_count
      from performance_measurement_dataset m
      where m.measurement_date between ${input.from}::text::date and ${input.to}::text::date
        ${input.fresh ? sql`and ${freshRead(sql)}` : sql``}
      group by m.material_artifact_id
    ), ranked as (
      -- ranked and cut first, so that only the returned rows look up their titles
      select a.*, row_number() over (order by case when ${metric}::text = 'units_sold' then a.units_sold::numeric
                                                  else a.net_sales end desc, a.material_artifact_id)::int as rank
      from agg a
      order by rank
      limit ${input.limit ?? null}::int
    )
    select r.rank, r.material_artifact_id::text as product_id, p.title, round(r.net_sales, 2)::text as net_sales,
           r.units_sold::text as units_sold, r.orders_count::text as orders_count
    from ranked r
    left join material_artifact p on p.material_artifact_id = r.material_artifact_id
    order by r.rank`;
  return rows.map((r) => ({
    rank: Number(r.rank),
    product_id: Number(r.product_id),
    title: r.title,
    net_sales: Number(r.net_sales),
    units_sold: Number(r.units_sold),
    orders_count: Number(r.orders_count),
  }));
}

/**
 * `get_sales_timeseries(from, to, granularity, productId)`: one row per day, ISO week (Monday)
 * or month from the period of `from` to the period of `to`, zero-filled, optionally for one product.
 */
export async function getSalesTimeseries(
  sql: Queryable,
  input: DateWindow & { granularity?: Granularity; productId?: string | number | null },
): Promise<SalesPeriod[]> {
  const granularity = input.granularity ?? 'day';
  if (!GRANULARITIES.includes(granularity)) throw new RangeError(`unknown granularity ${granularity}`);
  const productId = input.productId == null ? null : String(input.productId);
  const rows = await sql<
    { period_start: string; net_sales: string; gross_sales: string; refunds: string; units_sold: string }[]
  >`
    with periods as (
      select g::date as period_start
      from generate_series(date_trunc(${granularity}::text, ${input.from}::text::date::timestamp),
                           date_trunc(${granularity}::text, ${input.to}::text::date::timestamp),
                           ('1 ' || ${granularity}::text)::interval) g
    ), day as (
      -- all products: the daily totals; one product: its dataset rows
      select measurement_date, aggregate_measurement_value, gross_sales_measurement_value,
             refunds_measurement_value, units_sold_count
      from performance_measurement_daily_total
      where ${productId}::text is null
        and measurement_date between ${input.from}::text::date and ${input.to}::text::date
      union all
      select measurement_date, aggregate_measurement_value, gross_sales_measurement_value,
             refunds_measurement_value, units_sold_count
      from performance_measurement_dataset
      where material_artifact_id = ${productId}::text::bigint
        and measurement_date between ${input.from}::text::date and ${input.to}::text::date
    ), agg as (
      select date_trunc(${granularity}::text, d.measurement_date::timestamp)::date as period_start,
             sum(d.aggregate_measurement_value) as net_sales, sum(d.gross_sales_measurement_value) as gross_sales,
             sum(d.refunds_measurement_value) as refunds, sum(d.units_sold_count)::bigint as units_sold
      from day d
      group by 1
    )
    select p.period_start::text as period_start, round(coalesce(a.net_sales, 0), 2)::text as net_sales,
           round(coalesce(a.gross_sales, 0), 2)::text as gross_sales, round(coalesce(a.refunds, 0), 2)::text as refunds,
           coalesce(a.units_sold, 0)::text as units_sold
    from periods p
    left join agg a on a.period_start = p.period_start
    order by p.period_start`;
  return rows.map((r) => ({
    period_start: r.period_start,
    net_sales: Number(r.net_sales),
    gross_sales: Number(r.gross_sales),
    refunds: Number(r.refunds),
    units_sold: Number(r.units_sold),
  }));
}
