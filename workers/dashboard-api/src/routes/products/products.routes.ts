import { createRoute, z } from '@hono/zod-openapi';
import { CLASSIFICATION_CODES, PRODUCT_STATUSES } from '#db/schema.ts';
import { PRODUCT_SORTS, productDetailSchema, productListItemSchema } from '#shared/catalog/products.ts';
import { safeText } from '#shared/http/text.ts';
import * as HttpStatus from '../../lib/http-status.ts';
import { access, errorResponses, jsonContent, pageQuery, pageSchema, productIdParams } from '../../lib/schemas.ts';

const tags = ['products'];

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
