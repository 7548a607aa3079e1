import { accessConfiguration, authenticate, requireRole } from '#shared/access/middleware.ts';
import { ingestConfig } from '../../config.ts';
import { createRouter } from '../../lib/router.ts';
import * as handlers from './executions.handlers.ts';
import * as routes from './executions.routes.ts';

/** Mounted at /executions. Admins through Cloudflare Access, before anything is read. */
export const executionsRouter = createRouter();
executionsRouter.use('*', accessConfiguration(ingestConfig), authenticate(), requireRole('admin'));
executionsRouter
  .openapi(routes.detail, handlers.detail, routes.detailHook)
  .openapi(routes.redrive, handlers.redrive, routes.redriveHook)
  .openapi(routes.fail, handlers.fail, routes.failHook);
