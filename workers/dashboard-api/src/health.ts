import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { ACCESS_SECURITY } from '#shared/access/openapi.ts';
import { type AccessBindings, authenticate, requireRole } from '../../shared/access/middleware.ts';
import { checkHealth, healthReportSchema, publicHealth, publicHealthSchema } from '../../shared/health.ts';
import { dashboardApiConfig } from './config.ts';
import { errorResponses } from './lib/schemas.ts';

const publicHealthRoute = createRoute({
  method: 'get',
  path: '/health',
  tags: ['operations'],
  summary: 'Public liveness: only ok, degraded (the alert condition holds) or down',
  responses: {
    200: {
      description: 'ok or degraded',
      content: { 'application/json': { schema: publicHealthSchema } },
    },
    503: {
      description: 'down: the database is unreachable or unmigrated',
      content: { 'application/json': { schema: publicHealthSchema } },
    },
  },
});

const detailedHealthRoute = createRoute({
  method: 'get',
  path: '/health/details',
  tags: ['operations'],
  summary: 'Database, migration version, syncs, queue backlog and the failure-rate alert',
  security: ACCESS_SECURITY,
  middleware: [authenticate(), requireRole('viewer')] as const,
  responses: {
    200: {
      description: 'Healthy (check `alert` for the alert condition)',
      content: { 'application/json': { schema: healthReportSchema } },
    },
    503: {
      description: 'Database down or unmigrated',
      content: { 'application/json': { schema: healthReportSchema } },
    },
    ...errorResponses(),
  },
});

export const healthRoutes = new OpenAPIHono<AccessBindings>()
  .openapi(publicHealthRoute, async (c) => {
    const health = publicHealth(
      await checkHealth(c.var.database.sql, 'dashboard-api', dashboardApiConfig.read(c.env, 'health')),
    );
    return c.json(health, health.status === 'down' ? 503 : 200);
  })
  .openapi(detailedHealthRoute, async (c) => {
    const report = await checkHealth(c.var.database.sql, 'dashboard-api', dashboardApiConfig.read(c.env, 'health'));
    return c.json(report, report.status === 'ok' ? 200 : 503);
  });
