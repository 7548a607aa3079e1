import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import { accessConfiguration, authenticate, requireRole } from '../../shared/access/middleware.ts';
import { ACCESS_SECURITY_SCHEME } from '../../shared/access/openapi.ts';
import { checkHealth, publicHealth } from '../../shared/health.ts';
import { ApiError, envelope, errorResponse } from '../../shared/http/errors.ts';
import { type AppBindings, configurationCheck, database, requestId } from '../../shared/http/middleware.ts';
import { receiveShopifyWebhook } from '../../shared/ingest/webhooks.ts';
import { ingestConfig } from './config.ts';
import { executionsRouter } from './routes/executions/executions.index.ts';
import { replayRouter } from './routes/replay/replay.index.ts';

/** A replay request is a time range or a list of archive keys; far below this. */
export const MAX_REPLAY_BODY_BYTES = 64 * 1024;

export function createIngestApp() {
  // OpenAPIHono, as the dashboard-api's createApp: the operator routes are declared with zod-openapi.
  const app = new OpenAPIHono<AppBindings>();
  app.use('*', requestId());
  app.use('*', secureHeaders());
  app.use('*', configurationCheck(ingestConfig));
  app.use('*', database());
  // Public: only ok / degraded / down. The detailed report is for Access viewers.
  app.get('/health', async (c) => {
    const health = publicHealth(await checkHealth(c.var.database.sql, 'ingest', ingestConfig.read(c.env, 'health')));
    return c.json(health, health.status === 'down' ? 503 : 200);
  });
  app.get('/health/details', accessConfiguration(ingestConfig), authenticate(), requireRole('viewer'), async (c) => {
    const report = await checkHealth(c.var.database.sql, 'ingest', ingestConfig.read(c.env, 'health'));
    return c.json(report, report.status === 'ok' ? 200 : 503);
  });
  // Shopify webhooks: authenticated by their HMAC signature (workers/shared/ingest/webhooks.ts).
  app.post('/webhooks/shopify', async (c) =>
    c.json(await receiveShopifyWebhook(c.var.database.sql, c.env, c.req.raw, c.env.WEBHOOK_RATE_LIMITER)),
  );
  // Operators: replay archived exports (Cloudflare Access, admin), routes/replay/.
  app.use(
    '/replay/*',
    bodyLimit({
      maxSize: MAX_REPLAY_BODY_BYTES,
      onError: () => {
        throw new ApiError(413, `the request body is larger than ${MAX_REPLAY_BODY_BYTES} bytes`);
      },
    }),
  );
  app.route('/replay', replayRouter);
  // Operators: an execution's state, and redriving a failed one (admin), routes/executions/.
  app.use(
    '/executions/*',
    bodyLimit({
      maxSize: 1024,
      onError: () => {
        throw new ApiError(413, 'the request body is larger than 1024 bytes');
      },
    }),
  );
  app.route('/executions', executionsRouter);
  // The operator routes' contract, generated from their definitions (the webhook route reads raw
  // bytes for its HMAC and is described in docs/ingest.md instead).
  app.openAPIRegistry.registerComponent('securitySchemes', 'cloudflareAccess', ACCESS_SECURITY_SCHEME);
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Ingest Worker operator API',
      version: '1.0.0',
      description:
        'Replays of archived Shopify exports and the state, redrive and failing of ProcedureExecutions, for admins behind Cloudflare Access. Errors are always {"error": {"code", "message", "details"?}}.',
    },
  });
  app.notFound((c) => c.json(envelope(404, `no route for ${c.req.method} ${c.req.path}`), 404));
  app.onError(errorResponse);
  return app;
}
