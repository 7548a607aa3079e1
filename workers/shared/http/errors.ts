/**
 * The legacy API's one error envelope: {"error": {"code", "message", "details"?}}. Every error a
 * Worker answers with goes through `errorResponse` (via Hono's onError), so the frontend never sees
 * another shape.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { driverError } from '#shared/db/postgres-errors.ts';
import { ConfigurationError } from '../config.ts';
import { DomainError, type DomainErrorKind } from '../errors.ts';
import { log } from '../logging.ts';
import { RateLimitedError } from './rate-limit.ts';

export const ERROR_CODES = {
  400: 'invalid_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  429: 'rate_limited',
  500: 'internal',
  503: 'unavailable',
} as const;

export type ErrorStatus = keyof typeof ERROR_CODES;

/** Each domain refusal's HTTP status. */
const DOMAIN_STATUS = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unavailable: 503,
} as const satisfies Record<DomainErrorKind, ErrorStatus>;

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: ErrorStatus,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export interface ErrorEnvelope {
  error: { code: string; message: string; details?: unknown };
}

export function envelope(status: ErrorStatus, message: string, details?: unknown): ErrorEnvelope {
  return { error: { code: ERROR_CODES[status], message, ...(details === undefined ? {} : { details }) } };
}

/** Hono `onError`: known errors keep their status; anything else is logged and answered as 500. */
export function errorResponse(error: Error, c: Context): Response {
  if (error instanceof ApiError) {
    return c.json(envelope(error.status, error.message, error.details), error.status as ContentfulStatusCode);
  }
  if (error instanceof DomainError) {
    const status = DOMAIN_STATUS[error.kind];
    return c.json(envelope(status, error.message, error.details), status);
  }
  if (error instanceof HTTPException) {
    // A 4xx without a legacy code (e.g. 415 for a body that is not JSON) is still the caller's bad input.
    const status = (
      error.status in ERROR_CODES ? error.status : error.status >= 400 && error.status < 500 ? 400 : 500
    ) as ErrorStatus;
    return c.json(envelope(status, error.message || ERROR_CODES[status]), status as ContentfulStatusCode);
  }
  if (error instanceof RateLimitedError) {
    c.header('Retry-After', String(error.retryAfterSeconds));
    return c.json(envelope(429, error.message), 429);
  }
  if (error instanceof ConfigurationError) {
    log.error('configuration error', { request_id: c.get('requestId' as never), error: error.message });
    return c.json(envelope(503, error.message), 503);
  }
  log.error('unhandled error', {
    request_id: c.get('requestId' as never),
    // A failed drizzle query: the driver's message, not the wrapper's (it quotes the parameters).
    error: (driverError(error) as Error).message ?? error.message,
    stack: error.stack,
  });
  return c.json(envelope(500, 'internal error'), 500);
}
