import { csrf } from 'hono/csrf';
import { authenticate, requireRole } from '../../../../shared/access/middleware.ts';
import { rateLimitWrites } from '../../../../shared/http/rate-limit.ts';
import { createRouter } from '../../lib/create-router.ts';
import { showConsole, triggerFromConsole } from './console.handlers.tsx';
import * as handlers from './parity.handlers.ts';
import * as routes from './parity.routes.ts';

/** The parity API (/api/parity-checks, /api/cutover-gate) and the cutover console (/console). */
export const parityRouter = createRouter()
  .openapi(routes.list, handlers.list)
  .openapi(routes.trigger, handlers.trigger)
  .openapi(routes.detail, handlers.detail)
  .openapi(routes.cutoverGate, handlers.cutoverGate);

// The console is behind Access like the API (the app authenticates /api/* itself); its form POST
// must come from the console's own origin.
parityRouter.use('/console', authenticate());
parityRouter.use('/console/*', authenticate());
parityRouter.get('/console', requireRole('viewer'), showConsole);
parityRouter.post('/console/parity-checks', csrf(), requireRole('staff'), rateLimitWrites(), triggerFromConsole);
