import { createRouter } from '../../lib/create-router.ts';
import * as handlers from './assets.handlers.ts';
import * as routes from './assets.routes.ts';

export const assetsRouter = createRouter()
  .openapi(routes.list, handlers.list)
  .openapi(routes.create, handlers.create)
  .openapi(routes.createMapping, handlers.createMapping)
  .openapi(routes.updateMapping, handlers.updateMapping)
  .openapi(routes.removeMapping, handlers.removeMapping);
