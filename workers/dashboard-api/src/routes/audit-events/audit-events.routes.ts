import { createRoute, z } from '@hono/zod-openapi';
import { auditEventSchema, STAFF_ACTION_KINDS, STAFF_ACTION_TARGET_KINDS } from '#shared/audit/staff-action.ts';
import * as HttpStatus from '../../lib/http-status.ts';
import { access, errorResponses, jsonContent, pageQuery, pageSchema, uuidSchema } from '../../lib/schemas.ts';

const tags = ['audit'];

export const list = createRoute({
  method: 'get',
  path: '/api/audit-events',
  tags,
  summary: 'The audit trail of staff and admin writes, newest first (append-only: no route changes it)',
  ...access('admin'),
  request: {
    query: z.object({
      person: uuidSchema.optional().openapi({ description: 'the acting staff member (person id)' }),
      target_kind: z.enum(STAFF_ACTION_TARGET_KINDS).optional(),
      target_id: z
        .string()
        .min(1, 'must not be empty')
        .max(200, 'must be at most 200 characters')
        .regex(/^[\w.:@-]+$/, 'must be an id: letters, digits and . _ : @ -')
        .optional()
        .openapi({ description: 'the target id: a product id, a tag or execution uuid, …' }),
      kind: z.enum(STAFF_ACTION_KINDS).optional(),
      ...pageQuery,
    }),
  },
  responses: {
    [HttpStatus.OK]: jsonContent(pageSchema(auditEventSchema, 'AuditEventPage'), 'A page of audit events'),
    ...errorResponses(),
  },
});

export type ListRoute = typeof list;
