import { createRoute, z } from '@hono/zod-openapi';
import { productTagSchema, tagSchema } from '#shared/catalog/tags.ts';
import { safeText } from '#shared/http/text.ts';
import * as HttpStatus from '../../lib/http-status.ts';
import {
  access,
  errorResponses,
  jsonBody,
  jsonContent,
  productIdParams,
  shopifyIdSchema,
  uuidParams,
  uuidSchema,
} from '../../lib/schemas.ts';

const tags = ['tags'];

const tagName = safeText(255)
  .refine((name) => name.trim() !== '', 'must not be empty')
  .openapi({ description: 'stored trimmed and lower-cased', example: 'summer sale' });
const category = safeText(100).nullable().optional();
const color = z
  .string()
  .regex(/^#[0-9a-fA-F]{6}$/, 'must be a color #rrggbb')
  .nullable()
  .optional()
  .openapi({ example: '#ff8800' });

export const list = createRoute({
  method: 'get',
  path: '/api/tags',
  tags,
  summary: 'All tags by name, with how many products carry each',
  ...access('viewer'),
  request: {
    query: z.object({
      q: safeText(255).optional().openapi({ description: 'case-insensitive substring of the name' }),
      category: safeText(100).optional(),
    }),
  },
  responses: {
    [HttpStatus.OK]: jsonContent(z.object({ data: z.array(tagSchema) }).openapi('TagList'), 'The tags'),
    ...errorResponses(),
  },
});

export const create = createRoute({
  method: 'post',
  path: '/api/tags',
  tags,
  summary: 'Create a tag',
  ...access('staff'),
  request: { body: jsonBody(z.strictObject({ name: tagName, category, color }).openapi('NewTag')) },
  responses: {
    [HttpStatus.CREATED]: jsonContent(tagSchema, 'The new tag'),
    ...errorResponses(HttpStatus.CONFLICT, HttpStatus.TOO_MANY_REQUESTS),
  },
});

export const update = createRoute({
  method: 'patch',
  path: '/api/tags/{id}',
  tags,
  summary: 'Rename or recolor a tag',
  ...access('staff'),
  request: {
    params: uuidParams,
    body: jsonBody(z.strictObject({ name: tagName.optional(), category, color }).openapi('TagChanges')),
  },
  responses: {
    [HttpStatus.OK]: jsonContent(tagSchema, 'The tag'),
    ...errorResponses(HttpStatus.NOT_FOUND, HttpStatus.CONFLICT, HttpStatus.TOO_MANY_REQUESTS),
  },
});

export const remove = createRoute({
  method: 'delete',
  path: '/api/tags/{id}',
  tags,
  summary: 'Delete a tag and its product tags (409 while Shopify applies it)',
  ...access('staff'),
  request: { params: uuidParams },
  responses: {
    [HttpStatus.NO_CONTENT]: { description: 'Deleted' },
    ...errorResponses(HttpStatus.NOT_FOUND, HttpStatus.CONFLICT, HttpStatus.TOO_MANY_REQUESTS),
  },
});

export const addToProduct = createRoute({
  method: 'post',
  path: '/api/products/{id}/tags',
  tags,
  summary: 'Tag a product, by tag id or by name (a new name creates the tag)',
  ...access('staff'),
  request: {
    params: productIdParams,
    body: jsonBody(
      z.union([z.strictObject({ tag_id: uuidSchema }), z.strictObject({ name: tagName })]).openapi('ProductTagRequest'),
    ),
  },
  responses: {
    [HttpStatus.CREATED]: jsonContent(productTagSchema, 'The product tag'),
    ...errorResponses(HttpStatus.NOT_FOUND, HttpStatus.CONFLICT, HttpStatus.TOO_MANY_REQUESTS),
  },
});

export const removeFromProduct = createRoute({
  method: 'delete',
  path: '/api/products/{id}/tags/{tag_id}',
  tags,
  summary: 'Remove a manual tag from a product (Shopify tags are edited in Shopify: 409)',
  ...access('staff'),
  request: {
    params: z.object({
      id: shopifyIdSchema.openapi({ param: { name: 'id', in: 'path' }, type: 'integer' }),
      tag_id: uuidSchema.openapi({ param: { name: 'tag_id', in: 'path' } }),
    }),
  },
  responses: {
    [HttpStatus.NO_CONTENT]: { description: 'Removed' },
    ...errorResponses(HttpStatus.NOT_FOUND, HttpStatus.CONFLICT, HttpStatus.TOO_MANY_REQUESTS),
  },
});

export type ListRoute = typeof list;
export type CreateRoute = typeof create;
export type UpdateRoute = typeof update;
export type RemoveRoute = typeof remove;
export type AddToProductRoute = typeof addToProduct;
export type RemoveFromProductRoute = typeof removeFromProduct;
