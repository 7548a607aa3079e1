import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { checkHealth } from '../../shared/health.ts';
import type { AppBindings } from '../../shared/http/middleware.ts';

const healthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    worker: z.string(),
    database: z.object({
      ok: z.boolean(),
      round_trip_ms: z.number().nullable(),
      migration_version: z.string().nullable(),
      error: z.string().optional(),
    }),
  })
  .openapi('Health');

const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  tags: ['operations'],
  summary: 'Database round trip and applied migration version',
  responses: {
    200: { description: 'Healthy', content: { 'application/json': { schema: healthSchema } } },
    503: { description: 'Degraded', content: { 'application/json': { schema: healthSchema } } },
  },
});

export const healthRoutes = new OpenAPIHono<AppBindings>().openapi(healthRoute, async (c) => {
  const report = await checkHealth(c.var.database.sql, 'dashboard-api');
  return c.json(report, report.status === 'ok' ? 200 : 503);
});
