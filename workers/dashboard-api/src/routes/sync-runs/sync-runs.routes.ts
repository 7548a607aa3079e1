import { createRoute, z } from '@hono/zod-openapi';
import { SYNC_RUN_KINDS, SYNC_RUN_STATUSES } from '#shared/procedures/sync-runs.ts';
import * as HttpStatus from '../../lib/http-status.ts';
import {
  access,
  errorResponses,
  isoTimestamp,
  jsonBody,
  jsonContent,
  pageQuery,
  pageSchema,
  uuidParams,
} from '../../lib/schemas.ts';

const tags = ['sync runs'];

export const syncRunSchema = z
  .object({
    id: z.string(),
    kind: z.enum(SYNC_RUN_KINDS),
    status: z.enum(SYNC_RUN_STATUSES),
    started_at: isoTimestamp.openapi({ description: 'when it started, or was requested while queued' }),
    finished_at: isoTimestamp.nullable(),
    rows_processed: z.number().int(),
    error: z.string().nullable(),
  })
  .openapi('SyncRun');

export const list = createRoute({
  method: 'get',
  path: '/api/sync-runs',
  tags,
  summary: 'Sync runs, newest first',
  ...access('viewer'),
  request: {
    query: z.object({
      kind: z.enum(SYNC_RUN_KINDS).optional(),
      status: z.enum(SYNC_RUN_STATUSES).optional(),
      ...pageQuery,
    }),
  },
  responses: {
    [HttpStatus.OK]: jsonContent(pageSchema(syncRunSchema, 'SyncRunPage'), 'A page of sync runs'),
    ...errorResponses(),
  },
});

export const detail = createRoute({
  method: 'get',
  path: '/api/sync-runs/{id}',
  tags,
  summary: 'One sync run',
  ...access('viewer'),
  request: { params: uuidParams },
  responses: {
    [HttpStatus.OK]: jsonContent(syncRunSchema, 'The sync run'),
    ...errorResponses(HttpStatus.NOT_FOUND),
  },
});

export const trigger = createRoute({
  method: 'post',
  path: '/api/sync-runs',
  tags,
  summary: 'Start a sync (one per kind at a time); it runs on the ingest Worker',
  ...access('staff'),
  request: { body: jsonBody(z.strictObject({ kind: z.enum(SYNC_RUN_KINDS) }).openapi('NewSyncRun')) },
  responses: {
    [HttpStatus.ACCEPTED]: jsonContent(syncRunSchema, 'The run, queued'),
    ...errorResponses(HttpStatus.CONFLICT, HttpStatus.TOO_MANY_REQUESTS),
  },
});

export type ListRoute = typeof list;
export type DetailRoute = typeof detail;
export type TriggerRoute = typeof trigger;
