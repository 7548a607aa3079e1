import { createRouter } from '../../lib/create-router.ts';
import * as handlers from './classifications.handlers.ts';
import * as routes from './classifications.routes.ts';

export const classificationsRouter = createRouter()
  .openapi(routes.distribution, handlers.distribution)
  .openapi(routes.recompute, handlers.recompute)
  .openapi(routes.setOverride, handlers.setOverride)
  .openapi(routes.removeOverride, handlers.removeOverride);
