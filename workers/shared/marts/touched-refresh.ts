/**
 * The incremental refresh of the performance mart: recomputes the (product, day) keys loads
 * recorded (touched-keys.ts), and moves the daily totals of their days by the difference.
 */
import type { Queryable } from '#shared/db/types.ts';
import { REPLACE_DATASET_FIGURES } from './refresh-lock.ts';

/**
 * Consumes the recorded keys and recomputes exactly those dataset rows (deleting the ones that no
 * longer have sales or refunds), and the daily totals of their days, in one statement. Candidate
 * orders and refunds are found per touched day through index ranges on processed_at / created_at,
 * so the work is proportional to the touched days. A day's total changes by the difference between
 * its touched rows' new and stored values (the totals are written with the dataset in every
 * refresh, so they agree): the day's untouched rows, scattered over the table, are never read.
 */
export async function recomputeTouchedKeys(tx: Queryable, timezone: string): Promise<{ rows: number; keys: number }> {
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
      ${tx.unsafe(REPLACE_DATASET_FIGURES)}
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
