import { csrf } from 'hono/csrf';
import { authenticate, requireRole } from '#shared/access/middleware.ts';
import { rateLimitWrites } from '#shared/http/rate-limit.ts';
import { createRouter } from '../../lib/create-router.ts';
import { showConsole, triggerFromConsole } from './console.handlers.tsx';
import { showSyncs, triggerSyncFromConsole } from './syncs.handlers.tsx';

/**
 * The cutover console (/console) and the syncs page (/console/syncs): server-rendered pages behind
 * Access like the API (the app authenticates /api/* itself). Their form POSTs must come from the
 * console's own origin and need the staff role, as the API routes they stand for.
 */
export const consoleRouter = createRouter();
consoleRouter.use('/console', authenticate());
consoleRouter.use('/console/*', authenticate());
consoleRouter.get('/console', requireRole('viewer'), showConsole);
consoleRouter.get('/console/syncs', requireRole('viewer'), showSyncs);
consoleRouter.post('/console/parity-checks', csrf(), requireRole('staff'), rateLimitWrites(), triggerFromConsole);
consoleRouter.post('/console/sync-runs', csrf(), requireRole('staff'), rateLimitWrites(), triggerSyncFromConsole);
