import { listStaffActions } from '#shared/audit/staff-action.ts';
import * as HttpStatus from '../../lib/http-status.ts';
import type { AppRouteHandler } from '../../lib/types.ts';
import type { ListRoute } from './audit-events.routes.ts';

export const list: AppRouteHandler<ListRoute> = async (c) => {
  return c.json(await listStaffActions(c.var.database, c.req.valid('query')), HttpStatus.OK);
};
