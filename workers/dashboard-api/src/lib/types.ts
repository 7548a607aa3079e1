/** Types the dashboard-api's routers and handlers share. */
import type { OpenAPIHono, RouteConfig, RouteHandler } from '@hono/zod-openapi';
import type { AccessBindings } from '#shared/access/middleware.ts';

export type AppOpenAPI = OpenAPIHono<AccessBindings>;

/** A handler typed from its route definition: params, query, body and responses are checked. */
export type AppRouteHandler<R extends RouteConfig> = RouteHandler<R, AccessBindings>;
