/**
 * Products as the legacy REST API shows them (scenarios 1 and 2): the Shopify product with its
 * tags (every source, sorted by name), classification, featured image and the 30-day figures from
 * the performance mart (the 30 shop-local days ending yesterday). Deleted products are never shown.
 */
import { z } from '@hono/zod-openapi';
import { and, eq, isNull } from 'drizzle-orm';
import {
  CLASSIFICATION_CODES,
  type ClassificationCode,
  denotationRelation,
  materialArtifact,
  materialArtifactVariant,
  mediaContentEntity,
  PRODUCT_STATUSES,
} from '#db/schema.ts';
import type { Database } from '#shared/db/client.ts';
import type { Db, Sql } from '#shared/db/types.ts';
import { freshRead, freshReadCondition } from '../db/fresh.ts';
import { DomainError, notFound } from '../errors.ts';
import { toIsoTimestamp, toMoney, toNumber } from '../http/json-values.ts';
import { decodeCursor, type Page, toPage } from '../http/pagination.ts';
import { isoTimestamp } from '../http/schemas.ts';
import { containsPattern, safeText } from '../http/text.ts';
import { productClassificationSchema, readClassification } from '../marts/classification.ts';
import { addDays, shopYesterday } from '../shop-calendar.ts';

export const PRODUCT_SORTS = ['title', '-updated_at', '-net_sales_30d'] as const;
export type ProductSort = (typeof PRODUCT_SORTS)[number];

export interface ProductListQuery {
  q?: string;
  status?: string;
  vendor?: string;
  product_type?: string;
  tag?: string;
  classification?: ClassificationCode;
  sort: ProductSort;
  limit: number;
  cursor?: string;
}

export const productListItemSchema = z
  .object({
    id: z.number().int(),
    title: z.string(),
    handle: z.string(),
    vendor: z.string().nullable(),
    product_type: z.string().nullable(),
    status: z.enum(PRODUCT_STATUSES),
    tags: z.array(z.string()).openapi({ description: 'tag names, sorted' }),
    classification: z.enum(CLASSIFICATION_CODES).nullable(),
    featured_image_url: z.string().nullable(),
    net_sales_30d: z.number().openapi({ description: 'net sales of the 30 shop-local days ending yesterday' }),
    units_sold_30d: z.number().int(),
    updated_at: isoTimestamp,
  })
  .openapi('ProductListItem');
export type ProductListItem = z.infer<typeof productListItemSchema>;

export const productDetailSchema = productListItemSchema
  .omit({ classification: true })
  .extend({
    created_at: isoTimestamp,
    published_at: isoTimestamp.nullable(),
    variants: z.array(
      z.object({
        id: z.number().int(),
        title: z.string(),
        sku: z.string().nullable(),
        price: z.number(),
        compare_at_price: z.number().nullable(),
        inventory_quantity: z.number().int().nullable(),
      }),
    ),
    assets: z.array(
      z.object({
        mapping_id: z.string(),
        asset_id: z.string(),
        kind: z.string(),
        url: z.string(),
        alt_text: z.string().nullable(),
        role: z.string(),
        position: z.number().int(),
        source: z.string(),
      }),
    ),
    classification: productClassificationSchema.nullable(),
    metrics_30d: z.object({
      net_sales: z.number(),
      gross_sales: z.number(),
      discounts: z.number(),
      refunds: z.number(),
      units_sold: z.number().int(),
      units_refunded: z.number().int(),
      orders_count: z.number().int(),
    }),
  })
  .openapi('ProductDetail');
export type ProductDetail = z.infer<typeof productDetailSchema>;

interface ProductRow {
  id: string;
  title: string;
  handle: string;
  vendor: string | null;
  product_type: string | null;
  status: ProductListItem['status'];
  updated_at: string;
  updated_at_micros: string;
  net_sales_30d: string;
  units_sold_30d: string;
  tags: string[];
  classification: ClassificationCode | null;
  featured_image_url: string | null;
}

/** Keyset positions per sort; the sort is part of the cursor so a cursor cannot cross sorts. */
const cursorSchema = z.discriminatedUnion('s', [
  z.strictObject({
    s: z.literal('title'),
    k: safeText(10_000),
    id: z
      .number()
      .int()
      .positive()
      .max(2 ** 53),
  }),
  z.strictObject({
    s: z.literal('-updated_at'),
    k: z.number().int().safe(),
    id: z
      .number()
      .int()
      .positive()
      .max(2 ** 53),
  }),
  z.strictObject({
    s: z.literal('-net_sales_30d'),
    k: z.string().regex(/^-?\d{1,15}(\.\d{1,2})?$/),
    id: z
      .number()
      .int()
      .positive()
      .max(2 ** 53),
  }),
]);
type ProductCursor = z.infer<typeof cursorSchema>;

function position(sort: ProductSort, row: ProductRow): ProductCursor {
  const id = Number(row.id);
  if (sort === 'title') return { s: sort, k: row.title, id };
  if (sort === '-updated_at') return { s: sort, k: Number(row.updated_at_micros), id };
  return { s: sort, k: row.net_sales_30d, id };
}

function listItem(row: ProductRow): ProductListItem {
  return {
    id: toNumber(row.id),
    title: row.title,
    handle: row.handle,
    vendor: row.vendor,
    product_type: row.product_type,
    status: row.status,
    tags: row.tags,
    classification: row.classification,
    featured_image_url: row.featured_image_url,
    net_sales_30d: toMoney(row.net_sales_30d),
    units_sold_30d: toNumber(row.units_sold_30d),
    updated_at: toIsoTimestamp(row.updated_at),
  };
}

/**
 * The per-product columns both the list and the detail show, over `p`: a material_artifact row
 * with its 30-day `net_sales_30d` and `units_sold_30d`. The list applies them to the page's rows
 * only, after sorting and the limit.
 */
function itemColumns(sql: Sql) {
  return sql`
    p.material_artifact_id as id, p.title, p.handle, p.vendor, p.product_type, p.status, p.updated_at,
    (extract(epoch from p.updated_at) * 1000000)::bigint as updated_at_micros,
    p.net_sales_30d, p.units_sold_30d,
    coalesce((select json_agg(t.tag_name order by t.tag_name)
              from tag_content_entity tc
              join tag_designation t on t.tag_designation_id = tc.tag_designation_id
              where tc.material_artifact_id = p.material_artifact_id), '[]'::json) as tags,
    (select nc.classification_code from nominal_classification nc
     where nc.material_artifact_id = p.material_artifact_id) as classification,
    (select m.url from denotation_relation d
     join media_content_entity m on m.media_content_entity_id = d.media_content_entity_id
     where d.material_artifact_id = p.material_artifact_id and d.role_name = 'featured'
     order by d.display_position, d.denotation_relation_id limit 1) as featured_image_url`;
}

/** Net sales and units per product over the 30 shop-local days ending `yesterday`. */
function salesWindow(sql: Sql, yesterday: string) {
  return sql`
    select material_artifact_id, sum(aggregate_measurement_value) as net_sales, sum(units_sold_count) as units_sold
    from performance_measurement_dataset
    where measurement_date between ${addDays(yesterday, -29)}::date and ${yesterday}::date
    group by material_artifact_id`;
}

/**
 * Hand-written SQL: the keyset over a computed 30-day figure, the page-then-decorate CTEs and the
 * correlated subqueries read plainer here than as a drizzle builder.
 */
export async function listProducts({ sql }: Database, query: ProductListQuery): Promise<Page<ProductListItem>> {
  const after = query.cursor ? decodeCursor(query.cursor, cursorSchema) : undefined;
  if (after && after.s !== query.sort) {
    throw new DomainError('invalid', 'invalid cursor', [{ path: 'cursor', message: `belongs to sort ${after.s}` }]);
  }
  const yesterday = await shopYesterday(sql);
  const pattern = query.q ? containsPattern(query.q) : undefined;

  const filters = [
    pattern
      ? sql`and (p.title ilike ${pattern} or p.handle ilike ${pattern} or exists (
               select 1 from material_artifact_variant v
               where v.material_artifact_id = p.material_artifact_id and v.sku ilike ${pattern}))`
      : sql``,
    query.status ? sql`and p.status = ${query.status}` : sql``,
    query.vendor ? sql`and p.vendor = ${query.vendor}` : sql``,
    query.product_type ? sql`and p.product_type = ${query.product_type}` : sql``,
    query.tag
      ? sql`and exists (
               select 1 from tag_content_entity tc
               join tag_designation t on t.tag_designation_id = tc.tag_designation_id
               where tc.material_artifact_id = p.material_artifact_id and t.tag_name = ${query.tag.trim().toLowerCase()})`
      : sql``,
    query.classification
      ? sql`and exists (
               select 1 from nominal_classification nc
               where nc.material_artifact_id = p.material_artifact_id and nc.classification_code = ${query.classification})`
      : sql``,
  ];

  // Keyset conditions and orders per sort: title ascending, the others descending, ties by id.
  // Keyset conditions and orders per sort (the same columns inside the page and outside it): title
  // ascending, the others descending, ties by id.
  let keyset = sql``;
  let order = sql``;
  if (query.sort === 'title') {
    if (after?.s === 'title') keyset = sql`and (p.title, p.material_artifact_id) > (${after.k}, ${after.id})`;
    order = sql`order by p.title, p.material_artifact_id`;
  } else if (query.sort === '-updated_at') {
    if (after?.s === '-updated_at') {
      keyset = sql`and (p.updated_at, p.material_artifact_id)
                       < (timestamptz 'epoch' + ${after.k}::bigint * interval '1 microsecond', ${after.id})`;
    }
    order = sql`order by p.updated_at desc, p.material_artifact_id desc`;
  } else {
    if (after?.s === '-net_sales_30d') {
      keyset = sql`and (p.net_sales_30d, p.material_artifact_id) < (${after.k}::numeric, ${after.id})`;
    }
    order = sql`order by p.net_sales_30d desc, p.material_artifact_id desc`;
  }

  const rows = await sql<ProductRow[]>`
    with s as (${salesWindow(sql, yesterday)}),
    listed as (
      select p.*, coalesce(s.net_sales, 0) as net_sales_30d, coalesce(s.units_sold, 0) as units_sold_30d
      from material_artifact p
      left join s on s.material_artifact_id = p.material_artifact_id
      where p.deleted_at is null and ${freshRead(sql)} ${filters}
    ),
    page as (
      select p.* from listed p
      where true ${keyset}
      ${order}
      limit ${query.limit + 1}
    )
    select ${itemColumns(sql)}
    from page p
    ${order}`;
  return toPage(rows, query.limit, (row) => position(query.sort, row), listItem);
}

/** The product row with its 30-day figures is hand-written SQL (as the list); its parts are drizzle reads. */
export async function getProductDetail({ sql, db }: Database, productId: number): Promise<ProductDetail> {
  const yesterday = await shopYesterday(sql);
  const [row] = await sql<
    (ProductRow & {
      created_at: string;
      published_at: string | null;
      gross_sales: string;
      discounts: string;
      refunds: string;
      units_refunded: string;
      orders_count: string;
    })[]
  >`
    with s as (
      select material_artifact_id,
             sum(aggregate_measurement_value) as net_sales, sum(gross_sales_measurement_value) as gross_sales,
             sum(discounts_measurement_value) as discounts, sum(refunds_measurement_value) as refunds,
             sum(units_sold_count) as units_sold, sum(units_refunded_count) as units_refunded,
             sum(orders_count) as orders_count
      from performance_measurement_dataset
      where material_artifact_id = ${productId}
        and measurement_date between ${addDays(yesterday, -29)}::date and ${yesterday}::date
      group by material_artifact_id
    )
    select ${itemColumns(sql)}, p.created_at, p.published_at,
           coalesce(s.gross_sales, 0) as gross_sales, coalesce(s.discounts, 0) as discounts,
           coalesce(s.refunds, 0) as refunds, coalesce(s.units_refunded, 0) as units_refunded,
           coalesce(s.orders_count, 0) as orders_count
    from (
      select a.*, coalesce(s.net_sales, 0) as net_sales_30d, coalesce(s.units_sold, 0) as units_sold_30d
      from material_artifact a
      left join s on s.material_artifact_id = a.material_artifact_id
      where a.material_artifact_id = ${productId} and a.deleted_at is null and ${freshRead(sql)}
    ) p
    left join s on s.material_artifact_id = p.material_artifact_id`;
  if (!row) throw notFound(`product ${productId}`);

  const variant = materialArtifactVariant;
  const [variants, assets, classification] = await Promise.all([
    db
      .select({
        id: variant.materialArtifactVariantId,
        title: variant.title,
        sku: variant.sku,
        price: variant.priceMeasurementValue,
        compare_at_price: variant.compareAtPriceMeasurementValue,
        inventory_quantity: variant.inventoryCount,
      })
      .from(variant)
      .where(and(eq(variant.materialArtifactId, productId), freshReadCondition))
      .orderBy(variant.materialArtifactVariantId),
    db
      .select({
        mapping_id: denotationRelation.denotationRelationId,
        asset_id: mediaContentEntity.mediaContentEntityId,
        kind: mediaContentEntity.mediaKind,
        url: mediaContentEntity.url,
        alt_text: mediaContentEntity.altText,
        role: denotationRelation.roleName,
        position: denotationRelation.displayPosition,
        source: denotationRelation.sourceSystem,
      })
      .from(denotationRelation)
      .innerJoin(
        mediaContentEntity,
        eq(mediaContentEntity.mediaContentEntityId, denotationRelation.mediaContentEntityId),
      )
      .where(and(eq(denotationRelation.materialArtifactId, productId), freshReadCondition))
      .orderBy(denotationRelation.displayPosition, denotationRelation.denotationRelationId),
    readClassification(sql, productId),
  ]);

  const { classification: _code, ...item } = listItem(row);
  return {
    ...item,
    created_at: toIsoTimestamp(row.created_at),
    published_at: toIsoTimestamp(row.published_at),
    variants: variants.map((row) => ({
      ...row,
      price: toMoney(row.price),
      compare_at_price: row.compare_at_price === null ? null : toMoney(row.compare_at_price),
    })),
    assets,
    classification,
    metrics_30d: {
      net_sales: toMoney(row.net_sales_30d),
      gross_sales: toMoney(row.gross_sales),
      discounts: toMoney(row.discounts),
      refunds: toMoney(row.refunds),
      units_sold: toNumber(row.units_sold_30d),
      units_refunded: toNumber(row.units_refunded),
      orders_count: toNumber(row.orders_count),
    },
  };
}

/** Throws a 404 unless the product exists and is not deleted; for writes, locks its row. */
export async function requireLiveProduct(db: Db, productId: number, options: { lock?: boolean } = {}): Promise<void> {
  const live = and(eq(materialArtifact.materialArtifactId, productId), isNull(materialArtifact.deletedAt));
  const query = db.select({ id: materialArtifact.materialArtifactId }).from(materialArtifact);
  const [row] = options.lock ? await query.where(live).for('update') : await query.where(and(live, freshReadCondition));
  if (!row) throw notFound(`product ${productId}`);
}
