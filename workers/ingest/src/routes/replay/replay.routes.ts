/**
 * The Access-protected replay entry of the ingest Worker (admin role):
 *   POST /replay {from?, to?, keys?}  → 202 the recorded replay and the exports it will load
 *   GET  /replay/{id}                 → its progress and the raw tables' counts before and after
 * (paths relative to /replay, where app.ts mounts the router)
 * The work is the `replay` ProcedureExecution (workers/shared/ingest/replay.procedure.ts).
 */
import { createRoute, z } from '@hono/zod-openapi';
import { ACCESS_SECURITY } from '#shared/access/openapi.ts';
import { replayParametersSchema } from '#shared/ingest/replay.procedure.ts';
import { uuidSchema } from '#shared/uuid.ts';
import { jsonBodyWhateverItsType, refuseInvalid } from '../../lib/router.ts';
import { errorResponses, jsonContent } from '../../lib/schemas.ts';

const tags = ['replay'];

const replayStartedSchema = z
  .object({
    procedure_execution_id: z.string(),
    status: z.string(),
    exports: z.array(z.string()).openapi({ description: 'the archive keys it will load, in load order' }),
  })
  .openapi('ReplayStarted');

const countsSchema = z.record(z.string(), z.number()).nullable();

const replayReportSchema = z
  .object({
    procedure_execution_id: z.string(),
    status: z.string(),
    error: z.string().nullable(),
    parameters: z.record(z.string(), z.unknown()),
    exports: z.array(z.string()),
    loaded: z.number().int(),
    rows_processed: z.number().int(),
    counts: z.object({ before: countsSchema, after: countsSchema }),
    requested_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .openapi('ReplayReport');

export const start = createRoute({
  method: 'post',
  path: '/',
  tags,
  security: ACCESS_SECURITY,
  summary: 'Replay archived exports (a time range and/or keys), then rebuild the marts',
  middleware: [jsonBodyWhateverItsType('the body must be JSON: {"from"?, "to"?, "keys"?}')] as const,
  request: {
    body: { required: true, content: { 'application/json': { schema: replayParametersSchema } } },
  },
  responses: {
    202: jsonContent(replayStartedSchema, 'The replay, queued'),
    ...errorResponses(404, 409, 413),
  },
});
export const startHook = refuseInvalid({ json: 'invalid replay request' });

export const detail = createRoute({
  method: 'get',
  path: '/{id}',
  tags,
  security: ACCESS_SECURITY,
  summary: "A replay's progress and the raw tables' counts before and after",
  request: { params: z.object({ id: uuidSchema.openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: {
    200: jsonContent(replayReportSchema, 'The replay'),
    ...errorResponses(404),
  },
});
export const detailHook = refuseInvalid({ param: 'the replay id must be a uuid' });

export type StartRoute = typeof start;
export type DetailRoute = typeof detail;
