/**
 * The oracle side of the mart tests: load a generated store into the legacy schema through its own
 * functions, and read the legacy results (mart rows, classifications, dashboard RPCs) in the same
 * shapes the new functions return, so a test compares them with toEqual.
 */

import type { Sql } from '#shared/db/types.ts';
import { mappedColumns, mappingForLegacyTable, quoteIdent } from '../../db/names-map.ts';
import type { GeneratedStore } from '../../scripts/store-generator/generate.ts';
import { loadJsonlLines } from '../../workers/shared/ingest/load.ts';
import type {
  DashboardSummary,
  Granularity,
  SalesPeriod,
  TopProduct,
  TopProductMetric,
} from '../../workers/shared/marts/dashboard.ts';

/** The legacy REST side of a store into the legacy schema, as the old Express app did it. */
export { ingestLegacyOrders, loadLegacyStore } from '../../scripts/lib/legacy-store.ts';

/** 'YYYY-MM-DD' plus n days. */
export function addDays(isoDate: string, days: number): string {
  const date = new Date(`${isoDate}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** Sets the same staff override on both sides (legacy product_classifications, new nominal_classification). */
export async function setManualClassification(
  legacy: Sql,
  next: Sql,
  productId: number,
  classification: string,
  note: string,
): Promise<void> {
  await legacy`
    insert into product_classifications (product_id, classification, is_manual, note)
    values (${String(productId)}::bigint, ${classification}, true, ${note})
    on conflict (product_id) do update set classification = excluded.classification, is_manual = true, note = excluded.note`;
  await next`
    insert into nominal_classification (material_artifact_id, classification_code, is_manual, note_text)
    values (${String(productId)}::bigint, ${classification}, true, ${note})
    on conflict (material_artifact_id) do update
      set classification_code = excluded.classification_code, is_manual = true, note_text = excluded.note_text`;
}

/**
 * The fixture side of a store into the new raw tables through the ingest loader (the real path),
 * with the shop timezone set as the shop sync sets it.
 */
export async function loadNewStore(sql: Sql, store: Pick<GeneratedStore, 'shop' | 'fixture'>): Promise<void> {
  await sql`
    insert into configuration_setting (setting_key, setting_value)
    values ('shop_timezone', to_jsonb(${store.shop.ianaTimezone}::text))
    on conflict (setting_key) do update set setting_value = excluded.setting_value`;
  for (const resource of ['products', 'orders', 'refunds', 'deletions'] as const) {
    const summary = await loadJsonlLines(sql, resource, store.fixture[resource]);
    if (summary.quarantined > 0) throw new Error(`${summary.quarantined} ${resource} lines were quarantined`);
  }
}

// ---------------------------------------------------------------- comparable rows

/** A legacy table's rows in legacy column names, values as text, ordered by its key. */
async function legacyRows(sql: Sql, legacyTable: string, exclude: string[] = []): Promise<Record<string, string>[]> {
  const mapping = mappingForLegacyTable(legacyTable);
  const columns = mappedColumns(mapping).filter((c) => !exclude.includes(c.legacyColumn));
  const list = columns.map((c) => `${quoteIdent(c.legacyColumn)}::text as ${quoteIdent(c.legacyColumn)}`).join(', ');
  const order = mapping.legacyKey.map(quoteIdent).join(', ');
  return sql.unsafe(`select ${list} from ${quoteIdent(legacyTable)} order by ${order}`);
}

/** The new table mapped from `legacyTable`, read back under the legacy column names (names map). */
async function newRowsAsLegacy(
  sql: Sql,
  legacyTable: string,
  exclude: string[] = [],
): Promise<Record<string, string>[]> {
  const mapping = mappingForLegacyTable(legacyTable);
  const columns = mappedColumns(mapping).filter((c) => !exclude.includes(c.legacyColumn));
  const list = columns.map((c) => `${quoteIdent(c.newColumn)}::text as ${quoteIdent(c.legacyColumn)}`).join(', ');
  const legacyToNew = new Map(columns.map((c) => [c.legacyColumn, c.newColumn]));
  const order = mapping.legacyKey.map((k) => quoteIdent(legacyToNew.get(k) ?? k)).join(', ');
  return sql.unsafe(`select ${list} from ${quoteIdent(mapping.newTable)} order by ${order}`);
}

export const legacyMartRows = (sql: Sql) => legacyRows(sql, 'mart_performance_metrics');
export const newMartRows = (sql: Sql) => newRowsAsLegacy(sql, 'mart_performance_metrics');
export const legacyClassificationRows = (sql: Sql) => legacyRows(sql, 'product_classifications', ['computed_at']);
export const newClassificationRows = (sql: Sql) => newRowsAsLegacy(sql, 'product_classifications', ['computed_at']);

/** The daily totals as the legacy would compute them: its mart summed per day, its orders per local day. */
export async function legacyDailyTotals(sql: Sql): Promise<Record<string, string>[]> {
  return sql`
    with day_orders as (
      select (processed_at at time zone shop_timezone())::date as d, count(*) as orders_count
      from orders where not test and cancelled_at is null group by 1
    ), day_products as (
      select metric_date as d, sum(units_sold) as units_sold, sum(gross_sales) as gross, sum(discounts) as disc,
             sum(refunds) as refs, sum(net_sales) as net
      from mart_performance_metrics group by 1
    )
    select coalesce(o.d, p.d)::text as measurement_date, coalesce(o.orders_count, 0)::text as orders_count,
           coalesce(p.units_sold, 0)::text as units_sold, coalesce(p.gross, 0)::text as gross_sales,
           coalesce(p.disc, 0)::text as discounts, coalesce(p.refs, 0)::text as refunds,
           coalesce(p.net, 0)::text as net_sales
    from day_orders o full join day_products p on p.d = o.d
    order by 1`;
}

export async function newDailyTotals(sql: Sql): Promise<Record<string, string>[]> {
  return sql`
    select measurement_date::text, orders_count::text, units_sold_count::text as units_sold,
           gross_sales_measurement_value::text as gross_sales, discounts_measurement_value::text as discounts,
           refunds_measurement_value::text as refunds, aggregate_measurement_value::text as net_sales
    from performance_measurement_daily_total
    order by 1`;
}

// ---------------------------------------------------------------- legacy RPCs, JSON-ready

export async function legacySummary(sql: Sql, from: string, to: string): Promise<DashboardSummary> {
  const [row] = await sql<{ summary: string }[]>`
    select get_dashboard_summary(${from}::text::date, ${to}::text::date)::text as summary`;
  return JSON.parse(row?.summary ?? 'null');
}

export async function legacyTopProducts(
  sql: Sql,
  input: { from: string; to: string; limit: number | null; metric: TopProductMetric },
): Promise<TopProduct[]> {
  const rows = await sql<Record<string, string>[]>`
    select rank::text, product_id::text, title, net_sales::text, units_sold::text, orders_count::text
    from get_top_products(${input.from}::text::date, ${input.to}::text::date, ${input.limit}::int, ${input.metric}::text)`;
  return rows.map((r) => ({
    rank: Number(r.rank),
    product_id: Number(r.product_id),
    title: r.title ?? null,
    net_sales: Number(r.net_sales),
    units_sold: Number(r.units_sold),
    orders_count: Number(r.orders_count),
  }));
}

export async function legacyTimeseries(
  sql: Sql,
  input: { from: string; to: string; granularity: Granularity; productId: number | null },
): Promise<SalesPeriod[]> {
  const rows = await sql<Record<string, string>[]>`
    select period_start::text, net_sales::text, gross_sales::text, refunds::text, units_sold::text
    from get_sales_timeseries(${input.from}::text::date, ${input.to}::text::date, ${input.granularity}::text,
                              ${input.productId === null ? null : String(input.productId)}::bigint)`;
  return rows.map((r) => ({
    period_start: String(r.period_start),
    net_sales: Number(r.net_sales),
    gross_sales: Number(r.gross_sales),
    refunds: Number(r.refunds),
    units_sold: Number(r.units_sold),
  }));
}

/** What the legacy API answered for GET /api/classifications, from its tables. */
export async function legacyClassificationDistribution(
  sql: Sql,
): Promise<{ classification: string; products: number }[]> {
  const rows = await sql<{ classification: string; products: number }[]>`
    select c.code as classification, count(pc.product_id)::int as products
    from unnest(array['A', 'B', 'C', 'NEW', 'DORMANT']) with ordinality as c(code, position)
    left join (product_classifications pc join products p on p.id = pc.product_id and p.deleted_at is null)
      on pc.classification = c.code
    group by c.code, c.position
    order by c.position`;
  return rows.map((r) => ({ classification: r.classification, products: r.products }));
}
