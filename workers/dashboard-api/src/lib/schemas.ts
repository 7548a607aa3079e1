/**
 * Schemas the routes share: path and query parameters, the error envelope and its responses.
 * Each route's own body and response schemas live in its `*.routes.ts`.
 */
import { z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { RoleName } from '#db/schema.ts';
import { type AccessBindings, requireRole } from '#shared/access/middleware.ts';
import { ACCESS_SECURITY } from '#shared/access/openapi.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '#shared/http/pagination.ts';
import { safeText } from '#shared/http/text.ts';
import { shopDateSchema } from '#shared/shop-calendar.ts';
import { uuidSchema } from '#shared/uuid.ts';
import * as HttpStatus from './http-status.ts';

/** Who may call a route: the security it documents (the Access token) and the role check that enforces it, together. */
export function access(minimum: RoleName) {
  const middleware: [MiddlewareHandler<AccessBindings>] = [requireRole(minimum)];
  return { security: ACCESS_SECURITY, middleware };
}

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'invalid_request' }),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi('Error');

const errorDescriptions = {
  [HttpStatus.BAD_REQUEST]: 'invalid_request: a parameter or the body is not valid (details lists each problem)',
  [HttpStatus.UNAUTHORIZED]: 'unauthenticated: no valid Cloudflare Access token',
  [HttpStatus.FORBIDDEN]: 'forbidden: unknown identity, or a role too low for this route',
  [HttpStatus.NOT_FOUND]: 'not_found',
  [HttpStatus.CONFLICT]: 'conflict',
  [HttpStatus.TOO_MANY_REQUESTS]: 'rate_limited: too many writes from this identity; see Retry-After',
} as const;

type ErrorStatus = keyof typeof errorDescriptions;

/** The error responses a route documents: 400, 401 and 403 always, plus the ones it names. */
export function errorResponses<const S extends ErrorStatus>(...extra: S[]) {
  const statuses = [HttpStatus.BAD_REQUEST, HttpStatus.UNAUTHORIZED, HttpStatus.FORBIDDEN, ...extra] as const;
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: errorDescriptions[status], content: { 'application/json': { schema: errorSchema } } },
    ]),
  ) as unknown as Record<
    typeof HttpStatus.BAD_REQUEST | typeof HttpStatus.UNAUTHORIZED | typeof HttpStatus.FORBIDDEN | S,
    {
      description: string;
      content: { 'application/json': { schema: typeof errorSchema } };
    }
  >;
}

export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/** A required JSON body. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { 'application/json': { schema } } };
}

/** Shopify numeric ids (products, variants): positive integers below 2^53. */
export const shopifyIdSchema = z.coerce
  .number({ message: 'must be a Shopify numeric id' })
  .int('must be a Shopify numeric id')
  .positive('must be a Shopify numeric id')
  .max(Number.MAX_SAFE_INTEGER, 'must be a Shopify numeric id');

export const productIdParams = z.object({
  id: shopifyIdSchema.openapi({ param: { name: 'id', in: 'path' }, type: 'integer', example: 7234567890123 }),
});

export { uuidSchema };

export const uuidParams = z.object({
  id: uuidSchema.openapi({ param: { name: 'id', in: 'path' }, example: '5b6f7a52-3c1d-4c8e-9f0a-2b7c1d9e8f11' }),
});

export function limitSchema(max = MAX_PAGE_SIZE, fallback = DEFAULT_PAGE_SIZE) {
  return z.coerce
    .number({ message: `must be an integer from 1 to ${max}` })
    .int(`must be an integer from 1 to ${max}`)
    .min(1, `must be an integer from 1 to ${max}`)
    .max(max, `must be an integer from 1 to ${max}`)
    .default(fallback)
    .openapi({ type: 'integer', minimum: 1, maximum: max, default: fallback });
}

export const cursorSchema = safeText(2048).openapi({ description: 'next_cursor of the previous page' });

export const pageQuery = {
  limit: limitSchema(),
  cursor: cursorSchema.optional(),
};

export const dateWindowQuery = {
  from: shopDateSchema
    .optional()
    .openapi({ format: 'date', description: 'inclusive shop-local date; default: 29 days before `to`' }),
  to: shopDateSchema
    .optional()
    .openapi({ format: 'date', description: 'inclusive shop-local date; default: yesterday in the shop timezone' }),
};

/** A list page: `{data, next_cursor}`. */
export function pageSchema<T extends z.ZodType>(item: T, name: string) {
  return z.object({ data: z.array(item), next_cursor: z.string().nullable() }).openapi(name);
}

export { isoTimestamp } from '#shared/http/schemas.ts';
export const shopDate = z.string().openapi({ format: 'date', example: '2026-11-21' });
