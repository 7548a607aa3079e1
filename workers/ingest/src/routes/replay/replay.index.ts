import { accessConfiguration, authenticate, requireRole } from '#shared/access/middleware.ts';
import { rateLimitWrites } from '#shared/http/rate-limit.ts';
import { ingestConfig } from '../../config.ts';
import { createRouter } from '../../lib/router.ts';
import * as handlers from './replay.handlers.ts';
import * as routes from './replay.routes.ts';

/** Mounted at /replay. Admins through Cloudflare Access, before anything is read; writes rate-limited per identity. */
export const replayRouter = createRouter();
replayRouter.use('*', accessConfiguration(ingestConfig), authenticate(), requireRole('admin'), rateLimitWrites());
replayRouter
  .openapi(routes.start, handlers.start, routes.startHook)
  .openapi(routes.detail, handlers.detail, routes.detailHook);
