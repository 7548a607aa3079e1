/**
 * The Access-protected execution entry of the ingest Worker (admin role), for operators (paths
 * relative to /executions, where app.ts mounts the router):
 *   GET  /executions/{id}          → its state: status, step, cause, liveness, dead letter
 *   POST /executions/{id}/redrive  → 202: a failed execution waits again at the step it failed in,
 *                                    from its last checkpoint, and its message is sent
 *   POST /executions/{id}/fail {reason} → an active execution failed with the reason (frees its
 *                                    concurrency key: what clears a run that blocks a schedule)
 * The work is workers/shared/procedures/operator-actions.ts.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { ACCESS_SECURITY } from '#shared/access/openapi.ts';
import { ApiError } from '#shared/http/errors.ts';
import { jsonBodyWhateverItsType, refuseInvalid } from '../../lib/router.ts';
import { errorResponses, jsonContent } from '../../lib/schemas.ts';

const tags = ['executions'];

const idParams = z.object({
  id: z
    .uuid({ message: 'the execution id must be a uuid' })
    .openapi({ param: { name: 'id', in: 'path' }, example: '5b6f7a52-3c1d-4c8e-9f0a-2b7c1d9e8f11' }),
});
const refuseInvalidId = refuseInvalid({});

/** A bad id is named before the body is read (route middleware runs before the validators). */
const idBeforeBody: MiddlewareHandler = async (c, next) => {
  const parsed = idParams.safeParse({ id: c.req.param('id') });
  if (!parsed.success) throw new ApiError(400, parsed.error.issues[0]?.message ?? 'invalid execution id');
  await next();
};

const executionSchema = z
  .object({
    procedure_execution_id: z.string(),
    procedure_kind: z.string(),
    status: z.string(),
    step: z.number().int(),
    parent_procedure_execution_id: z.string().nullable(),
    trigger_source: z.string(),
    attempts: z.number().int(),
    rows_processed: z.number().int(),
    error: z.string().nullable(),
    requested_at: z.string(),
    heartbeat_at: z.string().nullable(),
    wake_up_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    watchdog_resends: z.number().int(),
    stall_reason: z.string().nullable(),
    dead_lettered_at: z.string().nullable(),
  })
  .openapi('Execution');

export const detail = createRoute({
  method: 'get',
  path: '/{id}',
  tags,
  security: ACCESS_SECURITY,
  summary: "An execution's state",
  request: { params: idParams },
  responses: { 200: jsonContent(executionSchema, 'The execution'), ...errorResponses(404) },
});
export const detailHook = refuseInvalidId;

export const redrive = createRoute({
  method: 'post',
  path: '/{id}/redrive',
  tags,
  security: ACCESS_SECURITY,
  summary: 'Redrive a failed execution from its last checkpoint',
  request: { params: idParams },
  responses: {
    202: jsonContent(
      executionSchema.extend({ previous_error: z.string().nullable() }).openapi('RedrivenExecution'),
      'The execution, waiting again',
    ),
    ...errorResponses(404, 409),
  },
});
export const redriveHook = refuseInvalidId;

export const fail = createRoute({
  method: 'post',
  path: '/{id}/fail',
  tags,
  security: ACCESS_SECURITY,
  summary: 'Fail an active execution with a reason (frees its concurrency key)',
  middleware: [idBeforeBody, jsonBodyWhateverItsType('the body must be JSON: {"reason": "why it is failed"}')] as const,
  request: {
    params: idParams,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.strictObject({ reason: z.string().trim().min(1).max(500) }).openapi('FailRequest'),
        },
      },
    },
  },
  responses: { 200: jsonContent(executionSchema, 'The execution, failed'), ...errorResponses(404, 409) },
});
export const failHook = refuseInvalid({ json: 'invalid fail request' });

export type DetailRoute = typeof detail;
export type RedriveRoute = typeof redrive;
export type FailRoute = typeof fail;
