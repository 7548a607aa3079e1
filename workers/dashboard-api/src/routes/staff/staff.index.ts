import { createRouter } from '../../lib/create-router.ts';
import * as handlers from './staff.handlers.ts';
import * as routes from './staff.routes.ts';

export const staffRouter = createRouter()
  .openapi(routes.me, handlers.me)
  .openapi(routes.list, handlers.list)
  .openapi(routes.update, handlers.update);
