/**
 * What the ingest Worker's routers share: a router per resource (@hono/zod-openapi, as the
 * dashboard-api's), typed handlers, and the refusals that keep the operator API's answers: a body
 * that is not JSON, and a request that does not fit its schema.
 */
import { OpenAPIHono, type RouteConfig, type RouteHandler } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { ZodError } from 'zod';
import type { AccessBindings } from '#shared/access/middleware.ts';
import { ApiError } from '#shared/http/errors.ts';

export function createRouter() {
  return new OpenAPIHono<AccessBindings>();
}

/** A handler typed from its route definition: params, body and responses are checked. */
export type AppRouteHandler<R extends RouteConfig> = RouteHandler<R, AccessBindings>;

/**
 * The body is read as JSON whatever its Content-Type says (as `c.req.json()` did before the
 * routes were declared; the scripts and operators' curl may send none), and a body that is not
 * JSON is refused with `message`, which shows what is expected. The route's JSON validator then
 * reads it.
 */
export function jsonBodyWhateverItsType(message: string): MiddlewareHandler {
  return async (c, next) => {
    const request = c.req.raw;
    const text = await request.clone().text();
    try {
      JSON.parse(text);
    } catch {
      throw new ApiError(400, message);
    }
    const headers = new Headers(request.headers);
    headers.set('content-type', 'application/json');
    c.req.raw = new Request(request, { headers, body: text });
    await next();
  };
}

/**
 * A route's validation hook: a bad path parameter is refused with `messages.param` alone; a bad
 * body with `messages.json` and each problem as {path, message}.
 */
export function refuseInvalid(messages: { param?: string; json?: string }) {
  return (result: { success: boolean; target: string; error?: ZodError }): undefined => {
    if (result.success || !result.error) return undefined;
    const { issues } = result.error;
    if (result.target === 'json') {
      throw new ApiError(
        400,
        messages.json ?? 'invalid request',
        issues.map((i) => ({ path: i.path, message: i.message })),
      );
    }
    throw new ApiError(400, messages.param ?? issues[0]?.message ?? 'invalid request');
  };
}
