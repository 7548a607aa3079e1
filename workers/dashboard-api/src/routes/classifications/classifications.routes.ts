import { createRoute, z } from '@hono/zod-openapi';
import { CLASSIFICATION_CODES } from '#db/schema.ts';
import { safeText } from '#shared/http/text.ts';
import { productClassificationSchema } from '#shared/marts/classification.ts';
import { shopDateSchema } from '#shared/shop-calendar.ts';
import * as HttpStatus from '../../lib/http-status.ts';
import { access, errorResponses, isoTimestamp, jsonBody, jsonContent, productIdParams } from '../../lib/schemas.ts';

const tags = ['classifications'];

export const distributionSchema = z
  .object({
    data: z.array(z.object({ classification: z.enum(CLASSIFICATION_CODES), products: z.number().int() })),
    computed_at: isoTimestamp.nullable(),
  })
  .openapi('ClassificationDistribution');

export const distribution = createRoute({
  method: 'get',
  path: '/api/classifications',
  tags,
  summary: 'Non-deleted products per class A, B, C, NEW, DORMANT (zeros included)',
  ...access('viewer'),
  responses: {
    [HttpStatus.OK]: jsonContent(distributionSchema, 'The distribution'),
    ...errorResponses(),
  },
});

export const recompute = createRoute({
  method: 'post',
  path: '/api/classifications/recompute',
  tags,
  summary: 'Recompute every classification (manual overrides are kept), as classify_products(as_of)',
  ...access('staff'),
  request: {
    body: {
      required: false,
      content: {
        'application/json': {
          schema: z.strictObject({
            as_of: shopDateSchema
              .optional()
              .openapi({ format: 'date', description: 'default: today in the shop timezone' }),
          }),
        },
      },
    },
  },
  responses: {
    [HttpStatus.OK]: jsonContent(z.object({ updated: z.number().int() }).openapi('RecomputeResult'), 'Rows written'),
    ...errorResponses(HttpStatus.TOO_MANY_REQUESTS),
  },
});

export const setOverride = createRoute({
  method: 'put',
  path: '/api/products/{id}/classification',
  tags,
  summary: "Override a product's classification (kept by every recompute)",
  ...access('staff'),
  request: {
    params: productIdParams,
    body: jsonBody(
      z
        .strictObject({
          classification: z.enum(CLASSIFICATION_CODES),
          note: safeText(500).nullable().optional(),
        })
        .openapi('ClassificationOverride'),
    ),
  },
  responses: {
    [HttpStatus.OK]: jsonContent(productClassificationSchema, 'The manual classification'),
    ...errorResponses(HttpStatus.NOT_FOUND, HttpStatus.TOO_MANY_REQUESTS),
  },
});

export const removeOverride = createRoute({
  method: 'delete',
  path: '/api/products/{id}/classification',
  tags,
  summary: 'Remove the override and recompute the product as the nightly job would',
  ...access('staff'),
  request: { params: productIdParams },
  responses: {
    [HttpStatus.OK]: jsonContent(productClassificationSchema, 'The recomputed classification'),
    ...errorResponses(HttpStatus.NOT_FOUND, HttpStatus.TOO_MANY_REQUESTS),
  },
});

export type DistributionRoute = typeof distribution;
export type RecomputeRoute = typeof recompute;
export type SetOverrideRoute = typeof setOverride;
export type RemoveOverrideRoute = typeof removeOverride;
