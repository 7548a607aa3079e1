import { createRouter } from '../../lib/create-router.ts';
import * as handlers from './sync-runs.handlers.ts';
import * as routes from './sync-runs.routes.ts';

export const syncRunsRouter = createRouter()
  .openapi(routes.list, handlers.list)
  .openapi(routes.detail, handlers.detail)
  .openapi(routes.trigger, handlers.trigger);
