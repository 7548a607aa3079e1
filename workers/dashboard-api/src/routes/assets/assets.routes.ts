import { createRoute, z } from '@hono/zod-openapi';
import { DENOTATION_ROLES, MEDIA_KINDS } from '#db/schema.ts';
import { assetSchema, mappingSchema } from '#shared/catalog/assets.ts';
import { safeText } from '#shared/http/text.ts';
import * as HttpStatus from '../../lib/http-status.ts';
import {
  access,
  errorResponses,
  jsonBody,
  jsonContent,
  pageQuery,
  pageSchema,
  productIdParams,
  shopifyIdSchema,
  uuidParams,
  uuidSchema,
} from '../../lib/schemas.ts';

const tags = ['assets'];

const position = z
  .number()
  .int('must be an integer from 0 to 2147483647')
  .min(0, 'must be an integer from 0 to 2147483647')
  .max(2_147_483_647, 'must be an integer from 0 to 2147483647');

export const list = createRoute({
  method: 'get',
  path: '/api/assets',
  tags,
  summary: 'Assets, newest first',
  ...access('viewer'),
  request: {
    query: z.object({
      product_id: shopifyIdSchema.optional().openapi({ type: 'integer', description: 'only assets mapped to it' }),
      kind: z.enum(MEDIA_KINDS).optional(),
      ...pageQuery,
    }),
  },
  responses: {
    [HttpStatus.OK]: jsonContent(pageSchema(assetSchema, 'AssetPage'), 'A page of assets'),
    ...errorResponses(),
  },
});

export const create = createRoute({
  method: 'post',
  path: '/api/assets',
  tags,
  summary: 'Register a manual asset',
  ...access('staff'),
  request: {
    body: jsonBody(
      z
        .strictObject({
          kind: z.enum(MEDIA_KINDS),
          url: z
            .url({ protocol: /^https$/, message: 'must be an https URL' })
            .max(2048, 'must be at most 2048 characters')
            .refine((url) => !url.includes('\u0000'), 'must not contain NUL characters'),
          alt_text: safeText(1000).nullable().optional(),
        })
        .openapi('NewAsset'),
    ),
  },
  responses: {
    [HttpStatus.CREATED]: jsonContent(assetSchema, 'The new asset'),
    ...errorResponses(HttpStatus.TOO_MANY_REQUESTS),
  },
});

export const createMapping = createRoute({
  method: 'post',
  path: '/api/products/{id}/assets',
  tags,
  summary: 'Map an asset to a product (a new featured one moves the old featured to gallery)',
  ...access('staff'),
  request: {
    params: productIdParams,
    body: jsonBody(
      z
        .strictObject({
          asset_id: uuidSchema,
          role: z.enum(DENOTATION_ROLES).optional().openapi({ default: 'gallery' }),
          position: position.optional().openapi({ default: 0 }),
        })
        .openapi('NewAssetMapping'),
    ),
  },
  responses: {
    [HttpStatus.CREATED]: jsonContent(mappingSchema, 'The new mapping'),
    ...errorResponses(HttpStatus.NOT_FOUND, HttpStatus.CONFLICT, HttpStatus.TOO_MANY_REQUESTS),
  },
});

export const updateMapping = createRoute({
  method: 'patch',
  path: '/api/asset-mappings/{id}',
  tags,
  summary: "Change a mapping's role or position",
  ...access('staff'),
  request: {
    params: uuidParams,
    body: jsonBody(
      z
        .strictObject({ role: z.enum(DENOTATION_ROLES).optional(), position: position.optional() })
        .openapi('AssetMappingChanges'),
    ),
  },
  responses: {
    [HttpStatus.OK]: jsonContent(mappingSchema, 'The mapping'),
    ...errorResponses(HttpStatus.NOT_FOUND, HttpStatus.TOO_MANY_REQUESTS),
  },
});

export const removeMapping = createRoute({
  method: 'delete',
  path: '/api/asset-mappings/{id}',
  tags,
  summary: 'Delete a manual mapping (Shopify mappings: 409)',
  ...access('staff'),
  request: { params: uuidParams },
  responses: {
    [HttpStatus.NO_CONTENT]: { description: 'Deleted' },
    ...errorResponses(HttpStatus.NOT_FOUND, HttpStatus.CONFLICT, HttpStatus.TOO_MANY_REQUESTS),
  },
});

export type ListRoute = typeof list;
export type CreateRoute = typeof create;
export type CreateMappingRoute = typeof createMapping;
export type UpdateMappingRoute = typeof updateMapping;
export type RemoveMappingRoute = typeof removeMapping;
