import { createRoute, z } from '@hono/zod-openapi';
import { CLASSIFICATION_CODES, PRODUCT_STATUSES } from '#db/schema.ts';
import { PRODUCT_SORTS } from '#shared/catalog/products.ts';
import { safeText } from '#shared/http/text.ts';
import * as HttpStatus from '../../lib/http-status.ts';
import {
  access,
  errorResponses,
  isoTimestamp,
  jsonContent,
  pageQuery,
  pageSchema,
  productIdParams,
} from '../../lib/schemas.ts';

const tags = ['products'];

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

export const classificationSchema = z
  .object({
    value: z.enum(CLASSIFICATION_CODES),
    is_manual: z.boolean(),
    note: z.string().nullable(),
    computed_at: isoTimestamp,
  })
  .openapi('ProductClassification');

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
    classification: classificationSchema.nullable(),
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

export const list = createRoute({
  method: 'get',
  path: '/api/products',
  tags,
  summary: 'List products (never deleted ones)',
  ...access('viewer'),
  request: {
    query: z.object({
      q: safeText(200)
        .optional()
        .openapi({ description: 'case-insensitive match on title, handle or any variant SKU' }),
      status: z.enum(PRODUCT_STATUSES).optional(),
      vendor: safeText(255).optional(),
      product_type: safeText(255).optional(),
      tag: safeText(255).optional().openapi({ description: 'a tag name' }),
      classification: z.enum(CLASSIFICATION_CODES).optional(),
      sort: z.enum(PRODUCT_SORTS).default('-updated_at'),
      ...pageQuery,
    }),
  },
  responses: {
    [HttpStatus.OK]: jsonContent(pageSchema(productListItemSchema, 'ProductPage'), 'A page of products'),
    ...errorResponses(),
  },
});

export const detail = createRoute({
  method: 'get',
  path: '/api/products/{id}',
  tags,
  summary: 'One product with variants, assets, classification and 30-day metrics',
  ...access('viewer'),
  request: { params: productIdParams },
  responses: {
    [HttpStatus.OK]: jsonContent(productDetailSchema, 'The product'),
    ...errorResponses(HttpStatus.NOT_FOUND),
  },
});

export type ListRoute = typeof list;
export type DetailRoute = typeof detail;
