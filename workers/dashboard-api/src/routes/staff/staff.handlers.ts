import { describeMe, listStaff, updateStaffMember } from '#shared/staff/people.ts';
import * as HttpStatus from '../../lib/http-status.ts';
import type { AppRouteHandler } from '../../lib/types.ts';
import type { ListRoute, MeRoute, UpdateRoute } from './staff.routes.ts';

export const me: AppRouteHandler<MeRoute> = async (c) => {
  return c.json(describeMe(c.var.identity), HttpStatus.OK);
};

export const list: AppRouteHandler<ListRoute> = async (c) => {
  return c.json(await listStaff(c.var.database), HttpStatus.OK);
};

export const update: AppRouteHandler<UpdateRoute> = async (c) => {
  const member = await updateStaffMember(c.var.database, c.var.identity, c.req.valid('param').id, c.req.valid('json'));
  return c.json(member, HttpStatus.OK);
};
