import { createRouter } from '../../lib/create-router.ts';
import * as handlers from './products.handlers.ts';
import * as routes from './products.routes.ts';

export const productsRouter = createRouter()
  .openapi(routes.list, handlers.list)
  .openapi(routes.detail, handlers.detail);
