/**
 * The dashboard-api Worker's Hono app. `createApp()` is shared by the Worker entry and the tests.
 * Routes are declared with @hono/zod-openapi, so validation and the OpenAPI document come from
 * one definition; every error leaves through the legacy envelope.
 *
 * Order of the middleware: request id → security headers → CORS (preflights end here) →
 * configuration checks (bindings, Access) → body size limit → per-request database → Access
 * authentication for /api/* → the write rate limit per identity → the routes, each with its role check.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { Scalar } from '@scalar/hono-api-reference';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import { ACCESS_SECURITY_SCHEME } from '#shared/access/openapi.ts';
import {
  ACCESS_TOKEN_HEADER,
  type AccessBindings,
  accessConfiguration,
  authenticate,
} from '../../shared/access/middleware.ts';
import { ApiError, envelope, errorResponse } from '../../shared/http/errors.ts';
import { configurationCheck, database, requestId } from '../../shared/http/middleware.ts';
import { rateLimitWrites } from '../../shared/http/rate-limit.ts';
import { dashboardApiConfig } from './config.ts';
import { healthRoutes } from './health.ts';
import { assetsRouter } from './routes/assets/assets.index.ts';
import { auditEventsRouter } from './routes/audit-events/audit-events.index.ts';
import { classificationsRouter } from './routes/classifications/classifications.index.ts';
import { consoleRouter } from './routes/console/console.index.ts';
import { dashboardRouter } from './routes/dashboard/dashboard.index.ts';
import { parityRouter } from './routes/parity/parity.index.ts';
import { productsRouter } from './routes/products/products.index.ts';
import { staffRouter } from './routes/staff/staff.index.ts';
import { syncRunsRouter } from './routes/sync-runs/sync-runs.index.ts';
import { tagsRouter } from './routes/tags/tags.index.ts';

/** Request bodies above this are refused (the largest legitimate body is well under 2 KiB). */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * A JSON content type with an empty body is a request without a body, as the legacy Express API
 * (body-parser) read it: `POST /api/classifications/recompute` with only the header is `{}`, and a
 * route that needs fields says which are missing instead of "malformed JSON". Runs after the body
 * limit, which has buffered any body of unknown length.
 */
function emptyBodyIsNoBody(): MiddlewareHandler {
  return async (c, next) => {
    const request = c.req.raw;
    if (request.body && request.headers.has('content-type')) {
      const empty =
        request.headers.get('content-length') === '0' || (await request.clone().arrayBuffer()).byteLength === 0;
      if (empty) {
        const headers = new Headers(request.headers);
        headers.delete('content-type');
        headers.delete('content-length');
        c.req.raw = new Request(request, { headers, body: null });
      }
    }
    await next();
  };
}

export function createApp() {
  const app = new OpenAPIHono<AccessBindings>({
    // Validation failures answer 400 with the envelope, listing each field problem.
    defaultHook: (result, c) => {
      if (!result.success) {
        const details = result.error.issues.map((issue) => ({
          path: issue.path.join('.'),
          message: issue.message,
        }));
        return c.json(envelope(400, 'invalid request', details), 400);
      }
    },
  });
  app.use('*', requestId());
  // Before the configuration checks, so a 503 carries them too (and the frontend can read it).
  app.use('*', secureHeaders({ crossOriginResourcePolicy: 'same-site' }));
  app.use(
    '/api/*',
    cors({
      origin: (origin, c) => (dashboardApiConfig.read(c.env, 'cors').includes(origin) ? origin : null),
      allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      allowHeaders: ['Content-Type', ACCESS_TOKEN_HEADER],
      exposeHeaders: ['x-request-id'],
      credentials: true,
      maxAge: 600,
    }),
  );
  app.use('*', configurationCheck(dashboardApiConfig));
  app.use('*', accessConfiguration(dashboardApiConfig));
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError(400, `the request body is larger than ${MAX_BODY_BYTES} bytes`, [
          { path: '', message: `must be at most ${MAX_BODY_BYTES} bytes` },
        ]);
      },
    }),
  );
  app.use('/api/*', emptyBodyIsNoBody());
  app.use('*', database());
  app.use('/api/*', authenticate());
  app.use('/api/*', rateLimitWrites());

  app.route('/', healthRoutes);
  for (const router of [
    productsRouter,
    dashboardRouter,
    classificationsRouter,
    tagsRouter,
    assetsRouter,
    syncRunsRouter,
    staffRouter,
    parityRouter,
    consoleRouter,
    auditEventsRouter,
  ]) {
    app.route('/', router);
  }

  app.openAPIRegistry.registerComponent('securitySchemes', 'cloudflareAccess', ACCESS_SECURITY_SCHEME);
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Shopify staff dashboard API',
      version: '1.0.0',
      description:
        'The legacy dashboard REST contract (same paths, parameters, status codes and JSON shapes), behind Cloudflare Access. Errors are always {"error": {"code", "message", "details"?}}.',
    },
  });
  app.get('/docs', Scalar({ url: '/openapi.json', pageTitle: 'Dashboard API reference' }));

  app.notFound((c) => c.json(envelope(404, `no route for ${c.req.method} ${c.req.path}`), 404));
  app.onError(errorResponse);
  return app;
}
