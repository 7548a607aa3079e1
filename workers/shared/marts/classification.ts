/**
 * nominal_classification: the legacy `classify_products` rules on the new tables.
 *   - Window: the trailing 90 shop-local days of net sales ending at `asOf` (default: today in the
 *     shop timezone), from performance_measurement_dataset.
 *   - Products with net sales > 0 are ranked by net sales desc, ties by lower product id first; a
 *     product is A when the share of all net sales ranked BEFORE it is < 80 %, B when < 95 %,
 *     else C. Products without positive net sales are NEW when created (shop-local date) within
 *     the last 30 days, else DORMANT.
 *   - Deleted products are not classified; their computed classifications are removed.
 *   - Manual classifications (is_manual) are never recomputed nor removed.
 */
import { z } from '@hono/zod-openapi';
import { CLASSIFICATION_CODES, type ClassificationCode } from '#db/schema.ts';
import type { Queryable, Sql } from '#shared/db/types.ts';
import { freshRead } from '../db/fresh.ts';
import { isoTimestamp } from '../http/schemas.ts';
import { shopTimezone } from '../shop-calendar.ts';

/** The product detail's `classification` object (computed_at: ISO 8601 UTC with Z, milliseconds). */
export const productClassificationSchema = z
  .object({
    value: z.enum(CLASSIFICATION_CODES),
    is_manual: z.boolean(),
    note: z.string().nullable(),
    computed_at: isoTimestamp,
  })
  .openapi('ProductClassification');
export type ProductClassification = z.infer<typeof productClassificationSchema>;

export interface ClassificationDistribution {
  data: { classification: ClassificationCode; products: number }[];
  computed_at: string | null;
}

/** `classify_products(asOf)`: returns how many classifications were written (manual ones are not). */
/** `alongside`: more work to commit with the recompute (the audit record of a staff request). */
export async function classifyProducts(
  sql: Sql,
  asOf?: string | null,
  alongside?: (tx: Queryable, updated: number) => Promise<void>,
): Promise<number> {
  return sql.begin(async (tx) => {
    const updated = await classify(tx, { asOf: asOf ?? null, productId: null });
    await alongside?.(tx, updated);
    return updated;
  }) as Promise<number>;
}

/**
 * Recomputes one product as the nightly job would (its rank depends on every product's sales)
 * and returns its classification, or null when the product is missing or deleted. A manual
 * classification is left as it is: to drop an override, delete the row first, then call this.
 */
export async function classifyProduct(
  sql: Sql,
  productId: string | number,
  asOf?: string | null,
): Promise<ProductClassification | null> {
  return sql.begin(async (tx) => {
    await classify(tx, { asOf: asOf ?? null, productId: String(productId) });
    return readClassification(tx, productId);
  }) as Promise<ProductClassification | null>;
}

/** A product's classification as the API shows it, or null (none, or the product is deleted). */
export async function readClassification(
  sql: Queryable,
  productId: string | number,
): Promise<ProductClassification | null> {
  const [row] = await sql<ProductClassification[]>`
    select nc.classification_code as value, nc.is_manual, nc.note_text as note,
           to_char(nc.computed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as computed_at
    from nominal_classification nc
    join material_artifact p on p.material_artifact_id = nc.material_artifact_id
    where nc.material_artifact_id = ${String(productId)}::bigint and p.deleted_at is null and ${freshRead(sql)}`;
  return row ?? null;
}

/** Products per class (A, B, C, NEW, DORMANT, zeros included) among non-deleted products. */
export async function getClassificationDistribution(sql: Queryable): Promise<ClassificationDistribution> {
  const rows = await sql<{ classification: ClassificationCode; products: number; computed_at: string | null }[]>`
    with counted as (
      select nc.classification_code, nc.computed_at
      from nominal_classification nc
      join material_artifact p on p.material_artifact_id = nc.material_artifact_id
      where p.deleted_at is null and ${freshRead(sql)}
    )
    select c.code as classification, count(x.classification_code)::int as products,
           to_char((select max(computed_at) from counted) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
             as computed_at
    -- every code, in CLASSIFICATION_CODES order, even with no products
    from unnest(string_to_array(${CLASSIFICATION_CODES.join(',')}::text, ',')) with ordinality as c(code, position)
    left join counted x on x.classification_code = c.code
    group by c.code, c.position
    order by c.position`;
  return {
    data: rows.map(({ classification, products }) => ({ classification, products })),
    computed_at: rows[0]?.computed_at ?? null,
  };
}

/** The one classification statement, for all products or (productId) for one. */
async function classify(tx: Queryable, input: { asOf: string | null; productId: string | null }): Promise<number> {
  const timezone = await shopTimezone(tx);
  // A parameter, not a subquery: the planner then narrows the dataset by its date index.
  const [today] = await tx<{ day: string }[]>`select (now() at time zone ${timezone})::date::text as day`;
  const asOf = input.asOf ?? today?.day ?? null;
  await tx`
    delete from nominal_classification nc
    using material_artifact p
    where p.material_artifact_id = nc.material_artifact_id and p.deleted_at is not null and not nc.is_manual
      and (${input.productId}::text is null or nc.material_artifact_id = ${input.productId}::text::bigint)`;
  const written = await tx`
    with as_of as (
      select ${asOf}::text::date as day
    ), window_sales as (
      select p.material_artifact_id, (p.created_at at time zone ${timezone})::date as created_on,
             coalesce(sum(m.aggregate_measurement_value), 0) as net_sales
      from as_of
      cross join material_artifact p
      left join performance_measurement_dataset m
        on m.material_artifact_id = p.material_artifact_id
       and m.measurement_date > ${asOf}::text::date - 90 and m.measurement_date <= ${asOf}::text::date
      where p.deleted_at is null
      group by p.material_artifact_id, p.created_at
    ), ranked as (
      select material_artifact_id, net_sales,
             sum(net_sales) over (order by net_sales desc, material_artifact_id rows unbounded preceding) - net_sales
               as before_share,
             sum(net_sales) over () as total
      from window_sales
      where net_sales > 0
    )
    insert into nominal_classification as nc (material_artifact_id, classification_code, is_manual, computed_at)
    select w.material_artifact_id,
           case
             when r.material_artifact_id is null then
               case when w.created_on > as_of.day - 30 then 'NEW' else 'DORMANT' end
             when r.before_share < 0.80 * r.total then 'A'
             when r.before_share < 0.95 * r.total then 'B'
             else 'C'
           end,
           false, now()
    from as_of
    cross join window_sales w
    left join ranked r on r.material_artifact_id = w.material_artifact_id
    where ${input.productId}::text is null or w.material_artifact_id = ${input.productId}::text::bigint
    on conflict (material_artifact_id) do update set
      classification_code = excluded.classification_code, computed_at = excluded.computed_at
    where not nc.is_manual`;
  return written.count;
}
