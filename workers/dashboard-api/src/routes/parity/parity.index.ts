import { createRouter } from '../../lib/create-router.ts';
import * as handlers from './parity.handlers.ts';
import * as routes from './parity.routes.ts';

/** The parity API (/api/parity-checks, /api/cutover-gate); the console that shows it is routes/console. */
export const parityRouter = createRouter()
  .openapi(routes.list, handlers.list)
  .openapi(routes.trigger, handlers.trigger)
  .openapi(routes.detail, handlers.detail)
  .openapi(routes.cutoverGate, handlers.cutoverGate);
