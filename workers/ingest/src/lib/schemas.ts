/** The error envelope and the error responses the ingest Worker's operator routes document. */
import { z } from '@hono/zod-openapi';
import { ERROR_CODES, type ErrorStatus } from '#shared/http/errors.ts';

export const errorSchema = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
  })
  .openapi('Error');

/** 400, 401, 403 and 503 (configuration, Access keys) always, plus the ones a route names. */
export function errorResponses<const S extends ErrorStatus>(...extra: S[]) {
  const statuses = [400, 401, 403, 503, ...extra] as const;
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: ERROR_CODES[status], content: { 'application/json': { schema: errorSchema } } },
    ]),
  ) as unknown as Record<
    400 | 401 | 403 | 503 | S,
    { description: string; content: { 'application/json': { schema: typeof errorSchema } } }
  >;
}

export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}
