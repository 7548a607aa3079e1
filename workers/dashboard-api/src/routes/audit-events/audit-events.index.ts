import { createRouter } from '../../lib/create-router.ts';
import * as handlers from './audit-events.handlers.ts';
import * as routes from './audit-events.routes.ts';

/** The audit trail (GET /api/audit-events, admin); nothing in the API writes or removes entries. */
export const auditEventsRouter = createRouter().openapi(routes.list, handlers.list);
