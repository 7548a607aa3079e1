import { createRouter } from '../../lib/create-router.ts';
import * as handlers from './tags.handlers.ts';
import * as routes from './tags.routes.ts';

export const tagsRouter = createRouter()
  .openapi(routes.list, handlers.list)
  .openapi(routes.create, handlers.create)
  .openapi(routes.update, handlers.update)
  .openapi(routes.remove, handlers.remove)
  .openapi(routes.addToProduct, handlers.addToProduct)
  .openapi(routes.removeFromProduct, handlers.removeFromProduct);
