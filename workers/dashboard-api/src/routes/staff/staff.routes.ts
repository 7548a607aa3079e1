import { createRoute, z } from '@hono/zod-openapi';
import { ROLE_NAMES } from '#db/schema.ts';
import { safeText } from '#shared/http/text.ts';
import { meSchema, staffMemberSchema } from '#shared/staff/people.ts';
import * as HttpStatus from '../../lib/http-status.ts';
import { access, errorResponses, jsonBody, jsonContent, uuidParams } from '../../lib/schemas.ts';

const tags = ['staff'];

export const me = createRoute({
  method: 'get',
  path: '/api/me',
  tags,
  summary: 'Who is calling, and with which role',
  ...access('viewer'),
  responses: {
    [HttpStatus.OK]: jsonContent(meSchema, 'The caller'),
    ...errorResponses(),
  },
});

export const list = createRoute({
  method: 'get',
  path: '/api/staff',
  tags,
  summary: 'All staff members by email',
  ...access('admin'),
  responses: {
    [HttpStatus.OK]: jsonContent(z.object({ data: z.array(staffMemberSchema) }).openapi('StaffList'), 'The staff'),
    ...errorResponses(),
  },
});

export const update = createRoute({
  method: 'patch',
  path: '/api/staff/{id}',
  tags,
  summary: "Change a staff member's role or name (admin/master grants need master; the last master stays)",
  ...access('admin'),
  request: {
    params: uuidParams,
    body: jsonBody(
      z
        .strictObject({ role: z.enum(ROLE_NAMES).optional(), full_name: safeText(200).nullable().optional() })
        .openapi('StaffChanges'),
    ),
  },
  responses: {
    [HttpStatus.OK]: jsonContent(staffMemberSchema, 'The staff member'),
    ...errorResponses(HttpStatus.NOT_FOUND, HttpStatus.CONFLICT, HttpStatus.TOO_MANY_REQUESTS),
  },
});

export type MeRoute = typeof me;
export type ListRoute = typeof list;
export type UpdateRoute = typeof update;
