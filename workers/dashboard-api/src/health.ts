import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { checkHealth, healthReportSchema } from '../../shared/health.ts';
import type { AppBindings } from '../../shared/http/middleware.ts';
import { dashboardApiConfig } from './config.ts';

const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  tags: ['operations'],
  summary: 'Database, migration version, syncs, queue backlog and the failure-rate alert',
  responses: {
    200: {
      description: 'Healthy (check `alert` for the alert condition)',
      content: { 'application/json': { schema: healthReportSchema } },
    },
    503: {
      description: 'Database down or unmigrated',
      content: { 'application/json': { schema: healthReportSchema } },
    },
  },
});

export const healthRoutes = new OpenAPIHono<AppBindings>().openapi(healthRoute, async (c) => {
  const report = await checkHealth(c.var.database.sql, 'dashboard-api', dashboardApiConfig.read(c.env, 'health'));
  return c.json(report, report.status === 'ok' ? 200 : 503);
});
