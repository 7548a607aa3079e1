import { createRouter } from '../../lib/create-router.ts';
import * as handlers from './dashboard.handlers.ts';
import * as routes from './dashboard.routes.ts';

export const dashboardRouter = createRouter()
  .openapi(routes.summary, handlers.summary)
  .openapi(routes.timeseries, handlers.timeseries)
  .openapi(routes.topProducts, handlers.topProducts);
