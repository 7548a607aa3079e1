/**
 * The dashboard-api Worker's Hono app. `createApp()` is shared by the Worker entry and the tests.
 * Routes are declared with @hono/zod-openapi, so validation and the OpenAPI document come from
 * one definition; every error leaves through the legacy envelope.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { envelope, errorResponse } from '../../shared/http/errors.ts';
import { type AppBindings, configurationCheck, database, requestId } from '../../shared/http/middleware.ts';
import { healthRoutes } from './health.ts';

export function createApp() {
  const app = new OpenAPIHono<AppBindings>({
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
  app.use('*', configurationCheck(['HYPERDRIVE', 'LEGACY_HYPERDRIVE', 'INGEST_QUEUE']));
  app.use('*', database());
  app.route('/', healthRoutes);
  app.notFound((c) => c.json(envelope(404, `no route for ${c.req.method} ${c.req.path}`), 404));
  app.onError(errorResponse);
  return app;
}
